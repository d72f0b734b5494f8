package dev.briefcase.x402;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.time.Instant;
import java.util.Base64;
import org.junit.Test;

public class PaymentSignatureTest {

  private static ObjectNode sent() throws Exception {
    return (ObjectNode)
        Vectors.JSON.readTree(
            Base64.getDecoder()
                .decode(
                    Vectors.load("exchange.json")
                        .get("httpExchange")
                        .get(1)
                        .get("request")
                        .get("headers")
                        .get("payment-signature")
                        .asText()));
  }

  private static String code(ObjectNode payment) {
    try {
      PaymentSignature.parse(PaymentRequiredAttackTest.b64(payment.toString()));
      fail("accepted " + payment);
      return null;
    } catch (PaymentException e) {
      return e.code();
    }
  }

  private static ObjectNode auth(ObjectNode p) {
    return (ObjectNode) p.get("payload").get("authorization");
  }

  @Test
  public void malformedPaymentsAreInvalid() throws Exception {
    ObjectNode p = sent();
    auth(p).put("value", 10000);
    assertEquals("payment_invalid", code(p));
    p = sent();
    auth(p).put("nonce", "0x1234");
    assertEquals("payment_invalid", code(p));
    p = sent();
    auth(p).put("to", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293B");
    assertEquals("payment_invalid", code(p));
    p = sent();
    ((ObjectNode) p.get("payload")).put("signature", "0xabcd");
    assertEquals("payment_invalid", code(p));
    p = sent();
    p.remove("accepted");
    assertEquals("payment_invalid", code(p));
    p = sent();
    p.put("x402Version", 1);
    assertEquals("payment_invalid", code(p));
  }

  @Test
  public void toStringNeverShowsTheSignature() throws Exception {
    ObjectNode p = sent();
    String signature = p.get("payload").get("signature").asText();
    PaymentSignature parsed = PaymentSignature.parse(PaymentRequiredAttackTest.b64(p.toString()));
    assertFalse(parsed.toString().contains(signature.substring(2, 20)));
  }

  @Test
  public void anAcceptedWhoseExtraAddsMembersStillMatchesButAnEditedTermDoesNot() throws Exception {
    PaymentRequired required =
        PaymentRequired.parse(
            Vectors.load("exchange.json")
                .get("httpExchange")
                .get(0)
                .get("response")
                .get("headers")
                .get("payment-required")
                .asText());
    ObjectNode offer = required.accepts().get(0).node();
    ObjectNode extended = offer.deepCopy();
    ((ObjectNode) extended.get("extra")).put("assetTransferMethod", "eip3009");
    assertEquals(true, PaymentVerifier.sameTerms(extended, offer));
    ObjectNode edited = offer.deepCopy().put("payTo", "0x0000000000000000000000000000000000000001");
    assertEquals(false, PaymentVerifier.sameTerms(edited, offer));
    ObjectNode retyped = offer.deepCopy().put("maxTimeoutSeconds", "120");
    assertEquals(false, PaymentVerifier.sameTerms(retyped, offer));
    ObjectNode noExtra = offer.deepCopy();
    noExtra.remove("extra");
    assertEquals(false, PaymentVerifier.sameTerms(noExtra, offer));
  }

  @Test
  public void aPaymentValidAfterNowOrExpiringWithinSixSecondsIsInvalid() throws Exception {
    PaymentRequired required =
        PaymentRequired.parse(
            Vectors.load("exchange.json")
                .get("httpExchange")
                .get(0)
                .get("response")
                .get("headers")
                .get("payment-required")
                .asText());
    PaymentSignature p = PaymentSignature.parse(PaymentRequiredAttackTest.b64(sent().toString()));
    long before = p.authorization().validBefore().longValueExact();
    try {
      PaymentVerifier.verify(p, required.accepts(), Instant.ofEpochSecond(before - 5));
      fail("accepted an authorisation about to expire");
    } catch (PaymentException e) {
      assertEquals("payment_invalid", e.code());
    }
    PaymentVerifier.verify(p, required.accepts(), Instant.ofEpochSecond(before - 6));
  }
}
