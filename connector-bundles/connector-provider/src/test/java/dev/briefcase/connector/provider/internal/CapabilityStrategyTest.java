package dev.briefcase.connector.provider.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy.Retry;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.egress.internal.HttpEgressClient;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.MemoryReceiptLog;
import dev.briefcase.testing.Upstream;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class CapabilityStrategyTest {
  static final HttpEgressClient EGRESS =
      new HttpEgressClient(Configs.defaults(HttpEgressClient.Config.class), null);
  static final CredentialNeed NEED = new CredentialNeed(CredentialNeed.CAPABILITY, "demo");

  private Upstream upstream;
  private ProviderPeer peer;
  private Fakes.Registry registry;
  private Fakes.Keys keys;
  private final MemoryReceiptLog receipts = new MemoryReceiptLog();
  private CapabilityStrategy strategy;
  private URI quote;

  @Before
  public void setUp() throws Exception {
    upstream = new Upstream();
    peer = new ProviderPeer();
    upstream.script(peer);
    registry = new Fakes.Registry();
    registry.bases.put("demo", upstream.base());
    keys = new Fakes.Keys();
    strategy =
        new CapabilityStrategy(
            registry,
            keys,
            EGRESS,
            receipts,
            new Fakes.Secrets(),
            "require_approval",
            java.util.Set.of(),
            true,
            Clock.systemUTC());
    quote = URI.create(upstream.base() + "/api/quote?symbol=ABC#frag");
  }

  @After
  public void tearDown() {
    upstream.close();
  }

  private String mintProof(int index) {
    return Fakes.claims(upstream.seen.get(index).header("DPoP"));
  }

  @Test
  public void mintsOnceUnauthenticatedAndReusesWithABoundProof() {
    RequestCredential first = strategy.authorize(NEED, "GET", quote);
    RequestCredential second = strategy.authorize(NEED, "GET", quote);
    assertEquals(1, peer.mints.get());
    assertEquals(1, upstream.seen.size());
    assertEquals("/token", upstream.seen.get(0).rawPath());
    assertEquals(null, upstream.seen.get(0).header("Authorization"));
    String mint = mintProof(0);
    assertTrue(mint, mint.contains("\"key\":\"dpop:cap.demo\""));
    assertTrue(mint, mint.contains("\"htm\":\"POST\""));
    assertTrue(mint, mint.contains("\"htu\":\"" + upstream.base() + "/token\""));
    assertTrue(mint, mint.contains("\"ath\":null"));
    String cap = peer.minted.get(0);
    assertEquals("DPoP " + cap, first.headers().get("Authorization").reveal());
    String proof = Fakes.claims(first.headers().get("DPoP").reveal());
    assertTrue(proof, proof.contains("\"htu\":\"" + upstream.base() + "/api/quote\""));
    assertTrue(proof, proof.contains("\"htm\":\"GET\""));
    assertTrue(proof, proof.contains("\"ath\":\"" + Fakes.ath(cap) + "\""));
    assertTrue(proof, proof.contains("\"key\":\"dpop:cap.demo\""));
    assertNotEquals(first.headers().get("DPoP").reveal(), second.headers().get("DPoP").reveal());
    assertEquals("unauthenticated", strategy.cached("demo").orElseThrow().mintedVia.label());
  }

  /** Concurrent first calls of one provider share one mint; no call is lost. */
  @Test
  public void concurrentCallsShareOneMint() throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      java.util.List<java.util.concurrent.Future<RequestCredential>> calls =
          new java.util.ArrayList<>();
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      for (int i = 0; i < 8; i++) {
        calls.add(
            pool.submit(
                () -> {
                  go.await();
                  return strategy.authorize(NEED, "GET", quote);
                }));
      }
      go.countDown();
      java.util.List<String> seen = new java.util.ArrayList<>();
      for (java.util.concurrent.Future<RequestCredential> c : calls) {
        seen.add(
            c.get(30, java.util.concurrent.TimeUnit.SECONDS)
                .headers()
                .get("Authorization")
                .reveal());
      }
      for (String authorization : seen) {
        assertEquals("DPoP " + peer.minted.get(0), authorization);
      }
      assertEquals(1, peer.mints.get());
      assertEquals(50 - 8, strategy.cached("demo").orElseThrow().remaining());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void remainingCallsAreSpentPerAuthorizeThenAFreshOneIsMinted() {
    peer.maxCalls = 2;
    strategy.authorize(NEED, "GET", quote);
    strategy.authorize(NEED, "GET", quote);
    assertEquals(1, peer.mints.get());
    assertEquals(0, strategy.cached("demo").orElseThrow().remaining());
    RequestCredential third = strategy.authorize(NEED, "GET", quote);
    assertEquals(2, peer.mints.get());
    assertEquals("DPoP " + peer.minted.get(1), third.headers().get("Authorization").reveal());
  }

  @Test
  public void aCapabilityWithinThirtySecondsOfExpiryIsNotUsed() {
    peer.lifetimeSeconds = 20;
    strategy.authorize(NEED, "GET", quote);
    strategy.authorize(NEED, "GET", quote);
    assertEquals(2, peer.mints.get());
    // and one a minute away is, until the clock passes the margin
    peer.lifetimeSeconds = 60;
    Instant now = Instant.now();
    CapabilityStrategy later =
        new CapabilityStrategy(
            registry,
            keys,
            EGRESS,
            receipts,
            new Fakes.Secrets(),
            "require_approval",
            java.util.Set.of(),
            true,
            Clock.fixed(now.plusSeconds(31), ZoneOffset.UTC));
    CapabilityStrategy early =
        new CapabilityStrategy(
            registry,
            keys,
            EGRESS,
            receipts,
            new Fakes.Secrets(),
            "require_approval",
            java.util.Set.of(),
            true,
            Clock.fixed(now, ZoneOffset.UTC));
    early.authorize(NEED, "GET", quote);
    early.authorize(NEED, "GET", quote);
    assertEquals(3, peer.mints.get());
    later.authorize(NEED, "GET", quote);
    later.authorize(NEED, "GET", quote);
    assertEquals("past expiry minus 30 s every call mints", 5, peer.mints.get());
  }

  @Test
  public void theMintNonceIsRetriedOnceAndKept() {
    peer.mintNonce = "n-mint-1";
    strategy.authorize(NEED, "GET", quote);
    assertEquals(2, upstream.seen.size());
    assertTrue(mintProof(0), mintProof(0).contains("\"nonce\":null"));
    assertTrue(mintProof(1), mintProof(1).contains("\"nonce\":\"n-mint-1\""));
    // the newest nonce of the server goes on the next mint without another round trip
    strategy.revoke("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals(3, upstream.seen.size());
    assertTrue(mintProof(2).contains("\"nonce\":\"n-mint-1\""));
  }

  @Test
  public void aSecondNonceRefusalAtTheMintEndsTheCall() {
    peer.mintNonce = "n-1";
    upstream.script(
        (r, i) -> {
          peer.mintNonce = "n-" + (i + 2); // a new nonce every time: never satisfied
          return peer.answer(r, i);
        });
    expect(CredentialException.DPOP_NONCE_REJECTED, () -> strategy.authorize(NEED, "GET", quote));
    assertEquals(2, upstream.seen.size());
  }

  @Test
  public void aPaidMintIsPaymentRequired() {
    peer.paid = true;
    expect(CapabilityStrategy.PAYMENT_REQUIRED, () -> strategy.authorize(NEED, "GET", quote));
    assertFalse(strategy.cached("demo").isPresent());
    assertEquals(java.util.List.of("mint:failed:payment_required"), actions());
  }

  @Test
  public void oauthMintUsesTheAccessTokenAndBindsLaterProofsToItsKey() {
    registry.refresh.put("demo", true);
    RequestCredential c = strategy.authorize(NEED, "GET", quote);
    Upstream.Seen mint = upstream.seen.get(0);
    assertEquals("DPoP " + Fakes.Registry.ACCESS_TOKEN, mint.header("Authorization"));
    String mintClaims = Fakes.claims(mint.header("DPoP"));
    assertTrue(mintClaims, mintClaims.contains("\"key\":\"dpop:oauth.demo\""));
    assertTrue(
        mintClaims,
        mintClaims.contains("\"ath\":\"" + Fakes.ath(Fakes.Registry.ACCESS_TOKEN) + "\""));
    String proof = Fakes.claims(c.headers().get("DPoP").reveal());
    assertTrue(proof, proof.contains("\"key\":\"dpop:oauth.demo\""));
    assertTrue(proof, proof.contains("\"ath\":\"" + Fakes.ath(peer.minted.get(0)) + "\""));
    assertEquals("oauth", strategy.cached("demo").orElseThrow().mintedVia.label());
    assertEquals(0, keys.proofs.get());
    // a re-login rotated the OAuth key: the provider refuses the proof, one re-mint binds anew
    assertEquals(
        Retry.REFRESHED,
        strategy.rejected(
            NEED,
            "GET",
            quote,
            new Rejection(401, "DPoP error=\"invalid_dpop_proof\"", null, null)));
    assertFalse(strategy.cached("demo").isPresent());
  }

  @Test
  public void anUnboundAccessTokenGoesAsBearerWithTheStrategysOwnProof() {
    registry.refresh.put("demo", true);
    registry.bound = false;
    RequestCredential c = strategy.authorize(NEED, "GET", quote);
    Upstream.Seen mint = upstream.seen.get(0);
    assertEquals("Bearer " + Fakes.Registry.ACCESS_TOKEN, mint.header("Authorization"));
    assertTrue(Fakes.claims(mint.header("DPoP")).contains("\"key\":\"dpop:cap.demo\""));
    assertTrue(
        Fakes.claims(c.headers().get("DPoP").reveal()).contains("\"key\":\"dpop:cap.demo\""));
  }

  @Test
  public void anOAuthFailureIsTerminalAndNeverFallsBackToAnUnauthenticatedMint() {
    registry.refresh.put("demo", true);
    registry.accessFailure =
        new CredentialException(CredentialException.OAUTH_REFRESH_FAILED, "refused");
    expect(CredentialException.OAUTH_REFRESH_FAILED, () -> strategy.authorize(NEED, "GET", quote));
    assertEquals(0, upstream.seen.size());
  }

  @Test
  public void refusalsThatAFreshCapabilityFixesDropTheCacheAndAskForARetry() {
    Rejection[] refusals = {
      new Rejection(401, "DPoP error=\"invalid_token\"", null, null),
      new Rejection(401, null, null, null),
      new Rejection(429, null, null, null),
      new Rejection(403, null, null, "capability_revoked")
    };
    for (Rejection r : refusals) {
      strategy.authorize(NEED, "GET", quote);
      assertTrue(strategy.cached("demo").isPresent());
      assertEquals(Retry.REFRESHED, strategy.rejected(NEED, "GET", quote, r));
      assertFalse(strategy.cached("demo").isPresent());
    }
    assertEquals(4, peer.mints.get());
    assertEquals(
        java.util.List.of(
            "mint:ok:unauthenticated",
            "drop:ok:invalid_token",
            "mint:ok:unauthenticated",
            "drop:ok:invalid_token",
            "mint:ok:unauthenticated",
            "drop:ok:max_calls",
            "mint:ok:unauthenticated",
            "drop:ok:capability_revoked"),
        actions());
  }

  @Test
  public void aResourceNonceIsKeptForTheNextProof() {
    strategy.authorize(NEED, "GET", quote);
    assertEquals(
        Retry.NONCE,
        strategy.rejected(
            NEED, "GET", quote, new Rejection(401, "DPoP error=\"use_dpop_nonce\"", "rn-1", null)));
    RequestCredential c = strategy.authorize(NEED, "GET", quote);
    assertTrue(Fakes.claims(c.headers().get("DPoP").reveal()).contains("\"nonce\":\"rn-1\""));
    assertEquals(1, peer.mints.get());
    expect(
        CredentialException.DPOP_NONCE_REJECTED,
        () ->
            strategy.rejected(
                NEED,
                "GET",
                quote,
                new Rejection(401, "DPoP error=\"use_dpop_nonce\"", null, null)));
  }

  @Test
  public void proofRefusalsKeepTheirCodes() {
    expect(
        CredentialException.REPLAY_DETECTED,
        () ->
            strategy.rejected(
                NEED,
                "GET",
                quote,
                new Rejection(401, "DPoP error=\"invalid_dpop_proof\"", null, "replay_detected")));
    expect(
        CredentialException.INVALID_DPOP,
        () ->
            strategy.rejected(
                NEED,
                "GET",
                quote,
                new Rejection(401, "DPoP error=\"invalid_dpop_proof\"", null, null)));
    // the reference provider names it in x-briefcase-error, its challenge only lists algs
    expect(
        CredentialException.INVALID_DPOP,
        () ->
            strategy.rejected(
                NEED,
                "GET",
                quote,
                new Rejection(401, "DPoP algs=\"EdDSA ES256\"", null, "missing_dpop")));
    expect(
        CredentialException.INSUFFICIENT_SCOPE,
        () ->
            strategy.rejected(
                NEED,
                "GET",
                quote,
                new Rejection(403, "DPoP error=\"insufficient_scope\"", null, null)));
  }

  @Test
  public void preflightKnowsUnknownProvidersWithoutTheNetwork() {
    strategy.preflight(NEED);
    expect(
        CredentialException.UNKNOWN_PROVIDER,
        () -> strategy.preflight(new CredentialNeed(CredentialNeed.CAPABILITY, "nope")));
    expect(
        CredentialException.INVALID_CREDENTIAL_NEED,
        () -> strategy.preflight(new CredentialNeed(CredentialNeed.OAUTH, "demo")));
    assertEquals(0, upstream.seen.size());
  }

  @Test
  public void revokeDropsTheCachedCapabilityAndTheNextCallMintsAgain() {
    assertFalse(strategy.revoke("demo"));
    strategy.authorize(NEED, "GET", quote);
    assertTrue(strategy.revoke("demo"));
    assertFalse(strategy.cached("demo").isPresent());
    strategy.authorize(NEED, "GET", quote);
    assertEquals(2, peer.mints.get());
    expect(CredentialException.UNKNOWN_PROVIDER, () -> strategy.revoke("nope"));
    expect(CredentialException.UNKNOWN_PROVIDER, () -> strategy.revoke("../x"));
    assertEquals(
        java.util.List.of(
            "revoke:ok:false",
            "mint:ok:unauthenticated",
            "revoke:ok:true",
            "mint:ok:unauthenticated"),
        actions());
    assertFalse(receipts.events().toString().contains(peer.minted.get(0)));
  }

  /** Attack: a capability goes to its provider's origin only, whatever the target says. */
  @Test
  public void aCapabilityIsNeverIssuedForAnotherOrigin() {
    for (String target :
        new String[] {
          "http://127.0.0.2:" + URI.create(upstream.base()).getPort() + "/api/quote",
          "http://127.0.0.1:1/api/quote",
          "https://127.0.0.1:" + URI.create(upstream.base()).getPort() + "/api/quote",
          "http://evil@" + upstream.base().substring(7) + "/api/quote",
          "/api/quote"
        }) {
      expect(
          CredentialException.CREDENTIAL_TARGET_REFUSED,
          () -> strategy.authorize(NEED, "GET", URI.create(target)));
    }
    assertEquals("nothing was minted for a refused target", 0, upstream.seen.size());
  }

  /**
   * Attack: a provider removed and registered again under the same id with another base URL never
   * receives the old provider's cached capability.
   */
  @Test
  public void aProviderReRegisteredElsewhereNeverGetsTheOldCapability() throws Exception {
    strategy.authorize(NEED, "GET", quote);
    String old = peer.minted.get(0);
    try (Upstream other = new Upstream()) {
      ProviderPeer otherPeer = new ProviderPeer();
      other.script(otherPeer);
      registry.bases.put("demo", other.base());
      RequestCredential c =
          strategy.authorize(NEED, "GET", URI.create(other.base() + "/api/quote?symbol=A"));
      assertFalse(c.headers().get("Authorization").reveal().contains(old));
      assertEquals(1, otherPeer.mints.get());
      other.seen.forEach(s -> assertFalse(String.valueOf(s.headers()).contains(old)));
    }
  }

  /** SPEC §15: once the OAuth grant (and its key) is gone, its capability is replaced at once. */
  @Test
  public void aCapabilityBoundToARevokedOAuthKeyIsReplacedByAFreshMint() {
    registry.refresh.put("demo", true);
    strategy.authorize(NEED, "GET", quote);
    registry.refresh.put("demo", false);
    registry.proofFailure =
        new CredentialException(CredentialException.CREDENTIAL_REVOKED, "revoked");
    RequestCredential c = strategy.authorize(NEED, "GET", quote);
    assertEquals("DPoP " + peer.minted.get(1), c.headers().get("Authorization").reveal());
    assertTrue(
        Fakes.claims(c.headers().get("DPoP").reveal()).contains("\"key\":\"dpop:cap.demo\""));
    assertEquals("unauthenticated", strategy.cached("demo").orElseThrow().mintedVia.label());
  }

  /** Attack: a mint answer that would inject a header or is not a capability is refused. */
  @Test
  public void aHostileMintAnswerIsRefused() {
    String[] bodies = {
      "{\"token\":\"abc\\r\\nX-Injected: 1\",\"expires_at_rfc3339\":\"2099-01-01T00:00:00Z\",\"max_calls\":5}",
      "{\"token\":\"abc\",\"expires_at_rfc3339\":\"tomorrow\",\"max_calls\":5}",
      "{\"token\":\"abc\",\"expires_at_rfc3339\":\"2099-01-01T00:00:00Z\",\"max_calls\":0}",
      "{\"token\":7,\"expires_at_rfc3339\":\"2099-01-01T00:00:00Z\",\"max_calls\":5}",
      "[]",
      "not json"
    };
    for (String body : bodies) {
      peer.mintBody = body;
      expect(
          CapabilityStrategy.CAPABILITY_MINT_FAILED, () -> strategy.authorize(NEED, "GET", quote));
      assertFalse(strategy.cached("demo").isPresent());
    }
  }

  @Test
  public void aStoppedStrategyFailsFast() {
    strategy.deactivate();
    expect(CredentialException.BACKEND_UNAVAILABLE, () -> strategy.preflight(NEED));
  }

  /** The capability receipts as {@code action:outcome:detail}. */
  private java.util.List<String> actions() {
    java.util.List<String> out = new java.util.ArrayList<>();
    receipts
        .events()
        .forEach(
            e -> {
              assertEquals("capability", e.path("type").asText());
              assertEquals("demo", e.path("provider").asText());
              String detail =
                  e.has("minted_via")
                      ? e.get("minted_via").asText()
                      : e.has("code")
                          ? e.get("code").asText()
                          : e.has("had_capability")
                              ? e.get("had_capability").asText()
                              : e.path("reason").asText();
              out.add(e.path("action").asText() + ":" + e.path("outcome").asText() + ":" + detail);
            });
    return out;
  }

  static void expect(String code, Runnable r) {
    try {
      r.run();
      fail("expected " + code);
    } catch (CredentialException e) {
      assertEquals(e.getMessage(), code, e.code());
    }
  }

  /** Only loopback literals count: a name starting with {@code 127.} is a remote host. */
  @Test
  public void hostNamesThatLookLikeLoopbackAreNotLoopback() {
    for (String host :
        new String[] {
          "127.attacker.example",
          "127.0.0.1.attacker.example",
          "127.0.0.256",
          "127.1",
          "127.0.0.01x",
          "127.0.0.\u0661",
          "127..0.1",
          "0x7f.0.0.1",
          "[::1].example"
        }) {
      assertFalse(host, ProviderUrls.loopback(host));
    }
    for (String host :
        new String[] {"127.0.0.1", "127.255.0.9", "localhost", "LOCALHOST", "[::1]", "::1"}) {
      assertTrue(host, ProviderUrls.loopback(host));
    }
    registry.bases.put(
        "evil", "http://127.attacker.example:" + URI.create(upstream.base()).getPort());
    try {
      strategy.authorize(
          new CredentialNeed(CredentialNeed.CAPABILITY, "evil"),
          "GET",
          URI.create("http://127.attacker.example/api/quote"));
      fail("plain http to a non-loopback host");
    } catch (CredentialException e) {
      assertEquals(CredentialException.INVALID_BASE_URL, e.code());
    }
    assertEquals(0, upstream.seen.size());
  }

  /**
   * A mint answer whose token is bound to another key (or to none) is not a capability of this
   * agent: sending it as DPoP-bound would be a lie the provider (or a MITM) chose.
   */
  @Test
  public void aMintedTokenNotBoundToTheProofKeyFailsTheMint() {
    for (int round = 0; round < 2; round++) {
      peer.mintJkt = round == 0 ? Fakes.jkt("dpop:attacker") : null;
      peer.unbound = round == 1;
      try {
        strategy.authorize(NEED, "GET", quote);
        fail("an unbound capability was accepted");
      } catch (CredentialException e) {
        assertEquals(CapabilityStrategy.CAPABILITY_MINT_FAILED, e.code());
        assertFalse(e.getMessage(), e.getMessage().contains("cap-canary"));
      }
      assertTrue(strategy.cached("demo").isEmpty());
    }
    assertEquals(2, peer.mints.get());
    assertEquals(2, upstream.seen.size()); // no quote call went out
    peer.unbound = false;
    RequestCredential ok = strategy.authorize(NEED, "GET", quote);
    assertEquals("DPoP " + peer.minted.get(2), ok.headers().get("Authorization").reveal());
  }
}
