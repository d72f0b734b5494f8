package dev.briefcase.x402;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.payment.PaymentException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The reference server's answers to hand-made and hostile payments, replayed through our parsers
 * and the server checks: each case gets the code our server would answer.
 */
public class ManualCasesTest {

  private static String outcome(JsonNode c, List<Offer> offers, Instant now) {
    JsonNode sent = c.get("sent");
    String header =
        sent.has("PAYMENT-SIGNATURE")
            ? sent.get("PAYMENT-SIGNATURE").asText()
            : Base64.getEncoder()
                .encodeToString(sent.get("PAYMENT-SIGNATURE (decoded)").toString().getBytes());
    try {
      PaymentVerifier.verify(PaymentSignature.parse(header), offers, now);
      return "ok";
    } catch (PaymentException e) {
      return e.code();
    }
  }

  @Test
  public void everyHostileCaseGetsItsStableCode() throws Exception {
    JsonNode manual = Vectors.load("manual-cases.json");
    JsonNode first = manual.get("cases").get(0).get("sent").get("PAYMENT-SIGNATURE (decoded)");
    // the offers the server made, taken from one of its own challenges
    String challenge =
        Base64.getEncoder()
            .encodeToString(
                manual.get("cases").get(1).get("paymentRequired").toString().getBytes());
    List<Offer> offers = PaymentRequired.parse(challenge).accepts();
    Instant now = Instant.parse(manual.get("capturedAt").asText());

    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("valid hand-rolled payment", "ok");
    // replay is the nonce store's business, after these checks
    expected.put("replay of the same PAYMENT-SIGNATURE", "ok");
    expected.put("signature over a different recipient", "payment_invalid");
    expected.put("authorization.value below amount (signed)", "payment_invalid");
    expected.put("accepted.amount altered (no match)", "payment_terms_mismatch");
    expected.put("validBefore already passed", "payment_invalid");
    // balance is the chain's business
    expected.put("payer without token balance", "ok");
    expected.put("PAYMENT-SIGNATURE not base64 JSON", "payment_invalid");

    Map<String, String> actual = new LinkedHashMap<>();
    for (JsonNode c : manual.get("cases")) {
      if (c.get("sent").has("X-PAYMENT")) {
        continue; // a v1 header name: nothing reads it
      }
      actual.put(c.get("name").asText(), outcome(c, offers, now));
    }
    assertEquals(expected, actual);
    assertEquals(
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
        first.get("payload").get("authorization").get("from").asText());
  }

  @Test
  public void everyRejectionChallengeParsesAndCarriesTheServersReason() throws Exception {
    for (JsonNode c : Vectors.load("manual-cases.json").get("cases")) {
      if (!c.has("paymentRequired")) {
        continue;
      }
      String header =
          Base64.getEncoder().encodeToString(c.get("paymentRequired").toString().getBytes());
      PaymentRequired required = PaymentRequired.parse(header);
      assertEquals(c.get("paymentRequired").get("error").asText(), required.error());
      assertEquals(1, required.accepts().size());
    }
  }

  @Test
  public void theSettledHandRolledPaymentsResponseChecksOut() throws Exception {
    JsonNode ok = Vectors.load("manual-cases.json").get("cases").get(0).get("paymentResponse");
    PaymentResponse r =
        PaymentResponse.parse(Base64.getEncoder().encodeToString(ok.toString().getBytes()));
    assertEquals(ok.get("transaction").asText(), r.check(ok.get("payer").asText(), "eip155:31337"));
  }
}
