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
import dev.briefcase.x402.Authorization;
import dev.briefcase.x402.Eip3009;
import java.io.IOException;
import java.math.BigInteger;
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
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;

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

  /** The payer's key (anvil's fourth account): payloads carry real EIP-3009 signatures. */
  static final ECKeyPair PAYER_KEY =
      ECKeyPair.create(
          new BigInteger("7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6", 16));

  static final String PAYER = Keys.toChecksumAddress(Keys.getAddress(PAYER_KEY.getPublicKey()));

  /** Every signature made here: none may appear in an answer. */
  static final List<String> SIGNATURES = new CopyOnWriteArrayList<>();

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

  /** A well-formed payload for the offer, signed by {@link #PAYER_KEY}. */
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
    p.set("accepted", new PaymentChallenge(OFFER, null, 1000).offerJson());
    if (nonce.matches("0x[0-9a-f]{64}")) {
      return signed(p, PAYER_KEY);
    }
    inner.put("signature", "0x" + "c4".repeat(65));
    return p;
  }

  /** {@code p} with its authorization (re-)signed by {@code key} for the offer's token. */
  static ObjectNode signed(ObjectNode p, ECKeyPair key) {
    JsonNode a = p.at("/payload/authorization");
    Authorization auth =
        new Authorization(
            a.get("from").asText(),
            a.get("to").asText(),
            new BigInteger(a.get("value").asText()),
            new BigInteger(a.get("validAfter").asText()),
            new BigInteger(a.get("validBefore").asText()),
            a.get("nonce").asText());
    Eip3009.Domain domain =
        new Eip3009.Domain(
            OFFER.name(),
            OFFER.version(),
            new BigInteger(OFFER.network().substring(7)),
            OFFER.asset());
    String signature = Eip3009.sign(Eip3009.digest(domain, auth), key);
    SIGNATURES.add(signature);
    ((ObjectNode) p.get("payload")).put("signature", signature);
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
    for (String signature : SIGNATURES) {
      assertFalse(new String(r.body(), StandardCharsets.UTF_8).contains(signature));
      assertFalse(r.headers().toString().contains(signature));
    }
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
    assertEquals(200, pay(signed(edge, PAYER_KEY)).status());
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
  public void aForgedSignatureIsRefusedBeforeTheFacilitator() {
    // signed by another key in the payer's name
    ECKeyPair other =
        ECKeyPair.create(
            new BigInteger("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", 16));
    assertRefused(pay(signed(payload("0x" + "31".repeat(32)), other)), 402, X402Acceptor.INVALID);
    // a valid signature over other terms (the value changed after signing)
    ObjectNode tampered = payload("0x" + "32".repeat(32));
    ((ObjectNode) tampered.at("/payload/authorization"))
        .put("validBefore", Long.toString(now + 50));
    assertRefused(pay(tampered), 402, X402Acceptor.INVALID);
    // the high-S twin of a valid signature
    ObjectNode highS = payload("0x" + "33".repeat(32));
    String sig = highS.at("/payload/signature").asText();
    BigInteger n =
        new BigInteger("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16);
    BigInteger s = new BigInteger(sig.substring(66, 130), 16);
    int v = Integer.parseInt(sig.substring(130), 16);
    String twin =
        sig.substring(0, 66)
            + String.format("%064x", n.subtract(s))
            + String.format("%02x", v == 27 ? 28 : 27);
    ((ObjectNode) highS.get("payload")).put("signature", twin);
    assertRefused(pay(highS), 402, X402Acceptor.INVALID);
    assertTrue(facilitator.calls.isEmpty());
    // the nonces were given back: the genuine payment still goes through
    assertEquals(200, pay(payload("0x" + "31".repeat(32))).status());
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
