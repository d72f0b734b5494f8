package dev.briefcase.rail.x402.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payhelper.client.PaymentHelperClient;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import dev.briefcase.payment.PaymentSettlement;
import dev.briefcase.x402.Authorization;
import dev.briefcase.x402.Offer;
import dev.briefcase.x402.OfferPolicy;
import dev.briefcase.x402.PaymentRequired;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class X402RailTest {
  static final String USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
  static final String PAY_TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
  static final String MALLORY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
  static final String TX = "0x" + "5e".repeat(32);
  static final String BASE = "http://127.0.0.1:9099";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private FakeHelper helpers;

  @Before
  public void setUp() {
    helpers = new FakeHelper(tmp.getRoot().toPath());
  }

  static ObjectNode challengeJson() {
    ObjectNode root = FakeHelper.JSON.createObjectNode();
    root.put("x402Version", 2);
    root.put("error", "Payment required");
    root.putObject("resource").put("url", BASE + "/quote");
    ObjectNode offer = root.putArray("accepts").addObject();
    offer.put("scheme", "exact");
    offer.put("network", "eip155:8453");
    offer.put("amount", "10000");
    offer.put("asset", USDC);
    offer.put("payTo", PAY_TO);
    offer.put("maxTimeoutSeconds", 120);
    offer.putObject("extra").put("name", "USD Coin").put("version", "2");
    return root;
  }

  static PaymentChallenge challenge(long max, String... headerValues) {
    return new PaymentChallenge(
        BASE, Map.of("payment-required", List.of(headerValues)), "{}", max, "key-1");
  }

  static PaymentChallenge challenge() {
    return challenge(1_000_000, FakeHelper.b64(challengeJson().toString()));
  }

  private X402Rail rail(PaymentHelperClient helper) {
    return new X402Rail(
        new OfferPolicy(
            List.of("eip155:8453", "eip155:84532"),
            List.of(X402Rail.USDC_BASE, X402Rail.USDC_BASE_SEPOLIA),
            1_000_000),
        helper,
        Clock.fixed(Instant.ofEpochSecond(FakeHelper.NOW), ZoneOffset.UTC));
  }

  private X402Rail rail() {
    return rail(new PaymentHelperClient(List.of(), null));
  }

  private static Offer offer(PaymentChallenge c) throws PaymentException {
    return PaymentRequired.parse(c.header("payment-required").get(0)).accepts().get(0);
  }

  private static String quoteCode(X402Rail rail, PaymentChallenge c) {
    try {
      rail.quote(c);
      fail("quoted");
      return null;
    } catch (PaymentException e) {
      return e.code();
    }
  }

  private String payCode(PaymentHelperClient helper, PaymentChallenge c) throws Exception {
    X402Rail rail = rail(helper);
    PaymentQuote quote = rail.quote(c);
    try {
      rail.pay(c, quote);
      fail("paid");
      return null;
    } catch (PaymentException e) {
      // a signature (65 bytes of hex) or a PAYMENT-SIGNATURE value never reaches a message
      assertFalse(e.getMessage(), e.getMessage().matches("(?s).*[0-9a-fA-F]{64}.*"));
      assertFalse(e.getMessage(), e.getMessage().contains("eyJ4NDAyVmVyc2lvbiI6Mi"));
      return e.code();
    }
  }

  /** A helper that signs {@code authorization} over {@code accepted}. */
  private PaymentHelperClient signing(
      PaymentChallenge c, ObjectNode accepted, Authorization authorization) throws Exception {
    PaymentRequired required = PaymentRequired.parse(c.header("payment-required").get(0));
    String header = FakeHelper.signed(required, accepted, authorization, offer(c));
    return helpers.printing(FakeHelper.answer(header));
  }

  /** The component's configuration as DS builds it when nothing is configured. */
  static X402Rail.Config defaults(Map<String, Object> overrides) {
    return (X402Rail.Config)
        java.lang.reflect.Proxy.newProxyInstance(
            X402Rail.Config.class.getClassLoader(),
            new Class<?>[] {X402Rail.Config.class},
            (proxy, method, args) ->
                overrides.containsKey(method.getName())
                    ? overrides.get(method.getName())
                    : method.getDefaultValue());
  }

  @Test
  public void theDefaultConfigurationTakesUsdcOnBaseUpToOneDollarAndHasNoHelper() throws Exception {
    X402Rail rail = new X402Rail(defaults(Map.of()));
    assertEquals(10_000, rail.quote(challenge()).amountMicroUsd());
    try {
      rail.pay(challenge(), rail.quote(challenge()));
      fail("paid without a helper");
    } catch (PaymentException e) {
      assertEquals("payment_helper_unavailable", e.code());
    }
  }

  @Test
  public void aMalformedAssetKeepsTheComponentFromStarting() {
    try {
      new X402Rail(defaults(Map.of("assets", new String[] {"eip155:8453/USDC:6"})));
      fail("started");
    } catch (IllegalArgumentException expected) {
      // DS logs the activation failure; no rail is registered
    }
  }

  // ---------------------------------------------------------------- quote

  @Test
  public void aChallengeWithoutPaymentRequiredIsNotForThisRail() throws Exception {
    assertNull(
        rail()
            .quote(
                new PaymentChallenge(
                    BASE, Map.of("www-authenticate", List.of("L402 x")), "{}", 10, "k")));
  }

  @Test
  public void aChallengeWithoutAnyOfferIsNotForThisRail() throws Exception {
    // the reference provider without a payTo answers 402 with accepts [] and an error: there is
    // nothing to pay, so the call ends as payment_required rather than as a malformed challenge
    ObjectNode none = challengeJson().put("error", "no_payment_offer");
    none.putArray("accepts");
    assertNull(rail().quote(challenge(1_000_000, FakeHelper.b64(none.toString()))));
  }

  @Test
  public void quotesTheOfferInMicroUsdWithPublicFacts() throws Exception {
    PaymentQuote quote = rail().quote(challenge());
    assertEquals(10_000, quote.amountMicroUsd());
    assertEquals("10000 " + USDC + " on eip155:8453", quote.description());
    assertEquals(
        Map.of("asset", USDC, "network", "eip155:8453", "amount_atomic", "10000", "pay_to", PAY_TO),
        quote.facts());
  }

  @Test
  public void malformedChallengesAreInvalid() {
    assertEquals(
        "payment_challenge_invalid", quoteCode(rail(), challenge(1_000_000, "not-base64!!")));
    String urlSafe =
        FakeHelper.b64(challengeJson().put("error", "??>>??~~").toString())
            .replace('+', '-')
            .replace('/', '_');
    assertEquals("payment_challenge_invalid", quoteCode(rail(), challenge(1_000_000, urlSafe)));
    ObjectNode numeric = challengeJson();
    ((ObjectNode) numeric.get("accepts").get(0)).put("amount", 10000);
    assertEquals(
        "payment_challenge_invalid",
        quoteCode(rail(), challenge(1_000_000, FakeHelper.b64(numeric.toString()))));
  }

  @Test
  public void oneMalformedValueAmongSeveralFailsTheWholeChallenge() {
    assertEquals(
        "payment_challenge_invalid",
        quoteCode(
            rail(),
            challenge(
                1_000_000, FakeHelper.b64(challengeJson().toString()), "eyJ4NDAyVmVyc2lvbiI6")));
  }

  @Test
  public void anOfferOutsideThePolicyIsRefused() {
    ObjectNode c = challengeJson();
    ((ObjectNode) c.get("accepts").get(0)).put("network", "eip155:1");
    assertEquals(
        "payment_offer_refused",
        quoteCode(rail(), challenge(1_000_000, FakeHelper.b64(c.toString()))));
    c = challengeJson();
    ((ObjectNode) c.get("accepts").get(0).get("extra")).put("assetTransferMethod", "permit2");
    assertEquals(
        "payment_offer_refused",
        quoteCode(rail(), challenge(1_000_000, FakeHelper.b64(c.toString()))));
  }

  @Test
  public void anAmountAboveTheChallengesOrTheRailsMaximumIsTooHigh() {
    assertEquals(
        "payment_amount_too_high",
        quoteCode(rail(), challenge(9_999, FakeHelper.b64(challengeJson().toString()))));
    ObjectNode c = challengeJson();
    ((ObjectNode) c.get("accepts").get(0)).put("amount", "1000001");
    assertEquals(
        "payment_amount_too_high",
        quoteCode(rail(), challenge(Long.MAX_VALUE, FakeHelper.b64(c.toString()))));
  }

  // ---------------------------------------------------------------- pay

  @Test
  public void paysThroughTheHelperAndReturnsItsSignatureAsTheRetryHeader() throws Exception {
    PaymentChallenge c = challenge();
    Offer offer = offer(c);
    PaymentRequired required = PaymentRequired.parse(c.header("payment-required").get(0));
    String header =
        FakeHelper.signed(required, offer.node(), FakeHelper.authorization(offer), offer);
    X402Rail rail = rail(helpers.printing(FakeHelper.answer(header)));

    PaymentProof proof = rail.pay(c, rail.quote(c));
    assertEquals(Map.of("PAYMENT-SIGNATURE", header), proof.retryHeaders().reveal());
    assertEquals(10_000, proof.amountMicroUsd());
    assertEquals(FakeHelper.NONCE, proof.reference());
    assertFalse(proof.toString().contains(header));

    JsonNode request = FakeHelper.JSON.readTree(helpers.seen().toFile());
    assertEquals("x402_v2", request.get("rail").asText());
    assertEquals(BASE, request.get("provider_base_url").asText());
    assertEquals(c.header("payment-required").get(0), request.get("payment_required").asText());
    assertEquals(challengeJson().get("accepts").get(0), request.get("accepted"));
    assertEquals("10000", request.get("max_amount").asText());
    assertEquals("key-1", request.get("idempotency_key").asText());
  }

  @Test
  public void aHelperThatRedirectsTheMoneyIsRefused() throws Exception {
    PaymentChallenge c = challenge();
    Offer offer = offer(c);
    Authorization a = FakeHelper.authorization(offer);
    Authorization toMallory =
        new Authorization(a.from(), MALLORY, a.value(), a.validAfter(), a.validBefore(), a.nonce());
    assertEquals(
        "payment_helper_invalid_response", payCode(signing(c, offer.node(), toMallory), c));
  }

  @Test
  public void aHelperThatSignsAnotherAmountOrOfferIsRefused() throws Exception {
    PaymentChallenge c = challenge();
    Offer offer = offer(c);
    Authorization a = FakeHelper.authorization(offer);
    Authorization more =
        new Authorization(
            a.from(),
            a.to(),
            BigInteger.valueOf(20_000),
            a.validAfter(),
            a.validBefore(),
            a.nonce());
    assertEquals("payment_helper_invalid_response", payCode(signing(c, offer.node(), more), c));

    ObjectNode edited = offer.node().put("maxTimeoutSeconds", 121);
    assertEquals("payment_helper_invalid_response", payCode(signing(c, edited, a), c));
    ObjectNode retyped = offer.node().put("maxTimeoutSeconds", "120");
    assertEquals("payment_helper_invalid_response", payCode(signing(c, retyped, a), c));
  }

  @Test
  public void aHelperAuthorisationThatOutlivesTheOfferIsRefused() throws Exception {
    PaymentChallenge c = challenge();
    Offer offer = offer(c);
    Authorization a = FakeHelper.authorization(offer);
    Authorization forever =
        new Authorization(
            a.from(),
            a.to(),
            a.value(),
            a.validAfter(),
            BigInteger.valueOf(Long.MAX_VALUE),
            a.nonce());
    assertEquals("payment_helper_invalid_response", payCode(signing(c, offer.node(), forever), c));
  }

  @Test
  public void aSignatureThatDoesNotRecoverToThePayerIsRefused() throws Exception {
    PaymentChallenge c = challenge();
    Offer offer = offer(c);
    PaymentRequired required = PaymentRequired.parse(c.header("payment-required").get(0));
    Authorization a = FakeHelper.authorization(offer);
    // signed over another chain's domain: a valid signature that recovers to someone else
    ObjectNode other = offer.node().put("network", "eip155:84532");
    Offer otherOffer =
        PaymentRequired.parse(
                FakeHelper.b64(
                    challengeJson()
                        .set("accepts", FakeHelper.JSON.createArrayNode().add(other))
                        .toString()))
            .accepts()
            .get(0);
    String header = FakeHelper.signed(required, offer.node(), a, otherOffer);
    assertEquals(
        "payment_helper_invalid_response", payCode(helpers.printing(FakeHelper.answer(header)), c));
  }

  @Test
  public void aHelperWhoseNonceOrPayerDisagreesIsRefused() throws Exception {
    PaymentChallenge c = challenge();
    Offer offer = offer(c);
    PaymentRequired required = PaymentRequired.parse(c.header("payment-required").get(0));
    String header =
        FakeHelper.signed(required, offer.node(), FakeHelper.authorization(offer), offer);
    String answer =
        FakeHelper.JSON
            .createObjectNode()
            .put("payment_signature_b64", header)
            .put("payer", FakeHelper.PAYER)
            .put("nonce", "0x" + "cd".repeat(32))
            .toString();
    assertEquals("payment_helper_invalid_response", payCode(helpers.printing(answer), c));
  }

  @Test
  public void garbageHangsAndRefusalsFromTheHelperKeepTheirCodes() throws Exception {
    PaymentChallenge c = challenge();
    assertEquals("payment_helper_invalid_response", payCode(helpers.printing("garbage"), c));
    assertEquals(
        "payment_helper_invalid_response",
        payCode(helpers.printing("{\"payment_signature_b64\":\"bm90IGpzb24=\"}"), c));
    assertEquals(
        "payment_helper_invalid_response",
        payCode(helpers.printing("{\"payment_signature_b64\":42}"), c));
    assertEquals(
        "payment_helper_timeout", payCode(helpers.script("sleep 30", Duration.ofMillis(500)), c));
    assertEquals(
        "payment_limit_exceeded",
        payCode(
            helpers.script(
                "echo '{\"error\":\"payment_limit_exceeded\",\"message\":\"over\"}'; exit 3",
                Duration.ofSeconds(20)),
            c));
    assertEquals(
        "payment_helper_unavailable", payCode(new PaymentHelperClient(List.of(), null), c));
  }

  @Test
  public void aQuoteThatIsNotTheChallengesIsNotPaid() throws Exception {
    PaymentChallenge c = challenge();
    X402Rail rail = rail(helpers.printing("{}"));
    PaymentQuote cheaper = new PaymentQuote(1, "x", rail.quote(c).facts());
    try {
      rail.pay(c, cheaper);
      fail("paid an ungated amount");
    } catch (PaymentException e) {
      assertEquals("payment_challenge_invalid", e.code());
    }
    assertFalse(helpers.seen().toFile().exists());
  }

  // ---------------------------------------------------------------- settled

  private PaymentProof paid(PaymentChallenge c) throws Exception {
    Offer offer = offer(c);
    PaymentRequired required = PaymentRequired.parse(c.header("payment-required").get(0));
    String header =
        FakeHelper.signed(required, offer.node(), FakeHelper.authorization(offer), offer);
    X402Rail rail = rail(helpers.printing(FakeHelper.answer(header)));
    return rail.pay(c, rail.quote(c));
  }

  private static String response(boolean success, String payer, String network, String reason) {
    ObjectNode o = FakeHelper.JSON.createObjectNode().put("success", success);
    if (reason != null) {
      o.put("errorReason", reason);
    }
    o.put("payer", payer).put("transaction", success ? TX : "").put("network", network);
    return FakeHelper.b64(o.toString());
  }

  private String settledCode(PaymentProof proof, int status, Map<String, List<String>> headers) {
    try {
      rail().settled(challenge(), proof, status, headers);
      fail("settled");
      return null;
    } catch (PaymentException e) {
      assertFalse(e.getMessage().contains(proof.retryHeaders().reveal().get("PAYMENT-SIGNATURE")));
      return e.code();
    }
  }

  @Test
  public void aSuccessfulResponseForThePayerSettles() throws Exception {
    PaymentProof proof = paid(challenge());
    PaymentSettlement s =
        rail()
            .settled(
                challenge(),
                proof,
                200,
                Map.of(
                    "payment-response",
                    List.of(response(true, FakeHelper.PAYER.toLowerCase(), "eip155:8453", null))));
    assertEquals(TX, s.reference());
    assertEquals(FakeHelper.PAYER, s.payer());
  }

  @Test
  public void a402Or401AfterPayingIsRejectedWithTheProvidersSanitisedReason() throws Exception {
    PaymentProof proof = paid(challenge());
    try {
      rail()
          .settled(
              challenge(),
              proof,
              402,
              Map.of(
                  "payment-response",
                  List.of(response(false, "", "eip155:8453", "insufficient_funds"))));
      fail("settled");
    } catch (PaymentException e) {
      assertEquals("payment_rejected", e.code());
      assertEquals(true, e.getMessage().contains("insufficient_funds"));
    }
    ObjectNode fresh = challengeJson().put("error", "invalid_exact_evm_nonce_already_used");
    assertEquals(
        "payment_rejected",
        settledCode(
            proof, 402, Map.of("payment-required", List.of(FakeHelper.b64(fresh.toString())))));
    assertEquals("payment_rejected", settledCode(proof, 401, Map.of()));
    try {
      rail()
          .settled(
              challenge(),
              proof,
              402,
              Map.of(
                  "payment-response",
                  List.of(response(false, "", "eip155:8453", "<b>evil</b>\r\nX-Injected: 1"))));
      fail("settled");
    } catch (PaymentException e) {
      assertFalse(e.getMessage().contains("evil"));
    }
  }

  @Test
  public void aSuccessWithoutAMatchingResponseIsInvalid() throws Exception {
    PaymentProof proof = paid(challenge());
    assertEquals("payment_response_invalid", settledCode(proof, 200, Map.of()));
    assertEquals(
        "payment_response_invalid",
        settledCode(
            proof,
            200,
            Map.of("payment-response", List.of(response(true, MALLORY, "eip155:8453", null)))));
    assertEquals(
        "payment_response_invalid",
        settledCode(
            proof,
            200,
            Map.of(
                "payment-response",
                List.of(response(true, FakeHelper.PAYER, "eip155:84532", null)))));
    assertEquals(
        "payment_response_invalid",
        settledCode(
            proof,
            200,
            Map.of(
                "payment-response",
                List.of(response(false, FakeHelper.PAYER, "eip155:8453", "x")))));
    assertEquals(
        "payment_response_invalid",
        settledCode(proof, 200, Map.of("payment-response", List.of("garbage!"))));
    assertEquals(
        "payment_response_invalid",
        settledCode(
            proof,
            500,
            Map.of(
                "payment-response",
                List.of(response(true, FakeHelper.PAYER, "eip155:8453", null)))));
  }
}
