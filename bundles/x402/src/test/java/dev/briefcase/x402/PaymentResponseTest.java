package dev.briefcase.x402;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import dev.briefcase.payment.PaymentException;
import org.junit.Test;

public class PaymentResponseTest {
  private static final String PAYER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
  private static final String TX =
      "0xbfd7c733435beff8c47d1d0610bf6aa2f386d145e6f1f62423a84d9bc854065e";

  private static String json(String success, String payer, String tx, String network) {
    return "{\"success\":"
        + success
        + ",\"payer\":"
        + payer
        + ",\"transaction\":"
        + tx
        + ",\"network\":"
        + network
        + "}";
  }

  private static String code(String json, String payer, String network) {
    try {
      PaymentResponse.parse(PaymentRequiredAttackTest.b64(json)).check(payer, network);
      fail("accepted " + json);
      return null;
    } catch (PaymentException e) {
      return e.code();
    }
  }

  @Test
  public void aFailedSettlementIsInvalidAndItsReasonIsSanitised() throws Exception {
    String failed =
        "{\"success\":false,\"errorReason\":\"insufficient_funds\",\"transaction\":\"\",\"network\":\"eip155:8453\",\"payer\":\"\"}";
    assertEquals("payment_response_invalid", code(failed, PAYER, "eip155:8453"));
    assertEquals(
        "insufficient_funds",
        PaymentResponse.parse(PaymentRequiredAttackTest.b64(failed)).reason());
    String noisy = "{\"success\":false,\"errorReason\":\"<script>\\nSet-Cookie: x\"}";
    assertEquals(
        "unspecified", PaymentResponse.parse(PaymentRequiredAttackTest.b64(noisy)).reason());
  }

  @Test
  public void anotherPayerOrNetworkIsInvalid() {
    String ok = json("true", "\"" + PAYER + "\"", "\"" + TX + "\"", "\"eip155:8453\"");
    assertEquals(
        "payment_response_invalid",
        code(ok, "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "eip155:8453"));
    assertEquals("payment_response_invalid", code(ok, PAYER, "eip155:84532"));
  }

  @Test
  public void malformedSuccessesAreInvalid() {
    String p = "\"" + PAYER + "\"";
    String n = "\"eip155:8453\"";
    assertEquals(
        "payment_response_invalid",
        code(json("\"true\"", p, "\"" + TX + "\"", n), PAYER, "eip155:8453"));
    assertEquals(
        "payment_response_invalid", code(json("true", p, "\"0x1234\"", n), PAYER, "eip155:8453"));
    assertEquals(
        "payment_response_invalid",
        code(json("true", "1", "\"" + TX + "\"", n), PAYER, "eip155:8453"));
    assertEquals(
        "payment_response_invalid",
        code(json("true", p, "\"" + TX + "\"", "8453"), PAYER, "eip155:8453"));
    assertEquals("payment_response_invalid", code("not base64", PAYER, "eip155:8453"));
  }

  @Test
  public void theTransactionIsReturnedForTheRightPayerInAnyHexCase() throws Exception {
    String ok = json("true", "\"" + PAYER + "\"", "\"" + TX + "\"", "\"eip155:8453\"");
    PaymentResponse r = PaymentResponse.parse(PaymentRequiredAttackTest.b64(ok));
    assertEquals(TX, r.check(PAYER.toLowerCase(), "eip155:8453"));
    assertFalse(r.reason().isEmpty());
  }
}
