package dev.briefcase.vc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * Our credentials and lists against the npm implementations (see {@link NodeInterop}): did-jwt-vc
 * 4.0.16 with key-did-resolver 4.0.0 and did-resolver 6.0.0, and
 * {@code @digitalbazaar/vc-bitstring-status-list} 2.0.1.
 */
public class InteropTest {
  private static final List<StatusEntry> STATUS =
      List.of(
          new StatusEntry(null, "revocation", 8, "http://127.0.0.1:9099/status/revocation", 1),
          new StatusEntry(null, "suspension", 8, "http://127.0.0.1:9099/status/suspension", 1));

  private final TestKeys.Ed25519 holder;

  public InteropTest() throws Exception {
    holder = new TestKeys.Ed25519();
  }

  private static JsonNode one(Map<String, Object> request) throws Exception {
    JsonNode answer = NodeInterop.run(List.of(request)).get(0);
    return answer;
  }

  private void assertVerifiedByDidJwtVc(String jwt, DidKey issuer) throws Exception {
    JsonNode r = one(Map.of("op", "verify", "jwt", jwt));
    assertTrue(r.toString(), r.get("ok").asBoolean());
    assertEquals(issuer.did(), r.get("issuer").asText());
    assertEquals(issuer.verificationMethod(), r.get("signer").asText());
    assertEquals(holder.did.did(), r.get("subject").asText());
    assertEquals("quote", r.get("scope").asText());
    assertEquals("gold", r.get("tier").asText());
    assertTrue(r.get("context").toString().contains("https://www.w3.org/ns/credentials/v2"));
    assertEquals(2, r.get("credentialStatus").size());
    assertEquals("8", r.get("credentialStatus").get(0).get("statusListIndex").asText());
  }

  @Test
  public void ourEd25519CredentialVerifiesWithDidJwtVc() throws Exception {
    TestKeys.Ed25519 issuer = new TestKeys.Ed25519();
    String jwt =
        VcJwt.issue(
            holder.did.did(), "quote", "gold", Instant.now(), null, null, STATUS, issuer.signer);
    assertVerifiedByDidJwtVc(jwt, issuer.did);
  }

  @Test
  public void aHolderBoundCredentialWithCnfStillVerifiesWithDidJwtVc() throws Exception {
    TestKeys.Ed25519 issuer = new TestKeys.Ed25519();
    String jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    String jwt =
        VcJwt.issue(
            holder.did.did(),
            "quote",
            "gold",
            Instant.now(),
            null,
            null,
            STATUS,
            jkt,
            issuer.signer);
    assertVerifiedByDidJwtVc(jwt, issuer.did);
    assertEquals(jkt, VcJwt.confirmationJkt(jwt));
  }

  @Test
  public void ourEs256CredentialVerifiesWithDidJwtVc() throws Exception {
    TestKeys.P256 issuer = new TestKeys.P256();
    String jwt =
        VcJwt.issue(
            holder.did.did(), "quote", "gold", Instant.now(), null, null, STATUS, issuer.signer);
    assertVerifiedByDidJwtVc(jwt, issuer.did);
  }

  @Test
  public void didJwtVcRefusesATamperedOrExpiredCredential() throws Exception {
    TestKeys.Ed25519 issuer = new TestKeys.Ed25519();
    String jwt =
        VcJwt.issue(
            holder.did.did(), "quote", "gold", Instant.now(), null, null, STATUS, issuer.signer);
    String[] parts = jwt.split("\\.");
    String tampered = parts[0] + "." + parts[1] + "." + new StringBuilder(parts[2]).reverse();
    Instant past = Instant.now().minusSeconds(7200);
    String expired =
        VcJwt.issue(
            holder.did.did(),
            "quote",
            "gold",
            past,
            past,
            past.plusSeconds(600),
            STATUS,
            issuer.signer);
    JsonNode r =
        NodeInterop.run(
            List.of(
                Map.of("op", "verify", "jwt", tampered), Map.of("op", "verify", "jwt", expired)));
    assertFalse(r.get(0).get("ok").asBoolean());
    assertFalse(r.get(1).get("ok").asBoolean());
  }

  @Test
  public void ourStatusListDecodesTheSameWithTheNpmList() throws Exception {
    BitstringStatusList.Builder b = new BitstringStatusList.Builder(131_072, 1);
    int[] on = {0, 7, 8, 15, 16, 131_071};
    for (int i : on) {
      b.set(i, 1);
    }
    List<Integer> indexes = List.of(0, 1, 6, 7, 8, 9, 14, 15, 16, 17, 131_070, 131_071);
    JsonNode r = one(Map.of("op", "decode", "encodedList", b.encode(), "indexes", indexes));
    assertTrue(r.toString(), r.get("ok").asBoolean());
    assertEquals(131_072, r.get("length").asInt());
    for (int k = 0; k < indexes.size(); k++) {
      assertEquals(
          "index " + indexes.get(k), b.get(indexes.get(k)) == 1, r.get("bits").get(k).asBoolean());
    }
  }

  @Test
  public void credentialIssuedByDidJwtVcVerifiesHere() throws Exception {
    long now = Instant.now().getEpochSecond();
    JsonNode r =
        one(
            Map.of(
                "op",
                "issue",
                "subject",
                holder.did.did(),
                "scope",
                "quote",
                "tier",
                "free",
                "nbf",
                now - 10,
                "exp",
                now + 3600,
                "status",
                STATUS.get(0).toJson()));
    assertTrue(r.toString(), r.get("ok").asBoolean());
    String npmIssuer = r.get("did").asText();
    VcJwt.Verified v =
        VcJwt.verify(r.get("jwt").asText(), holder.did.did(), npmIssuer, Instant.now());
    assertEquals(npmIssuer, v.issuer());
    assertEquals(holder.did.did(), v.subject());
    assertEquals("quote", v.scope());
    assertEquals("free", v.tier());
    assertEquals(Instant.ofEpochSecond(now + 3600), v.validUntil());
    assertEquals(List.of(STATUS.get(0)), v.status());
    // and it is still bound to its holder and issuer
    TestKeys.Ed25519 other = new TestKeys.Ed25519();
    assertEquals(
        "vc_subject_mismatch",
        org.junit.Assert.assertThrows(
                VcException.class,
                () ->
                    VcJwt.verify(r.get("jwt").asText(), other.did.did(), npmIssuer, Instant.now()))
            .code());
  }

  @Test
  public void npmEncodedListDecodesTheSameHere() throws Exception {
    List<Integer> set = List.of(0, 7, 8, 9, 1000, 131_071);
    JsonNode r = one(Map.of("op", "encode", "length", 131_072, "set", set));
    assertTrue(r.toString(), r.get("ok").asBoolean());
    BitstringStatusList list = BitstringStatusList.decode(r.get("encodedList").asText());
    assertEquals(131_072, list.bitLength());
    for (int i = 0; i < 131_072; i++) {
      assertEquals("index " + i, set.contains(i) ? 1 : 0, list.get(i, 1));
    }
    assertEquals(0b1000_0001, list.bits()[0] & 0xff);
    assertEquals(0b1100_0000, list.bits()[1] & 0xff);
  }
}
