package dev.briefcase.rail.l402.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.l402.Bolt11;
import dev.briefcase.l402.L402Authorization;
import dev.briefcase.l402.L402Identifier;
import dev.briefcase.l402.Macaroon;
import dev.briefcase.l402.Preimage;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import dev.briefcase.payment.PaymentSettlement;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class L402RailTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] NODE_KEY = HEX.parseHex("ea".repeat(31) + "01");
  // canaries: neither may appear in any message, quote or receipt fact
  private static final String PREIMAGE = "c0ffee".repeat(10) + "c0de";
  private static final byte[] HASH = sha256(HEX.parseHex(PREIMAGE));
  private static final long NOW = 1_800_000_000L;
  private static final String PROVIDER = "http://127.0.0.1:9099";
  private static final byte[] ROOT_KEY = HEX.parseHex("42".repeat(32));

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String invoice(String network, long msat, byte[] hash, long timestamp) {
    Bolt11.Fields f = new Bolt11.Fields();
    f.network = network;
    f.amountMsat = msat;
    f.timestamp = timestamp;
    f.paymentHash = hash;
    f.paymentSecret = HEX.parseHex("03".repeat(32));
    f.description = "quote";
    return Bolt11.encode(f, NODE_KEY);
  }

  static String macaroon(byte[] hash) {
    byte[] id = L402Identifier.of(hash, HEX.parseHex("01".repeat(32))).encode();
    return Macaroon.mint(ROOT_KEY, "test", id, List.of("services=quote:0")).toBase64();
  }

  static final String MACAROON = macaroon(HASH);

  static PaymentChallenge challenge(long maxMicroUsd, String... wwwAuthenticate) {
    return new PaymentChallenge(
        PROVIDER,
        wwwAuthenticate.length == 0
            ? Map.of()
            : Map.of("www-authenticate", List.of(wwwAuthenticate)),
        "",
        maxMicroUsd,
        "key-1");
  }

  static String l402(String macaroon, String invoice) {
    return "L402 macaroon=\"" + macaroon + "\", invoice=\"" + invoice + "\"";
  }

  static PaymentChallenge paid(long msat) {
    return challenge(1_000_000, l402(MACAROON, invoice("bc", msat, HASH, NOW - 60)));
  }

  /** A helper program: a shell script that saves its stdin and runs {@code body}. */
  private List<String> helper(String body) throws Exception {
    Path script = tmp.newFile().toPath();
    Path in = tmp.getRoot().toPath().resolve("request.json");
    Files.writeString(script, "#!/bin/sh\ncat > '" + in + "'\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return List.of(script.toString());
  }

  private JsonNode lastRequest() throws Exception {
    return new ObjectMapper().readTree(tmp.getRoot().toPath().resolve("request.json").toFile());
  }

  private String answer(String preimage) {
    return "echo '{\"preimage\":\""
        + preimage
        + "\",\"payment_hash\":\""
        + HEX.formatHex(HASH)
        + "\"}'";
  }

  static L402Rail.Config config(Map<String, Object> values) {
    return (L402Rail.Config)
        Proxy.newProxyInstance(
            L402Rail.Config.class.getClassLoader(),
            new Class<?>[] {L402Rail.Config.class},
            (proxy, method, args) -> {
              // the DS name mapping: "__" is one underscore, a single "_" a dot
              String property =
                  method.getName().replace("__", "\0").replace('_', '.').replace("\0", "_");
              return values.containsKey(property) ? values.get(property) : method.getDefaultValue();
            });
  }

  private L402Rail rail(List<String> command, Map<String, Object> more) {
    Map<String, Object> values = new java.util.HashMap<>(more);
    values.put("helper_command", command.toArray(new String[0]));
    values.putIfAbsent("helper_timeout_ms", 2_000L);
    return new L402Rail(config(values), Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
  }

  private L402Rail rail(List<String> command) {
    return rail(command, Map.of());
  }

  private static String code(ThrowingRunnable r) {
    PaymentException e = assertThrows(PaymentException.class, r::run);
    assertNoSecret(e.getMessage());
    return e.code();
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static void assertNoSecret(String text) {
    assertFalse(text, text.contains(PREIMAGE));
    assertFalse(text, text.contains(MACAROON));
  }

  @Test
  public void noL402ChallengeIsNoQuote() throws Exception {
    L402Rail rail = rail(List.of());
    assertNull(rail.quote(challenge(1_000_000)));
    assertNull(rail.quote(challenge(1_000_000, "Bearer realm=\"x\"", "Basic")));
  }

  @Test
  public void quotePricesTheInvoiceAtTheConfiguredRateAndNamesOnlyPublicFacts() throws Exception {
    PaymentQuote q = rail(List.of()).quote(paid(100_000));
    assertEquals(100_000, q.amountMicroUsd()); // 100 sat at 100,000 USD/BTC = 0.10 USD
    assertEquals("100000 msat", q.description());
    assertEquals(
        Map.of("amount_msat", "100000", "payment_hash", HEX.formatHex(HASH), "network", "bc"),
        q.facts());
    assertNoSecret(q.toString());
  }

  @Test
  public void quoteScansEveryHeaderValueAndRoundsUp() throws Exception {
    L402Rail rail = rail(List.of(), Map.of("usd_per_btc", 30_000L));
    PaymentChallenge c =
        challenge(
            1_000_000,
            "Bearer realm=\"x\"",
            "Basic realm=\"y\", " + l402(MACAROON, invoice("bc", 1, HASH, NOW - 60)));
    assertEquals(1, rail.quote(c).amountMicroUsd()); // 0.3 µUSD rounds up
  }

  @Test
  public void networkOutsideTheAllowListIsRefused() {
    L402Rail rail = rail(List.of());
    PaymentChallenge testnet =
        challenge(1_000_000, l402(MACAROON, invoice("tb", 1000, HASH, NOW - 60)));
    assertEquals("payment_invoice_network", code(() -> rail.quote(testnet)));
    L402Rail both = rail(List.of(), Map.of("networks", new String[] {"bc", "tb"}));
    try {
      assertEquals("tb", both.quote(testnet).facts().get("network"));
    } catch (PaymentException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  public void expiredInvoiceIsRefused() {
    PaymentChallenge old =
        challenge(1_000_000, l402(MACAROON, invoice("bc", 1000, HASH, NOW - 3600)));
    assertEquals("payment_invoice_expired", code(() -> rail(List.of()).quote(old)));
  }

  @Test
  public void amountAboveTheRailOrTheCallLimitIsRefused() {
    assertEquals("payment_amount_too_high", code(() -> rail(List.of()).quote(paid(10_000_001))));
    PaymentChallenge tight =
        challenge(99_999, l402(MACAROON, invoice("bc", 100_000, HASH, NOW - 60)));
    assertEquals("payment_amount_too_high", code(() -> rail(List.of()).quote(tight)));
  }

  @Test
  public void malformedChallengesGetStableCodes() {
    L402Rail rail = rail(List.of());
    assertEquals(
        "payment_challenge_invalid",
        code(() -> rail.quote(challenge(1_000_000, "L402 macaroon=\"" + MACAROON + "\""))));
    assertEquals(
        "payment_invoice_invalid",
        code(() -> rail.quote(challenge(1_000_000, l402(MACAROON, "lnbc1garbage")))));
    String badChecksum = invoice("bc", 1000, HASH, NOW - 60).replaceFirst(".$", "q");
    assertEquals(
        "payment_invoice_invalid",
        code(() -> rail.quote(challenge(1_000_000, l402(MACAROON, badChecksum)))));
    assertEquals(
        "payment_challenge_invalid",
        code(() -> rail.quote(challenge(1_000_000, l402("AgEx", invoice("bc", 1, HASH, NOW))))));
  }

  @Test
  public void macaroonBoundToAnotherPaymentHashIsRefusedBeforePaying() {
    byte[] other = sha256(new byte[32]);
    PaymentChallenge c =
        challenge(1_000_000, l402(macaroon(other), invoice("bc", 1000, HASH, NOW - 60)));
    assertEquals("payment_challenge_invalid", code(() -> rail(List.of()).quote(c)));
  }

  @Test
  public void payAsksTheHelperAndAnswersWithTheL402Authorization() throws Exception {
    L402Rail rail = rail(helper(answer(PREIMAGE)));
    PaymentChallenge c = paid(100_000);
    PaymentQuote q = rail.quote(c);
    PaymentProof proof = rail.pay(c, q);
    assertEquals(
        Map.of("Authorization", "L402 " + MACAROON + ":" + PREIMAGE),
        proof.retryHeaders().reveal());
    assertEquals(100_000, proof.amountMicroUsd());
    assertEquals(HEX.formatHex(HASH), proof.reference());
    assertNoSecret(proof.toString());
    // what an L402 server checks: the macaroon verifies under its root key and the preimage
    // hashes to the payment hash in its identifier
    L402Authorization auth =
        L402Authorization.parse(proof.retryHeaders().reveal().get("Authorization"));
    Macaroon m = Macaroon.parseBase64(auth.macaroon());
    m.verify(ROOT_KEY, caveat -> caveat.equals("services=quote:0"));
    assertTrue(
        Preimage.matches(auth.preimageHex(), L402Identifier.parse(m.identifier()).paymentHash()));
    JsonNode req = lastRequest();
    assertEquals("l402", req.get("rail").asText());
    assertEquals(PROVIDER, req.get("provider_base_url").asText());
    assertEquals(MACAROON, req.get("macaroon").asText());
    assertEquals("100000", req.get("max_amount_msat").asText());
    assertEquals(100_000, req.get("amount_microusd").asLong());
    assertEquals("key-1", req.get("idempotency_key").asText());
    assertTrue(req.get("invoice").asText().startsWith("lnbc1u1"));
    PaymentSettlement s = rail.settled(c, proof, 200, Map.of());
    assertEquals(HEX.formatHex(HASH), s.reference());
    assertNull(s.payer());
  }

  @Test
  public void preimageThatDoesNotHashToThePaymentHashIsRefusedAndNotKept() throws Exception {
    String wrong = "ab".repeat(32);
    L402Rail rail = rail(helper(answer(wrong)));
    PaymentChallenge c = paid(1000);
    PaymentQuote q = rail.quote(c);
    PaymentException e = assertThrows(PaymentException.class, () -> rail.pay(c, q));
    assertEquals("payment_preimage_mismatch", e.code());
    assertFalse(e.getMessage().contains(wrong));
    assertEquals(1000, rail.quote(c).amountMicroUsd()); // nothing reused
  }

  @Test
  public void helperFailuresKeepTheirCodes() throws Exception {
    PaymentChallenge c = paid(1000);
    assertEquals(
        "payment_helper_unavailable", code(() -> rail(List.of()).pay(c, rail(List.of()).quote(c))));
    L402Rail garbage = rail(helper("echo 'not json " + PREIMAGE + "'"));
    assertEquals("payment_helper_invalid_response", code(() -> garbage.pay(c, garbage.quote(c))));
    L402Rail noField = rail(helper("echo '{\"payment_hash\":\"00\"}'"));
    assertEquals("payment_helper_invalid_response", code(() -> noField.pay(c, noField.quote(c))));
    L402Rail refused =
        rail(helper("echo '{\"error\":\"payment_limit_exceeded\",\"message\":\"no\"}'; exit 3"));
    assertEquals("payment_limit_exceeded", code(() -> refused.pay(c, refused.quote(c))));
    L402Rail crashed = rail(helper("echo " + PREIMAGE + " >&2; exit 1"));
    assertEquals("payment_helper_failed", code(() -> crashed.pay(c, crashed.quote(c))));
    L402Rail hangs = rail(helper("exec sleep 30"), Map.of("helper_timeout_ms", 300L));
    assertEquals("payment_helper_timeout", code(() -> hangs.pay(c, hangs.quote(c))));
  }

  @Test
  public void quoteFromAnotherChallengeIsRefused() throws Exception {
    L402Rail rail = rail(helper(answer(PREIMAGE)));
    PaymentQuote cheap = rail.quote(paid(1000));
    assertEquals("payment_challenge_invalid", code(() -> rail.pay(paid(100_000), cheap)));
  }

  @Test
  public void paidTokenIsReusedPerProviderUntilTheProviderRefusesIt() throws Exception {
    Path flag = tmp.getRoot().toPath().resolve("paid-once");
    // pays once; a second payment would fail loudly
    L402Rail rail =
        rail(
            helper(
                "if [ -e '"
                    + flag
                    + "' ]; then exit 9; fi; touch '"
                    + flag
                    + "'; "
                    + answer(PREIMAGE)));
    PaymentChallenge c = paid(100_000);
    PaymentProof first = rail.pay(c, rail.quote(c));
    rail.settled(c, first, 200, Map.of());

    PaymentQuote again = rail.quote(c);
    assertEquals(0, again.amountMicroUsd());
    assertEquals("true", again.facts().get("token_reused"));
    assertEquals(HEX.formatHex(HASH), again.facts().get("payment_hash"));
    PaymentProof reused = rail.pay(c, again);
    assertEquals(first.retryHeaders().reveal(), reused.retryHeaders().reveal());
    assertEquals(0, reused.amountMicroUsd());
    assertEquals(HEX.formatHex(HASH), rail.settled(c, reused, 204, Map.of()).reference());

    // another provider gets no token of this one
    PaymentChallenge elsewhere =
        new PaymentChallenge(
            "http://127.0.0.1:9100", c.headers(), "", c.maxAmountMicroUsd(), "key-2");
    assertEquals(100_000, rail.quote(elsewhere).amountMicroUsd());

    assertEquals("payment_rejected", code(() -> rail.settled(c, reused, 401, Map.of())));
    assertEquals(100_000, rail.quote(c).amountMicroUsd());
    assertEquals("payment_helper_failed", code(() -> rail.pay(c, rail.quote(c))));
  }

  @Test
  public void aReusedTokenIsPresentedWhenThePayChallengeAllowsOnlyItsQuotedZero() throws Exception {
    Path flag = tmp.getRoot().toPath().resolve("paid-once-kernel");
    L402Rail rail =
        rail(
            helper(
                "if [ -e '"
                    + flag
                    + "' ]; then exit 9; fi; touch '"
                    + flag
                    + "'; "
                    + answer(PREIMAGE)));
    PaymentChallenge probe = paid(100_000);
    PaymentQuote q = rail.quote(probe);
    // as the kernel does: the pay challenge's limit is the quoted amount
    PaymentProof first = rail.pay(withMax(probe, q.amountMicroUsd()), q);
    rail.settled(probe, first, 200, Map.of());

    PaymentQuote again = rail.quote(probe);
    assertEquals(0, again.amountMicroUsd());
    PaymentProof reused = rail.pay(withMax(probe, 0), again);
    assertEquals(first.retryHeaders().reveal(), reused.retryHeaders().reveal());
    assertEquals(0, reused.amountMicroUsd());
    // without a token the limit still holds: a fresh invoice above it is refused before paying
    assertEquals("payment_rejected", code(() -> rail.settled(probe, reused, 402, Map.of())));
    PaymentQuote fresh = rail.quote(probe);
    assertEquals("payment_amount_too_high", code(() -> rail.pay(withMax(probe, 0), fresh)));
  }

  private static PaymentChallenge withMax(PaymentChallenge c, long max) {
    return new PaymentChallenge(c.providerBaseUrl(), c.headers(), c.body(), max, "key-pay");
  }

  @Test
  public void aRetriedPayOfTheSameQuoteReturnsTheSameAuthorizationWithoutPayingAgain()
      throws Exception {
    Path flag = tmp.getRoot().toPath().resolve("paid");
    L402Rail rail =
        rail(
            helper(
                "if [ -e '"
                    + flag
                    + "' ]; then exit 9; fi; touch '"
                    + flag
                    + "'; "
                    + answer(PREIMAGE)));
    PaymentChallenge c = paid(100_000);
    PaymentQuote q = rail.quote(c);
    PaymentProof first = rail.pay(c, q);
    PaymentProof retried = rail.pay(c, q);
    assertEquals(first.retryHeaders().reveal(), retried.retryHeaders().reveal());
    assertEquals(first.amountMicroUsd(), retried.amountMicroUsd());
    assertEquals(first.reference(), retried.reference());
  }

  @Test
  public void a402AnswerToThePaidRetryIsRejectedAndOtherFailuresAreInvalid() throws Exception {
    L402Rail rail = rail(helper(answer(PREIMAGE)));
    PaymentChallenge c = paid(1000);
    PaymentProof proof = rail.pay(c, rail.quote(c));
    assertEquals("payment_response_invalid", code(() -> rail.settled(c, proof, 500, Map.of())));
    assertEquals("payment_rejected", code(() -> rail.settled(c, proof, 402, Map.of())));
    assertEquals(1000, rail.quote(c).amountMicroUsd());
  }

  @Test
  public void theLsatSchemeIsAnsweredInKindWhenItIsTheOnlyOne() throws Exception {
    L402Rail rail = rail(helper(answer(PREIMAGE)));
    PaymentChallenge c =
        challenge(
            1_000_000,
            "LSAT macaroon=\""
                + MACAROON
                + "\", invoice=\""
                + invoice("bc", 1000, HASH, NOW)
                + "\"");
    PaymentProof proof = rail.pay(c, rail.quote(c));
    assertTrue(proof.retryHeaders().reveal().get("Authorization").startsWith("LSAT "));
  }

  @Test
  public void unknownConfiguredNetworkKeepsTheComponentFromStarting() {
    assertThrows(
        IllegalArgumentException.class,
        () -> rail(List.of(), Map.of("networks", new String[] {"ltc"})));
  }
}
