package dev.briefcase.provider.gateway.internal;

import static dev.briefcase.provider.gateway.internal.X402AcceptorTest.assertRefused;
import static dev.briefcase.provider.gateway.internal.X402AcceptorTest.b64;
import static dev.briefcase.provider.gateway.internal.X402AcceptorTest.decodeHeader;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.store.internal.SqliteStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * A settled x402 authorization sent again (its answer was lost): the key that paid gets its
 * capability again with the same receipt and no second settlement, also after a restart; another
 * key, another signature of the settled nonce or an expired token is {@code replay_detected}; the
 * re-issued token is the same token (same jti), so re-issues never add calls.
 */
public class X402ReissueTest {
  static final String TOKEN = Fixture.BASE + "/token";
  static final String QUOTE = Fixture.BASE + "/api/quote";
  static final String NONCE = "0x" + "5a".repeat(32);

  private Path dir;
  private SqliteStore store;
  private Fixture fixture;
  private X402AcceptorTest.Scripted facilitator;
  private ProviderApi api;
  private final Fixture.EdKey client = new Fixture.EdKey();

  @Before
  public void provider() throws Exception {
    dir = Files.createTempDirectory("x402-reissue");
    store = new SqliteStore(dir.resolve("briefcase.db"));
    fixture = new Fixture();
    facilitator = new X402AcceptorTest.Scripted();
    api = api(fixture, store);
  }

  @After
  public void close() throws Exception {
    store.close();
  }

  private ProviderApi api(Fixture f, SqliteStore s) {
    return f.api(
        Fixture.settings(1000, false, false, 0, null),
        new PaymentChallenge(
            X402AcceptorTest.OFFER,
            null,
            1000,
            X402Acceptor.factory(facilitator, f.clock, new SettledPayments(s, f.clock))));
  }

  /** A payload for the offer signed by the test payer, valid for 60 s from the fixture's now. */
  ObjectNode payload(String nonce) {
    long now = fixture.clock.now.getEpochSecond();
    ObjectNode p = Json.newObject().put("x402Version", 2);
    p.putObject("payload")
        .putObject("authorization")
        .put("from", X402AcceptorTest.PAYER)
        .put("to", X402AcceptorTest.OFFER.payTo())
        .put("value", "10000")
        .put("validAfter", "0")
        .put("validBefore", Long.toString(now + 60))
        .put("nonce", nonce);
    p.set("accepted", new PaymentChallenge(X402AcceptorTest.OFFER, null, 1000).offerJson());
    return X402AcceptorTest.signed(p, X402AcceptorTest.PAYER_KEY);
  }

  ApiResponse paidMint(ProviderApi on, String header, Fixture.EdKey key) {
    String proof = key == null ? null : key.proof("POST", TOKEN, fixture.clock.now, null, null);
    return ProviderApi.answer(
        () -> on.mint(Fixture.headers("PAYMENT-SIGNATURE", header, "DPoP", proof), new byte[0]));
  }

  ApiResponse quote(ProviderApi on, String token) {
    String proof = client.proof("GET", QUOTE, fixture.clock.now, token, null);
    return ProviderApi.answer(
        () -> on.quote(Fixture.headers("Authorization", "DPoP " + token, "DPoP", proof), "ACME"));
  }

  static String token(ApiResponse r) throws Exception {
    return Json.MAPPER.readTree(r.body()).path("token").asText();
  }

  @Test
  public void theSameSignatureFromTheSameKeyGetsTheSameTokenAndReceiptWithoutASecondSettle()
      throws Exception {
    String header = b64(payload(NONCE));
    ApiResponse first = paidMint(api, header, client);
    assertEquals(new String(first.body(), StandardCharsets.UTF_8), 200, first.status());
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);

    fixture.clock.now = fixture.clock.now.plusSeconds(5);
    ApiResponse again = paidMint(api, header, client);
    assertEquals(new String(again.body(), StandardCharsets.UTF_8), 200, again.status());
    assertEquals("no second settlement", List.of("/verify", "/settle"), facilitator.calls);
    assertEquals("the same token: same jti, expiry, calls", token(first), token(again));
    assertEquals(first.headers().get("PAYMENT-RESPONSE"), again.headers().get("PAYMENT-RESPONSE"));
    JsonNode receipt = decodeHeader(again.headers().get("PAYMENT-RESPONSE"));
    assertTrue(receipt.path("success").asBoolean());
    assertEquals(X402AcceptorTest.PAYER, receipt.path("payer").asText());
    assertEquals("0x" + "ab".repeat(32), receipt.path("transaction").asText());
    assertEquals("eip155:31337", receipt.path("network").asText());
    assertEquals(client.jkt(), Fixture.claims(token(again)).at("/cnf/jkt").asText());
  }

  @Test
  public void anotherKeyPresentingTheSettledSignatureIsAReplay() {
    String header = b64(payload(NONCE));
    assertEquals(200, paidMint(api, header, client).status());
    assertRefused(paidMint(api, header, new Fixture.EdKey()), 402, X402Acceptor.REPLAY);
    // no key at all (an unbound token anyone holding the header could use) is a replay too
    assertRefused(paidMint(api, header, null), 402, X402Acceptor.REPLAY);
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
    // the payer itself is still served afterwards: the refusals changed nothing
    assertEquals(200, paidMint(api, header, client).status());
  }

  @Test
  public void anUnboundPaidTokenIsNeverReissued() {
    String header = b64(payload(NONCE));
    assertEquals(200, paidMint(api, header, null).status());
    assertRefused(paidMint(api, header, null), 402, X402Acceptor.REPLAY);
    assertRefused(paidMint(api, header, client), 402, X402Acceptor.REPLAY);
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void anotherSignatureOverTheSettledNonceIsAReplayAndNeverReachesTheFacilitator() {
    assertEquals(200, paidMint(api, b64(payload(NONCE)), client).status());
    // re-signed with a later validBefore: a different, valid signature of the same nonce
    fixture.clock.now = fixture.clock.now.plusSeconds(1);
    assertRefused(paidMint(api, b64(payload(NONCE)), client), 402, X402Acceptor.REPLAY);
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void reissuesNeverAddCallsToThePaidToken() throws Exception {
    String header = b64(payload(NONCE));
    String token = token(paidMint(api, header, client));
    for (int i = 0; i < 3; i++) {
      assertEquals(200, quote(api, token).status());
    }
    assertRefused(quote(api, token), 429, "max_calls_exceeded");
    for (int i = 0; i < 3; i++) {
      String again = token(paidMint(api, header, client));
      assertEquals(token, again);
      assertRefused(quote(api, again), 429, "max_calls_exceeded");
    }
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void aRevokedPaidTokenStaysRevokedWhenReissued() throws Exception {
    String header = b64(payload(NONCE));
    String token = token(paidMint(api, header, client));
    fixture.denylist.revoke(Fixture.claims(token).path("jti").asText(), fixture.clock.now);
    String again = token(paidMint(api, header, client));
    assertRefused(quote(api, again), 403, "capability_revoked");
  }

  @Test
  public void noReissueOnceThePaidTokenExpired() throws Exception {
    String header = b64(payload(NONCE));
    assertEquals(200, paidMint(api, header, client).status());
    // the authorization's own window has passed long before: the receipt, not the window, decides
    fixture.clock.now = fixture.clock.now.plusSeconds(599);
    assertEquals(200, paidMint(api, header, client).status());
    fixture.clock.now = fixture.clock.now.plusSeconds(1);
    assertRefused(paidMint(api, header, client), 402, X402Acceptor.REPLAY);
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void afterARestartTheSameKeyIsStillServedAndAnotherIsStillAReplay() throws Exception {
    String header = b64(payload(NONCE));
    ApiResponse first = paidMint(api, header, client);
    assertEquals(200, first.status());
    store.close();

    store = new SqliteStore(dir.resolve("briefcase.db"));
    Fixture restarted = new Fixture();
    restarted.clock.now = fixture.clock.now.plusSeconds(30);
    fixture = restarted;
    ProviderApi again = api(restarted, store);
    assertRefused(paidMint(again, header, new Fixture.EdKey()), 402, X402Acceptor.REPLAY);
    ApiResponse served = paidMint(again, header, client);
    assertEquals(new String(served.body(), StandardCharsets.UTF_8), 200, served.status());
    assertEquals(first.headers().get("PAYMENT-RESPONSE"), served.headers().get("PAYMENT-RESPONSE"));
    JsonNode a = Fixture.claims(token(first));
    JsonNode b = Fixture.claims(token(served));
    assertEquals(a.path("jti"), b.path("jti"));
    assertEquals(a.path("exp"), b.path("exp"));
    assertEquals(a.path("max_calls"), b.path("max_calls"));
    assertEquals(a.path("cnf"), b.path("cnf"));
    assertEquals(
        "one settlement across the restart", List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void aSettlementIsRecordedBeforeTheTokenIsSignedAndWithoutTheSignature() throws Exception {
    ObjectNode p = payload(NONCE);
    String signature = p.at("/payload/signature").asText();
    assertEquals(200, paidMint(api, b64(p), client).status());
    List<String> row =
        store.read(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT authorizer, nonce, signature_sha256, jkt, jti, max_calls"
                          + " FROM provider_x402_settled")) {
                try (ResultSet rs = ps.executeQuery()) {
                  assertTrue(rs.next());
                  List<String> r =
                      List.of(
                          rs.getString(1),
                          rs.getString(2),
                          rs.getString(3),
                          rs.getString(4),
                          rs.getString(5),
                          rs.getString(6));
                  assertFalse(rs.next());
                  return r;
                }
              }
            });
    assertEquals(X402AcceptorTest.PAYER.toLowerCase(java.util.Locale.ROOT), row.get(0));
    assertEquals(NONCE, row.get(1));
    assertEquals(client.jkt(), row.get(3));
    assertEquals("3", row.get(5));
    assertFalse("the signature is not stored", row.toString().contains(signature.substring(2)));
  }

  @Test
  public void aFailedSettlementRecordsNothingToReissue() {
    facilitator.settle =
        Json.newObject()
            .put("success", false)
            .put("errorReason", "invalid_exact_evm_transaction_failed")
            .put("transaction", "")
            .put("network", "eip155:31337");
    String header = b64(payload(NONCE));
    assertRefused(paidMint(api, header, client), 402, X402Acceptor.SETTLE_FAILED);
    assertRefused(paidMint(api, header, client), 402, X402Acceptor.REPLAY);
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void concurrentResendsWhileTheFirstSettlesAreReplays() throws Exception {
    String header = b64(payload(NONCE));
    facilitator.hold = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CompletableFuture<ApiResponse> first =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> paidMint(api, header, client));
    dev.briefcase.testing.Poll.await(
        () -> facilitator.calls.isEmpty() ? null : Boolean.TRUE,
        "the first payment reaches the facilitator",
        Duration.ofSeconds(30));
    assertRefused(paidMint(api, header, client), 402, X402Acceptor.REPLAY);
    facilitator.hold.countDown();
    assertEquals(200, first.get(30, java.util.concurrent.TimeUnit.SECONDS).status());
    assertEquals(200, paidMint(api, header, client).status());
    assertEquals(List.of("/verify", "/settle"), facilitator.calls);
  }

  @Test
  public void anUnreadableStoreRefusesThePaymentBeforeTheFacilitator() {
    store.close();
    assertRefused(paidMint(api, b64(payload(NONCE)), client), 503, "store_unavailable");
    assertEquals(List.of(), facilitator.calls);
  }
}
