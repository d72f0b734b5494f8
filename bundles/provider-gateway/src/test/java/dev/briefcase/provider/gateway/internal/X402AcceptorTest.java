package dev.briefcase.provider.gateway.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.testing.Poll;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.Before;
import org.junit.Test;

/**
 * The paid mint's checks that need no chain: shapes, windows, terms, what a failed or unreachable
 * facilitator leads to, and which refusals give the nonce back. The facilitator here is scripted;
 * {@link X402MintTest} runs the real one.
 */
public class X402AcceptorTest {
  static final PaymentChallenge.X402Offer OFFER =
      new PaymentChallenge.X402Offer(
          "eip155:31337",
          "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          "10000",
          "USD Coin",
          "2",
          60);
  static final String PAYER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
  static final String CANARY_SIGNATURE = "0x" + "c4".repeat(65);

  /** A facilitator that answers from a script and records the paths it was sent. */
  static final class Scripted implements Facilitator {
    final List<String> calls = new CopyOnWriteArrayList<>();
    JsonNode verify = Json.newObject().put("isValid", true).put("payer", PAYER);
    JsonNode settle =
        Json.newObject()
            .put("success", true)
            .put("payer", PAYER)
            .put("transaction", "0x" + "ab".repeat(32))
            .put("network", "eip155:31337");
    boolean down;
    CountDownLatch hold;

    @Override
    public JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
      calls.add(path);
      if (hold != null && !hold.await(60, TimeUnit.SECONDS)) {
        throw new IOException("held too long");
      }
      if (down) {
        throw new IOException("connection refused");
      }
      return path.equals("/verify") ? verify : settle;
    }
  }

  private Fixture fixture;
  private Scripted facilitator;
  private ProviderApi api;
  private long now;

  @Before
  public void provider() {
    fixture = new Fixture();
    now = fixture.clock.now.getEpochSecond();
    facilitator = new Scripted();
    api =
        fixture.api(
            Fixture.settings(1000, false, false, 0, null),
            new PaymentChallenge(
                OFFER, null, 1000, X402Acceptor.factory(facilitator, fixture.clock)));
  }

  /** A well-formed payload for the offer (the signature is the scripted facilitator's business). */
  ObjectNode payload(String nonce) {
    ObjectNode p = Json.newObject().put("x402Version", 2);
    ObjectNode inner = p.putObject("payload");
    inner
        .putObject("authorization")
        .put("from", PAYER)
        .put("to", OFFER.payTo())
        .put("value", "10000")
        .put("validAfter", "0")
        .put("validBefore", Long.toString(now + 60))
        .put("nonce", nonce);
    inner.put("signature", CANARY_SIGNATURE);
    p.set("accepted", new PaymentChallenge(OFFER, null, 1000).offerJson());
    return p;
  }

  ObjectNode payload() {
    return payload("0x" + "11".repeat(32));
  }

  static String b64(JsonNode n) {
    return Base64.getEncoder().encodeToString(Json.bytes(n));
  }

  ApiResponse mint(String... headers) {
    return ProviderApi.answer(() -> api.mint(Fixture.headers(headers), new byte[0]));
  }

  ApiResponse pay(JsonNode payload) {
    return mint("PAYMENT-SIGNATURE", b64(payload));
  }

  static void assertRefused(ApiResponse r, int status, String code) {
    assertEquals(status, r.status());
    assertEquals(code, r.headers().get("x-briefcase-error"));
    assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains(CANARY_SIGNATURE));
    assertFalse(r.headers().toString().contains(CANARY_SIGNATURE));
  }

  static JsonNode decodeHeader(String value) throws IOException {
    return Json.MAPPER.readTree(Base64.getDecoder().decode(value));
  }

  @Test
  public void aSettledPaymentMintsAndAnswersPaymentResponse() throws Exception {
    ApiResponse r = pay(payload());
    assertEquals(200, r.status());
    assertNotNull(Json.MAPPER.readTree(r.body()).get("token"));
    JsonNode receipt = decodeHeader(r.headers().get("PAYMENT-RESPONSE"));
    assertTrue(receipt.path("success").asBoolean());
    assertEquals(PAYER, receipt.path("payer").asText());
    assertEquals("0x" + "ab".repeat(32), receipt.path("transaction").asText());
    assertEquals("eip155:31337", receipt.path("network").asText());
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void aFailedSettlementIs402WithAFailedPaymentResponseAndKeepsTheNonce() throws Exception {
    facilitator.settle =
        Json.newObject()
            .put("success", false)
            .put("errorReason", "invalid_exact_evm_transaction_failed")
            .put("transaction", "")
            .put("network", "eip155:31337");
    ApiResponse r = pay(payload());
    assertRefused(r, 402, X402Acceptor.SETTLE_FAILED);
    assertNotNull(r.headers().get("PAYMENT-REQUIRED"));
    JsonNode receipt = decodeHeader(r.headers().get("PAYMENT-RESPONSE"));
    assertFalse(receipt.path("success").asBoolean());
    assertEquals("invalid_exact_evm_transaction_failed", receipt.path("errorReason").asText());
    // sent for settlement once: never sent again
    assertRefused(pay(payload()), 402, X402Acceptor.REPLAY);
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void aRejectedVerificationGivesTheNonceBackButAUsedNonceIsAReplay() {
    facilitator.verify =
        Json.newObject()
            .put("isValid", false)
            .put("invalidReason", "invalid_exact_evm_insufficient_balance");
    assertRefused(pay(payload()), 402, X402Acceptor.VERIFY_FAILED);
    facilitator.verify =
        Json.newObject()
            .put("isValid", false)
            .put("invalidReason", "invalid_exact_evm_nonce_already_used");
    assertRefused(pay(payload()), 402, X402Acceptor.REPLAY);
    assertRefused(pay(payload()), 402, X402Acceptor.REPLAY);
    assertEquals(List.of("/verify", "/verify"), facilitator.calls);
  }

  @Test
  public void theSameSignatureWhileTheFirstIsInFlightIsAReplay() throws Exception {
    facilitator.hold = new CountDownLatch(1);
    CompletableFuture<ApiResponse> first = CompletableFuture.supplyAsync(() -> pay(payload()));
    Poll.waitFor(() -> facilitator.calls.contains("/verify"), "the first payment at /verify");
    assertRefused(pay(payload()), 402, X402Acceptor.REPLAY);
    facilitator.hold.countDown();
    assertEquals(200, first.get(60, TimeUnit.SECONDS).status());
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void anUnreachableFacilitatorIs502AndTheSameSignatureMayComeAgain() {
    facilitator.down = true;
    assertRefused(pay(payload()), 502, X402Acceptor.UNAVAILABLE);
    facilitator.down = false;
    assertEquals(200, pay(payload()).status());
  }

  @Test
  public void aRefusalAfterTheLocalChecksGivesTheNonceBack() {
    // a malformed legacy pop key fails after the payment's local checks, before settlement
    ApiResponse r = mint("PAYMENT-SIGNATURE", b64(payload()), "x-briefcase-pop-pub", "not-a-key");
    assertRefused(r, 400, "invalid_pop_key");
    assertTrue(facilitator.calls.isEmpty());
    assertEquals(200, pay(payload()).status());
  }

  @Test
  public void theValidityWindowIsCheckedAgainstTheClock() {
    ObjectNode early = payload("0x" + "21".repeat(32));
    ((ObjectNode) early.at("/payload/authorization")).put("validAfter", Long.toString(now + 1));
    assertRefused(pay(early), 402, X402Acceptor.NOT_YET_VALID);

    ObjectNode late = payload("0x" + "22".repeat(32));
    ((ObjectNode) late.at("/payload/authorization")).put("validBefore", Long.toString(now + 5));
    assertRefused(pay(late), 402, X402Acceptor.EXPIRED);

    ObjectNode edge = payload("0x" + "23".repeat(32));
    ((ObjectNode) edge.at("/payload/authorization")).put("validAfter", Long.toString(now));
    ((ObjectNode) edge.at("/payload/authorization")).put("validBefore", Long.toString(now + 6));
    assertEquals(200, pay(edge).status());
    assertTrue(facilitator.calls.size() == 2);
  }

  @Test
  public void malformedSignaturesGetAFreshChallengeAndReachNoFacilitator() throws Exception {
    List<String> bad = new ArrayList<>();
    bad.add("");
    bad.add("not base64!");
    bad.add(Base64.getEncoder().encodeToString("[1]".getBytes(StandardCharsets.UTF_8)));
    bad.add(
        Base64.getEncoder().encodeToString("{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)));
    bad.add("A".repeat(X402Acceptor.MAX_SIGNATURE_CHARS + 4));
    ObjectNode v1 = payload();
    v1.put("x402Version", 1);
    bad.add(b64(v1));
    ObjectNode textVersion = payload();
    textVersion.put("x402Version", "2");
    bad.add(b64(textVersion));
    for (String field :
        new String[] {"from", "to", "value", "validAfter", "validBefore", "nonce"}) {
      ObjectNode missing = payload();
      ((ObjectNode) missing.at("/payload/authorization")).remove(field);
      bad.add(b64(missing));
      ObjectNode number = payload();
      ((ObjectNode) number.at("/payload/authorization")).put(field, 5);
      bad.add(b64(number));
    }
    ObjectNode shortNonce = payload("0x1234");
    bad.add(b64(shortNonce));
    ObjectNode noSignature = payload();
    ((ObjectNode) noSignature.get("payload")).put("signature", "0x12");
    bad.add(b64(noSignature));
    for (String value : bad) {
      ApiResponse r = mint("PAYMENT-SIGNATURE", value);
      assertRefused(r, 402, X402Acceptor.INVALID);
      assertEquals(
          X402Acceptor.INVALID,
          decodeHeader(r.headers().get("PAYMENT-REQUIRED")).path("error").asText());
    }
    ApiResponse twice =
        mint("PAYMENT-SIGNATURE", b64(payload()), "PAYMENT-SIGNATURE", b64(payload()));
    assertRefused(twice, 402, X402Acceptor.INVALID);
    assertTrue(facilitator.calls.isEmpty());
  }

  @Test
  public void extraMayAddMembersButTheOfferIsOtherwiseExact() {
    ObjectNode offer = new PaymentChallenge(OFFER, null, 1000).offerJson();
    ObjectNode more = offer.deepCopy();
    ((ObjectNode) more.get("extra")).put("assetTransferMethod", "eip3009");
    assertTrue(X402Acceptor.sameTerms(more, offer));
    assertTrue(X402Acceptor.sameTerms(offer.deepCopy(), offer));

    ObjectNode extraMember = offer.deepCopy().put("memo", "x");
    assertFalse(X402Acceptor.sameTerms(extraMember, offer));
    ObjectNode lessExtra = offer.deepCopy();
    ((ObjectNode) lessExtra.get("extra")).remove("version");
    assertFalse(X402Acceptor.sameTerms(lessExtra, offer));
    ObjectNode extraNotObject = offer.deepCopy().put("extra", "USD Coin");
    assertFalse(X402Acceptor.sameTerms(extraNotObject, offer));
    ObjectNode lowerCase = offer.deepCopy().put("asset", OFFER.asset().toLowerCase());
    assertFalse(X402Acceptor.sameTerms(lowerCase, offer));
    ObjectNode timeoutAsText = offer.deepCopy().put("maxTimeoutSeconds", "60");
    assertFalse(X402Acceptor.sameTerms(timeoutAsText, offer));

    ObjectNode paid = payload();
    paid.set("accepted", more);
    assertEquals(200, pay(paid).status());
  }

  @Test
  public void withoutAFacilitatorAPaidRetryIs503AndAnUnpaidOneTheChallenge() {
    ProviderApi none =
        fixture.api(
            Fixture.settings(1000, false, false, 0, null), new PaymentChallenge(OFFER, null, 1000));
    ApiResponse r =
        ProviderApi.answer(
            () -> none.mint(Fixture.headers("PAYMENT-SIGNATURE", b64(payload())), new byte[0]));
    assertRefused(r, 503, X402Acceptor.UNAVAILABLE);
    ApiResponse unpaid = ProviderApi.answer(() -> none.mint(Fixture.headers(), new byte[0]));
    assertRefused(unpaid, 402, "payment_required");
  }

  @Test
  public void theFacilitatorUrlIsHttpsOrLoopbackHttp() {
    Duration t = Duration.ofSeconds(5);
    assertNull(HttpFacilitator.of("", t));
    assertNotNull(HttpFacilitator.of("https://facilitator.example", t));
    assertNotNull(HttpFacilitator.of("http://127.0.0.1:4022/", t));
    assertNotNull(HttpFacilitator.of("http://[::1]:4022", t));
    assertNotNull(HttpFacilitator.of("http://localhost:4022", t));
    for (String bad :
        new String[] {
          "http://facilitator.example",
          "http://10.0.0.1:4022",
          "ftp://127.0.0.1",
          "https://user@facilitator.example",
          "https://facilitator.example/?q=1",
          "not a url"
        }) {
      assertThrows(bad, IllegalArgumentException.class, () -> HttpFacilitator.of(bad, t));
    }
  }

  @Test
  public void standardBase64IsPaddedWithoutTheUrlSafeAlphabet() {
    assertTrue(X402Acceptor.standardBase64("Pz8+Pz8/"));
    assertTrue(X402Acceptor.standardBase64("YQ=="));
    assertFalse(X402Acceptor.standardBase64("Pz8-Pz8_"));
    assertFalse(X402Acceptor.standardBase64("YQ"));
    assertFalse(X402Acceptor.standardBase64("Y==="));
    assertFalse(X402Acceptor.standardBase64("YQ=a"));
  }
}
