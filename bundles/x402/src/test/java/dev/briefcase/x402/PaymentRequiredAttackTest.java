package dev.briefcase.x402;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Consumer;
import org.junit.Test;

public class PaymentRequiredAttackTest {

  static ObjectNode challenge() {
    ObjectNode root = Vectors.JSON.createObjectNode();
    root.put("x402Version", 2);
    root.putObject("resource").put("url", "http://127.0.0.1:4021/quote");
    ObjectNode offer = root.putArray("accepts").addObject();
    offer.put("scheme", "exact");
    offer.put("network", "eip155:8453");
    offer.put("amount", "10000");
    offer.put("asset", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
    offer.put("payTo", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    offer.put("maxTimeoutSeconds", 120);
    offer.putObject("extra").put("name", "USD Coin").put("version", "2");
    return root;
  }

  static String b64(String json) {
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String code(String header) {
    try {
      PaymentRequired.parse(header);
      fail("accepted " + header);
      return null;
    } catch (PaymentException e) {
      return e.code();
    }
  }

  private static String codeWith(Consumer<ObjectNode> edit) {
    ObjectNode c = challenge();
    edit.accept(c);
    return code(b64(c.toString()));
  }

  private static ObjectNode offer(ObjectNode c) {
    return (ObjectNode) c.get("accepts").get(0);
  }

  @Test
  public void paddedAndUnpaddedStandardBase64BothParse() throws Exception {
    String padded = b64(challenge().toString() + "  ");
    assertEquals(1, PaymentRequired.parse(padded).accepts().size());
    String unpadded = padded.replace("=", "");
    assertEquals(1, PaymentRequired.parse(unpadded).accepts().size());
  }

  @Test
  public void urlSafeBase64IsRefusedAsTheReferenceIgnoresIt() {
    // find a challenge whose base64 uses '+' or '/', then send it in the URL-safe alphabet
    String header = b64(challenge().put("error", "??>>??~~").toString());
    String urlSafe = header.replace('+', '-').replace('/', '_');
    org.junit.Assert.assertNotEquals(header, urlSafe);
    assertEquals("payment_challenge_invalid", code(urlSafe));
  }

  @Test
  public void anOversizedHeaderIsRefusedBeforeDecoding() {
    ObjectNode c = challenge();
    c.put("error", "x".repeat(50_000));
    assertEquals("payment_challenge_invalid", code(b64(c.toString())));
  }

  @Test
  public void badBase64AndNonObjectsAreRefused() {
    assertEquals("payment_challenge_invalid", code(""));
    assertEquals("payment_challenge_invalid", code("not-base64!!"));
    assertEquals("payment_challenge_invalid", code("QQ=")); // wrong padding
    assertEquals("payment_challenge_invalid", code("Q")); // impossible length
    assertEquals("payment_challenge_invalid", code(b64("[1,2]")));
    assertEquals("payment_challenge_invalid", code(b64("{\"x402Version\":2} {}")));
    assertEquals("payment_challenge_invalid", code(b64("{\"x402Version\":2")));
  }

  @Test
  public void onlyUtf8JsonIsRead() {
    byte[] utf16 = challenge().toString().getBytes(StandardCharsets.UTF_16BE);
    assertEquals("payment_challenge_invalid", code(Base64.getEncoder().encodeToString(utf16)));
    byte[] broken =
        challenge()
            .toString()
            .replace("USD Coin", "USD\u00ffCoin")
            .getBytes(StandardCharsets.ISO_8859_1);
    assertEquals("payment_challenge_invalid", code(Base64.getEncoder().encodeToString(broken)));
  }

  @Test
  public void duplicateKeysAreRefused() {
    String json =
        challenge()
            .toString()
            .replace("\"amount\":\"10000\"", "\"amount\":\"1\",\"amount\":\"10000\"");
    assertEquals("payment_challenge_invalid", code(b64(json)));
  }

  @Test
  public void theVersionMustBeTheNumberTwo() {
    assertEquals("payment_challenge_invalid", codeWith(c -> c.put("x402Version", "2")));
    assertEquals("payment_challenge_invalid", codeWith(c -> c.put("x402Version", 1)));
    assertEquals("payment_challenge_invalid", codeWith(c -> c.put("x402Version", 2.0)));
    assertEquals("payment_challenge_invalid", codeWith(c -> c.remove("x402Version")));
  }

  @Test
  public void acceptsMustBeAnArrayOfObjects() throws Exception {
    assertEquals("payment_challenge_invalid", codeWith(c -> c.set("accepts", offer(challenge()))));
    ObjectNode noOffer = challenge();
    noOffer.putArray("accepts");
    noOffer.put("error", "no_payment_offer");
    PaymentRequired parsed = PaymentRequired.parse(b64(noOffer.toString()));
    assertTrue(
        "a challenge without an offer is valid, with nothing to pay", parsed.accepts().isEmpty());
    assertEquals("no_payment_offer", parsed.error());
    assertEquals(
        "payment_challenge_invalid", codeWith(c -> ((ArrayNode) c.get("accepts")).add("x")));
    assertEquals("payment_challenge_invalid", codeWith(c -> c.remove("accepts")));
  }

  @Test
  public void theAmountMustBeADecimalIntegerString() {
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("amount", 10000)));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("amount", "-1")));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("amount", "1.5")));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("amount", "0x10")));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("amount", "010")));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("amount", "1e3")));
    assertEquals(
        "payment_challenge_invalid",
        codeWith(c -> offer(c).put("amount", "1" + "0".repeat(78)))); // above uint256
  }

  @Test
  public void maxTimeoutSecondsMustBeAModestPositiveIntegerNumber() {
    assertEquals(
        "payment_challenge_invalid", codeWith(c -> offer(c).put("maxTimeoutSeconds", "120")));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("maxTimeoutSeconds", 0)));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("maxTimeoutSeconds", -5)));
    assertEquals(
        "payment_challenge_invalid", codeWith(c -> offer(c).put("maxTimeoutSeconds", 1.5)));
    assertEquals(
        "payment_challenge_invalid",
        codeWith(c -> offer(c).put("maxTimeoutSeconds", 999_999_999_999L)));
    assertEquals(
        "payment_challenge_invalid",
        codeWith(
            c ->
                offer(c).put("maxTimeoutSeconds", new java.math.BigInteger("1" + "0".repeat(30)))));
  }

  @Test
  public void stringMembersMustBeStrings() {
    for (String name : new String[] {"scheme", "network", "asset", "payTo"}) {
      assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put(name, 1)));
      assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).remove(name)));
    }
    assertEquals("payment_challenge_invalid", codeWith(c -> c.put("error", 5)));
    assertEquals("payment_challenge_invalid", codeWith(c -> c.put("resource", "http://x")));
  }

  @Test
  public void anEvmOfferNeedsItsTokensDomainInExtra() {
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).remove("extra")));
    assertEquals("payment_challenge_invalid", codeWith(c -> offer(c).put("extra", "USD Coin")));
    assertEquals(
        "payment_challenge_invalid",
        codeWith(c -> ((ObjectNode) offer(c).get("extra")).put("version", 2)));
    assertEquals(
        "payment_challenge_invalid",
        codeWith(c -> ((ObjectNode) offer(c).get("extra")).put("assetTransferMethod", 1)));
  }

  @Test
  public void aNonEvmOfferWithoutExtraStillParses() throws Exception {
    ObjectNode c = challenge();
    ObjectNode sol = ((ArrayNode) c.get("accepts")).addObject();
    sol.put("scheme", "exact").put("network", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp");
    sol.put("amount", "1").put("asset", "EPjF").put("payTo", "abc").put("maxTimeoutSeconds", 60);
    assertEquals(2, PaymentRequired.parse(b64(c.toString())).accepts().size());
  }
}
