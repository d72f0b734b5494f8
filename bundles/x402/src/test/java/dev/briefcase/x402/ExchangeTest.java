package dev.briefcase.x402;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.Test;

public class ExchangeTest {

  private static JsonNode exchange() throws Exception {
    return Vectors.load("exchange.json").get("httpExchange");
  }

  @Test
  public void parsesTheReferenceServersChallenge() throws Exception {
    JsonNode first = exchange().get(0).get("response");
    PaymentRequired required =
        PaymentRequired.parse(first.get("headers").get("payment-required").asText());
    assertEquals("Payment required", required.error());
    assertEquals("http://127.0.0.1:4021/quote", required.resource().get("url").asText());
    assertEquals(1, required.accepts().size());
    Offer offer = required.accepts().get(0);
    assertEquals("exact", offer.scheme());
    assertEquals("eip155:31337", offer.network());
    assertEquals(BigInteger.valueOf(10000), offer.amount());
    assertEquals("0x5FbDB2315678afecb367f032d93F642f64180aa3", offer.asset());
    assertEquals("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", offer.payTo());
    assertEquals(120, offer.maxTimeoutSeconds());
    assertEquals("USD Coin", offer.extraName());
    assertEquals("2", offer.extraVersion());
    assertNull(offer.assetTransferMethod());
    assertEquals(BigInteger.valueOf(31337), offer.chainId());
    assertEquals(
        first.get("decodedHeaders").get("payment-required").get("accepts").get(0), offer.node());
  }

  @Test
  public void rebuildsTheReferenceClientsPaymentSignatureByteForByte() throws Exception {
    JsonNode ex = exchange();
    PaymentRequired required =
        PaymentRequired.parse(
            ex.get(0).get("response").get("headers").get("payment-required").asText());
    String sent = ex.get(1).get("request").get("headers").get("payment-signature").asText();
    PaymentSignature parsed = PaymentSignature.parse(sent);

    String rebuilt =
        PaymentSignature.build(
            required, required.accepts().get(0).node(), parsed.authorization(), parsed.signature());
    assertArrayEquals(Base64.getDecoder().decode(sent), Base64.getDecoder().decode(rebuilt));
    assertEquals(sent, rebuilt);
    assertEquals(required.accepts().get(0).node(), PaymentSignature.parse(rebuilt).accepted());
  }

  @Test
  public void theReferencePaymentVerifiesAgainstItsOfferAndRecoversThePayer() throws Exception {
    JsonNode ex = exchange();
    PaymentRequired required =
        PaymentRequired.parse(
            ex.get(0).get("response").get("headers").get("payment-required").asText());
    PaymentSignature payment =
        PaymentSignature.parse(
            ex.get(1).get("request").get("headers").get("payment-signature").asText());
    PaymentVerifier.Verified ok =
        PaymentVerifier.verify(payment, required.accepts(), Instant.parse("2026-11-27T09:24:11Z"));
    assertEquals("0x90F79bf6EB2c4f870365E785982E1f101E93b906", ok.payer());
  }

  @Test
  public void parsesAndChecksTheReferencePaymentResponse() throws Exception {
    JsonNode headers = exchange().get(1).get("response").get("headers");
    PaymentResponse response = PaymentResponse.parse(headers.get("payment-response").asText());
    assertTrue(response.success());
    assertEquals(
        "0xbfd7c733435beff8c47d1d0610bf6aa2f386d145e6f1f62423a84d9bc854065e",
        response.check("0x90f79bf6eb2c4f870365e785982e1f101e93b906", "eip155:31337"));
    assertEquals(headers.get("payment-response").asText(), response.encode());
  }

  @Test
  public void acceptedKeepsTheOffersJsonTypesAndAddressCase() throws Exception {
    JsonNode ex = exchange();
    PaymentRequired required =
        PaymentRequired.parse(
            ex.get(0).get("response").get("headers").get("payment-required").asText());
    ObjectNode accepted = required.accepts().get(0).node();
    assertTrue(accepted.get("maxTimeoutSeconds").isInt());
    assertTrue(accepted.get("amount").isTextual());
    assertEquals("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", accepted.get("payTo").asText());
    assertEquals(List.of(required.accepts().get(0)), required.accepts());
  }
}
