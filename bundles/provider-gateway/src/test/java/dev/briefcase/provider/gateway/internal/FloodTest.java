package dev.briefcase.provider.gateway.internal;

import static dev.briefcase.provider.gateway.internal.Fixture.BASE;
import static dev.briefcase.provider.gateway.internal.Fixture.headers;
import static dev.briefcase.provider.gateway.internal.Fixture.json;
import static dev.briefcase.provider.gateway.internal.QuoteChecksTest.refused;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import dev.briefcase.dpop.DpopVerifier;
import java.time.Duration;
import java.util.UUID;
import org.junit.Test;

/**
 * Floods of the open routes: the mint's replay cache is not the quote's, an unpaid mint spends no
 * cache entry, and a full usage counter refuses new mints instead of forgetting counts.
 */
public class FloodTest {
  static final String TOKEN = BASE + "/token";
  static final String QUOTE = BASE + "/api/quote";

  final Fixture f = new Fixture();
  final Fixture.EdKey client = new Fixture.EdKey();
  final Fixture.EdKey attacker = new Fixture.EdKey();
  final ProviderApi free =
      f.api(Fixture.settings(0, true, false, 0, null), new PaymentChallenge(null, null, 0));

  ApiResponse mint(ProviderApi api, String... headers) {
    return ProviderApi.answer(() -> api.mint(headers(headers), new byte[0]));
  }

  ApiResponse quote(ProviderApi api, String token, Fixture.EdKey key) {
    String proof = key.proof("GET", QUOTE, f.clock.now, token, null);
    return ProviderApi.answer(
        () -> api.quote(headers("Authorization", "DPoP " + token, "DPoP", proof), "ACME"));
  }

  ApiResponse quoteBearer(ProviderApi api, String token) {
    return ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + token), "ACME"));
  }

  String mintBound(ProviderApi api, Fixture.EdKey key) {
    ApiResponse r =
        mint(api, "DPoP", key.proof("POST", TOKEN, f.clock.now, null, f.nonces.current()));
    assertEquals(new String(r.body()), 200, r.status());
    return json(r.body()).get("token").asText();
  }

  String mintUnbound(ProviderApi api) {
    ApiResponse r = mint(api);
    assertEquals(new String(r.body()), 200, r.status());
    return json(r.body()).get("token").asText();
  }

  static void unavailable(ApiResponse r, String code, String retryAfter) {
    refused(r, 503, code);
    assertEquals(retryAfter, r.headers().get("Retry-After"));
  }

  @Test
  public void floodingTheMintsReplayCacheLeavesTheQuoteWorking() {
    String token = mintBound(free, client);
    // the free mint is open to anyone: fresh proofs until the mint's cache is full of live ones
    ApiResponse r = null;
    for (int i = 0; i <= 20_000; i++) {
      r = mint(free, "DPoP", attacker.proof("POST", TOKEN, f.clock.now, null, f.nonces.current()));
      if (r.status() != 200) {
        break;
      }
    }
    unavailable(r, "replay_cache_full", "120");
    assertEquals(20_000, f.mintReplays.size());
    // the holder of a capability is not locked out of the resource
    ApiResponse q = quote(free, token, client);
    assertEquals(new String(q.body()), 200, q.status());
    assertEquals(1, f.resourceReplays.size());
    // and the flood's proof keys stay refused as the server's fault, not the proof's
    unavailable(
        mint(free, "DPoP", client.proof("POST", TOKEN, f.clock.now, null, f.nonces.current())),
        "replay_cache_full",
        "120");
  }

  @Test
  public void aPricedUnauthenticatedMintAnswers402BeforeTouchingAnyCache() {
    ProviderApi priced =
        f.api(Fixture.settings(1000, true, false, 0, null), new PaymentChallenge(null, null, 1000));
    String proof = attacker.proof("POST", TOKEN, f.clock.now, null, f.nonces.current());
    for (int i = 0; i < 3; i++) {
      // the same proof again, or garbage: still only the challenge, nothing recorded
      assertEquals(402, mint(priced, "DPoP", proof).status());
      assertEquals(402, mint(priced, "DPoP", "not-a-proof").status());
    }
    assertEquals(0, f.mintReplays.size());
    assertEquals(0, f.resourceReplays.size());
    // the unpaid proof was never spent: it still mints where the tool is free
    assertEquals(200, mint(free, "DPoP", proof).status());
    assertEquals(1, f.mintReplays.size());
  }

  @Test
  public void aFullResourceReplayCacheIs503NotTheProofsFault() {
    String token = mintBound(free, client);
    fill(f.resourceReplays);
    ApiResponse r = quote(free, token, client);
    unavailable(r, "replay_cache_full", "120");
    assertNull(r.headers().get("WWW-Authenticate"));
    // the quote's fullness does not reach the mint
    mintBound(free, client);
  }

  /** Live entries up to the SPEC minimum capacity, as a flood of fresh proofs leaves them. */
  void fill(dev.briefcase.dpop.ReplayCache cache) {
    while (cache.size() < 20_000) {
      cache.firstUse(
          "flood", UUID.randomUUID().toString(), f.clock.now.plus(DpopVerifier.MAX_SKEW));
    }
  }

  @Test
  public void aFullUsageCounterRefusesNewMintsAndKeepsCountingExistingTokens() {
    ProviderApi capped =
        f.api(Fixture.settings(0, false, false, 0, null, 2), new PaymentChallenge(null, null, 0));
    String a = mintUnbound(capped);
    String b = mintUnbound(capped);
    for (int i = 0; i < 5; i++) {
      unavailable(mint(capped), "capacity_exhausted", "60");
      unavailable(
          mint(capped, "DPoP", attacker.proof("POST", TOKEN, f.clock.now, null, null)),
          "capacity_exhausted",
          "60");
    }
    assertEquals("a refused mint spends no replay-cache entry", 0, f.mintReplays.size());
    // max_calls (3) of the tracked tokens was not reset by the refused mints
    for (int i = 0; i < 3; i++) {
      assertEquals(200, quoteBearer(capped, a).status());
    }
    refused(quoteBearer(capped, a), 429, "max_calls_exceeded");
    assertEquals(200, quoteBearer(capped, b).status());
    // a token the counter does not know (minted before a restart) is not served uncounted
    String earlier = mintUnbound(free);
    unavailable(quoteBearer(capped, earlier), "capacity_exhausted", "60");
    // once the tracked tokens expire their entries make room again
    f.clock.now = f.clock.now.plus(Duration.ofSeconds(601));
    mintUnbound(capped);
  }

  @Test
  public void usageCounterRefusesANewJtiWhenFullOfLiveTokens() {
    UsageCounter counter = new UsageCounter(f.clock, 2);
    java.time.Instant exp = f.clock.now.plusSeconds(600);
    counter.reserve("a", exp);
    counter.reserve("b", exp);
    counter.reserve("a", exp);
    try {
      counter.reserve("c", exp);
      throw new AssertionError("a third live jti was tracked");
    } catch (ProviderError e) {
      assertEquals(503, e.status());
      assertEquals("capacity_exhausted", e.code());
    }
    assertEquals(true, counter.tryUse("a", 1, exp));
    assertEquals(false, counter.tryUse("a", 1, exp));
    assertEquals(2, counter.size());
  }
}
