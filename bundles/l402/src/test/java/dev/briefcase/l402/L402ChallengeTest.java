package dev.briefcase.l402;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

public class L402ChallengeTest {
  private static final String MAC = "AgEEaGVyZQIIdG9rZW4taWQAAAYg+/9=";
  private static final String INV = "lnbcrt1u1pexample";

  private static List<L402Challenge> scan(String... values) throws L402Exception {
    return L402Challenge.scan(List.of(values));
  }

  private static String code(String... values) {
    return assertThrows(L402Exception.class, () -> scan(values)).code();
  }

  @Test
  public void parametersInEitherOrder() throws Exception {
    L402Challenge a = scan("L402 macaroon=\"" + MAC + "\", invoice=\"" + INV + "\"").get(0);
    L402Challenge b = scan("L402 invoice=\"" + INV + "\", macaroon=\"" + MAC + "\"").get(0);
    assertEquals(a, b);
    assertEquals(MAC, a.macaroon());
    assertEquals(INV, a.invoice());
  }

  @Test
  public void tokenValuesQuotedEscapesAndSpacingAreAccepted() throws Exception {
    L402Challenge c = scan("l402   invoice = " + INV + " ,macaroon=\"AgE\\x\"").get(0);
    assertEquals("L402", c.scheme());
    assertEquals(INV, c.invoice());
    assertEquals("AgEx", c.macaroon());
  }

  @Test
  public void severalChallengesInOneValueAndAcrossValuesAreAllFound() throws Exception {
    List<L402Challenge> found =
        scan(
            "Bearer realm=\"api\", Basic YWxhZGRpbjpvcGVuc2VzYW1l==, LSAT macaroon=\"m1\","
                + " invoice=\"i1\", L402 macaroon=\"m2\", invoice=\"i2\"",
            "Negotiate",
            "L402 version=\"0\", invoice=\"i3\", macaroon=\"m3\"");
    assertEquals(3, found.size());
    assertEquals("LSAT", found.get(0).scheme());
    assertEquals("m1", found.get(0).macaroon());
    assertEquals("i2", found.get(1).invoice());
    assertEquals("m3", found.get(2).macaroon());
  }

  @Test
  public void noL402ChallengeGivesAnEmptyList() throws Exception {
    assertTrue(scan().isEmpty());
    assertTrue(scan("Bearer realm=\"x\"", "Basic", "garbage \"unterminated").isEmpty());
  }

  @Test
  public void l402ChallengeMissingAParameterIsInvalid() {
    assertEquals("challenge_invalid", code("L402 macaroon=\"m\""));
    assertEquals("challenge_invalid", code("L402 invoice=\"i\""));
    assertEquals("challenge_invalid", code("LSAT"));
    assertEquals("challenge_invalid", code("L402 macaroon=\"\", invoice=\"i\""));
  }

  @Test
  public void repeatedParameterIsInvalidRatherThanFirstOrLastWins() {
    assertEquals(
        "challenge_invalid", code("L402 macaroon=\"m\", invoice=\"i\", invoice=\"attacker\""));
  }

  @Test
  public void malformedValueNamingL402IsInvalid() {
    assertEquals("challenge_invalid", code("L402 macaroon=\"m, invoice=\"i"));
    assertEquals("challenge_invalid", code("L402 macaroon=\"m\" invoice=\"i\""));
  }

  @Test
  public void oversizedValueIsInvalid() {
    assertEquals(
        "challenge_invalid",
        code("L402 macaroon=\"" + "A".repeat(L402Challenge.MAX_VALUE) + "\", invoice=\"i\""));
  }

  @Test
  public void challengeToStringHoldsNoMacaroon() throws Exception {
    assertFalse(
        scan("L402 macaroon=\"SECRETMAC\", invoice=\"i\"").toString().contains("SECRETMAC"));
  }

  @Test
  public void authorizationParsesBothSchemesAndFormatsLowerCaseHex() throws Exception {
    String pre = "AB".repeat(32);
    L402Authorization a = L402Authorization.parse("lsat " + MAC + ":" + pre);
    assertEquals("LSAT", a.scheme());
    assertEquals(MAC, a.macaroon());
    assertEquals("LSAT " + MAC + ":" + "ab".repeat(32), a.format());
    assertEquals(
        "L402 m:" + "0a".repeat(32), new L402Authorization("L402", "m", "0a".repeat(32)).format());
  }

  @Test
  public void malformedAuthorizationIsRefused() {
    String pre = "ab".repeat(32);
    for (String bad :
        new String[] {
          "Bearer abc",
          "L402 " + MAC,
          "L402 " + MAC + ":xyz",
          "L402 " + MAC + ":" + pre + "00",
          "L402 :" + pre,
          "L402 a:b:" + pre,
          "L402 m@c:" + pre,
          "L402" + MAC + ":" + pre,
        }) {
      assertEquals(
          bad,
          "authorization_invalid",
          assertThrows(L402Exception.class, () -> L402Authorization.parse(bad)).code());
    }
  }

  @Test
  public void authorizationToStringHoldsNoSecret() throws Exception {
    String pre = "cd".repeat(32);
    L402Authorization a = L402Authorization.parse("L402 SECRETMAC:" + pre);
    assertFalse(a.toString().contains("SECRETMAC"));
    assertFalse(a.toString().contains(pre));
  }
}
