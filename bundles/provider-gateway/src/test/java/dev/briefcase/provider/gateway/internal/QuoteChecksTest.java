package dev.briefcase.provider.gateway.internal;

import static dev.briefcase.provider.gateway.internal.Fixture.BASE;
import static dev.briefcase.provider.gateway.internal.Fixture.headers;
import static dev.briefcase.provider.gateway.internal.Fixture.json;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.junit.Test;

/** The SPEC §8.2 checks of GET /api/quote, row by row, each with the hostile input it refuses. */
public class QuoteChecksTest {
  static final String QUOTE = BASE + "/api/quote";

  final Fixture f = new Fixture();
  final ProviderApi api =
      f.api(Fixture.settings(0, false, false, 0, null), new PaymentChallenge(null, null, 0));
  final Fixture.EdKey client = new Fixture.EdKey();

  String mintBound() {
    String proof = client.proof("POST", BASE + "/token", f.clock.now, null, null);
    ApiResponse r = api.mint(headers("DPoP", proof), new byte[0]);
    assertEquals(200, r.status());
    return json(r.body()).get("token").asText();
  }

  String mintUnbound() {
    ApiResponse r = api.mint(headers(), new byte[0]);
    assertEquals(200, r.status());
    return json(r.body()).get("token").asText();
  }

  ApiResponse quoteDpop(String token, String proof, String symbol) {
    return ProviderApi.answer(
        () -> api.quote(headers("Authorization", "DPoP " + token, "DPoP", proof), symbol));
  }

  ApiResponse quoteOk(String token) {
    return quoteDpop(token, client.proof("GET", QUOTE, f.clock.now, token, null), "ACME");
  }

  static void refused(ApiResponse r, int status, String code) {
    assertEquals(new String(r.body()), status, r.status());
    assertEquals(code, r.headers().get("x-briefcase-error"));
    assertEquals(code, json(r.body()).get("error").asText());
  }

  @Test
  public void boundTokenWithAFreshProofGetsTheQuote() {
    String token = mintBound();
    ApiResponse r = quoteOk(token);
    assertEquals(200, r.status());
    assertEquals("ACME", json(r.body()).get("symbol").asText());
    assertEquals("USD", json(r.body()).get("currency").asText());
    assertTrue(json(r.body()).get("price").isNumber());
  }

  @Test
  public void quoteIsDeterministic() {
    String token = mintBound();
    String a = new String(quoteOk(token).body());
    String b = new String(quoteOk(token).body());
    assertEquals(a, b);
  }

  @Test
  public void row1NoTokenIsInvalidToken() {
    ApiResponse r = ProviderApi.answer(() -> api.quote(headers(), "ACME"));
    refused(r, 401, "invalid_token");
    assertEquals("DPoP algs=\"EdDSA ES256\"", r.headers().get("WWW-Authenticate"));
  }

  @Test
  public void row1ForeignSignatureIsInvalidToken() {
    Fixture.EdKey attacker = new Fixture.EdKey();
    ObjectNode claims = (ObjectNode) Fixture.claims(mintUnbound());
    String forged =
        attacker.jws(
            Json.newObject()
                .put("alg", "EdDSA")
                .put("typ", "JWT")
                .put("kid", f.identity.current().kid()),
            claims);
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + forged), "ACME")),
        401,
        "invalid_token");
  }

  @Test
  public void row1EditedClaimsAreInvalidToken() {
    String token = mintUnbound();
    String[] parts = token.split("\\.");
    ObjectNode claims = (ObjectNode) Fixture.claims(token);
    claims.put("max_calls", 1_000_000);
    String edited =
        parts[0] + "." + Fixture.B64.encodeToString(Json.bytes(claims)) + "." + parts[2];
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + edited), "ACME")),
        401,
        "invalid_token");
  }

  @Test
  public void row1AlgNoneIsInvalidToken() {
    ObjectNode claims = (ObjectNode) Fixture.claims(mintUnbound());
    String none =
        Fixture.B64.encodeToString(
                Json.bytes(Json.newObject().put("alg", "none").put("typ", "JWT")))
            + "."
            + Fixture.B64.encodeToString(Json.bytes(claims))
            + ".";
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + none), "ACME")),
        401,
        "invalid_token");
  }

  @Test
  public void row1ExpiredIsInvalidToken() {
    String token = mintUnbound();
    f.clock.now = f.clock.now.plus(Duration.ofSeconds(600));
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + token), "ACME")),
        401,
        "invalid_token");
  }

  @Test
  public void row1AnAccessTokenIsNoCapability() {
    ObjectNode at =
        Json.newObject()
            .put("iss", BASE)
            .put("aud", BASE)
            .put("scope", "quote")
            .put("jti", "a1")
            .put("iat", f.clock.now.getEpochSecond())
            .put("exp", f.clock.now.getEpochSecond() + 600)
            .put("max_calls", 50);
    String token =
        f.identity.jws(
            Json.newObject()
                .put("alg", "EdDSA")
                .put("typ", "at+jwt")
                .put("kid", f.identity.current().kid()),
            at);
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + token), "ACME")),
        401,
        "invalid_token");
  }

  @Test
  public void row1WrongIssuerIsInvalidToken() {
    CapabilityTokens other = new CapabilityTokens(f.identity, f.clock, "http://elsewhere:1");
    String token =
        other.mint(new CapabilityTokens.Grant("quote", 5, 0, null, 600, 0, null)).token();
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + token), "ACME")),
        401,
        "invalid_token");
  }

  @Test
  public void audCaveatForAnotherResourceIsInvalidToken() {
    CapabilityTokens tokens = new CapabilityTokens(f.identity, f.clock, BASE);
    String token =
        tokens
            .mint(new CapabilityTokens.Grant("quote", 5, 0, null, 600, 0, "https://other.example"))
            .token();
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + token), "ACME")),
        401,
        "invalid_token");
    String mine =
        tokens.mint(new CapabilityTokens.Grant("quote", 5, 0, null, 600, 0, BASE)).token();
    assertEquals(
        200,
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + mine), "ACME"))
            .status());
  }

  @Test
  public void row2WrongScopeIsInsufficientScope() {
    CapabilityTokens tokens = new CapabilityTokens(f.identity, f.clock, BASE);
    String token = tokens.mint(new CapabilityTokens.Grant("vc", 5, 0, null, 600, 0, null)).token();
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + token), "ACME")),
        403,
        "insufficient_scope");
    String quoteish =
        tokens.mint(new CapabilityTokens.Grant("quotes", 5, 0, null, 600, 0, null)).token();
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + quoteish), "ACME")),
        403,
        "insufficient_scope");
  }

  @Test
  public void row3RevokedJtiIsCapabilityRevokedBeforeTheProofIsLookedAt() {
    String token = mintBound();
    f.denylist.revoke(Fixture.claims(token).get("jti").asText(), f.clock.now.plusSeconds(4200));
    ApiResponse r = quoteDpop(token, null, "ACME");
    refused(r, 403, "capability_revoked");
    refused(quoteOk(token), 403, "capability_revoked");
  }

  @Test
  public void row4BoundTokenWithoutProofIsMissingDpop() {
    String token = mintBound();
    ApiResponse r = quoteDpop(token, null, "ACME");
    refused(r, 401, "missing_dpop");
    assertEquals("DPoP algs=\"EdDSA ES256\"", r.headers().get("WWW-Authenticate"));
  }

  @Test
  public void row5ProofFromAForeignKeyIsInvalidDpop() {
    String token = mintBound();
    Fixture.EdKey attacker = new Fixture.EdKey();
    ApiResponse r =
        quoteDpop(token, attacker.proof("GET", QUOTE, f.clock.now, token, null), "ACME");
    refused(r, 401, "invalid_dpop");
    assertEquals(
        "DPoP algs=\"EdDSA ES256\", error=\"invalid_dpop_proof\"",
        r.headers().get("WWW-Authenticate"));
  }

  @Test
  public void row5ProofWithoutAthOrForAnotherUrlIsInvalidDpop() {
    String token = mintBound();
    refused(
        quoteDpop(token, client.proof("GET", QUOTE, f.clock.now, null, null), "ACME"),
        401,
        "invalid_dpop");
    refused(
        quoteDpop(token, client.proof("GET", BASE + "/token", f.clock.now, token, null), "ACME"),
        401,
        "invalid_dpop");
    refused(
        quoteDpop(token, client.proof("POST", QUOTE, f.clock.now, token, null), "ACME"),
        401,
        "invalid_dpop");
  }

  @Test
  public void row5BoundTokenSentAsBearerIsInvalidDpop() {
    String token = mintBound();
    String proof = client.proof("GET", QUOTE, f.clock.now, token, null);
    ApiResponse r =
        ProviderApi.answer(
            () -> api.quote(headers("Authorization", "Bearer " + token, "DPoP", proof), "ACME"));
    refused(r, 401, "invalid_dpop");
  }

  @Test
  public void row6ReplayedProofIsSignalled() {
    String token = mintBound();
    String proof = client.proof("GET", QUOTE, f.clock.now, token, null);
    assertEquals(200, quoteDpop(token, proof, "ACME").status());
    ApiResponse r = quoteDpop(token, proof, "ACME");
    refused(r, 401, "replay_detected");
    assertEquals(
        "DPoP algs=\"EdDSA ES256\", error=\"invalid_dpop_proof\"",
        r.headers().get("WWW-Authenticate"));
    // deterministic: the same answer again
    refused(quoteDpop(token, proof, "ACME"), 401, "replay_detected");
  }

  @Test
  public void row7CallsBeyondMaxCallsAre429() {
    String token = mintBound();
    for (int i = 0; i < 3; i++) {
      assertEquals(200, quoteOk(token).status());
    }
    refused(quoteOk(token), 429, "max_calls_exceeded");
    String unbound = mintUnbound();
    for (int i = 0; i < 3; i++) {
      assertEquals(
          200,
          ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + unbound), "ACME"))
              .status());
    }
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + unbound), "ACME")),
        429,
        "max_calls_exceeded");
  }

  @Test
  public void unboundTokenSentAsDpopIsInvalidToken() {
    String token = mintUnbound();
    refused(quoteOk(token), 401, "invalid_token");
  }

  @Test
  public void badSymbolIs400AndUsesNoCall() {
    String token = mintBound();
    for (String bad : new String[] {"acme", "", "TOOLONGSYMBOL", "A1", "ÄB"}) {
      refused(
          quoteDpop(token, client.proof("GET", QUOTE, f.clock.now, token, null), bad),
          400,
          "invalid_symbol");
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(200, quoteOk(token).status());
    }
  }

  @Test
  public void repeatedProofsDoNotJumpTheTokenChecks() {
    String proof = client.proof("GET", QUOTE, f.clock.now, "x", null);
    refused(
        ProviderApi.answer(
            () ->
                api.quote(
                    headers("Authorization", "DPoP not.a.token", "DPoP", proof, "DPoP", proof),
                    "ACME")),
        401,
        "invalid_token");
  }

  @Test
  public void tokenChecksComeBeforeTheSymbol() {
    refused(ProviderApi.answer(() -> api.quote(headers(), null)), 401, "invalid_token");
    refused(ProviderApi.answer(() -> api.quote(headers(), "bad symbol")), 401, "invalid_token");
    String token = mintBound();
    refused(quoteDpop(token, null, null), 401, "missing_dpop");
    refused(
        quoteDpop(token, client.proof("GET", QUOTE, f.clock.now, token, null), null),
        400,
        "invalid_symbol");
  }

  @Test
  public void maxBytesCaveatRefusesALargerAnswerAndUsesNoCall() {
    CapabilityTokens tokens = new CapabilityTokens(f.identity, f.clock, BASE);
    String small =
        tokens.mint(new CapabilityTokens.Grant("quote", 1, 0, null, 600, 10, null)).token();
    refused(
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + small), "ACME")),
        403,
        "max_bytes_exceeded");
    String big =
        tokens.mint(new CapabilityTokens.Grant("quote", 1, 0, null, 600, 4096, null)).token();
    assertEquals(
        200,
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + big), "ACME"))
            .status());
  }

  @Test
  public void resourceNonceIsRequiredWhenConfigured() {
    ProviderApi strict =
        f.api(Fixture.settings(0, false, true, 0, null), new PaymentChallenge(null, null, 0));
    String proof = client.proof("POST", BASE + "/token", f.clock.now, null, null);
    String token =
        json(strict.mint(headers("DPoP", proof), new byte[0]).body()).get("token").asText();
    ApiResponse r =
        ProviderApi.answer(
            () ->
                strict.quote(
                    headers(
                        "Authorization",
                        "DPoP " + token,
                        "DPoP",
                        client.proof("GET", QUOTE, f.clock.now, token, null)),
                    "ACME"));
    refused(r, 401, "use_dpop_nonce");
    assertEquals(
        "DPoP algs=\"EdDSA ES256\", error=\"use_dpop_nonce\"", r.headers().get("WWW-Authenticate"));
    String nonce = r.headers().get("DPoP-Nonce");
    assertEquals(f.nonces.current(), nonce);
    ApiResponse ok =
        ProviderApi.answer(
            () ->
                strict.quote(
                    headers(
                        "Authorization",
                        "DPoP " + token,
                        "DPoP",
                        client.proof("GET", QUOTE, f.clock.now, token, nonce)),
                    "ACME"));
    assertEquals(200, ok.status());
    assertEquals(nonce, ok.headers().get("DPoP-Nonce"));
  }

  @Test
  public void repeatedAuthorizationOrDpopHeadersAreRefused() {
    String token = mintBound();
    String proof = client.proof("GET", QUOTE, f.clock.now, token, null);
    ApiResponse r =
        ProviderApi.answer(
            () ->
                api.quote(
                    headers("Authorization", "DPoP " + token, "DPoP", proof, "DPoP", proof),
                    "ACME"));
    refused(r, 401, "invalid_dpop");
    assertEquals(
        "DPoP algs=\"EdDSA ES256\", error=\"invalid_dpop_proof\"",
        r.headers().get("WWW-Authenticate"));
    ApiResponse twoAuth =
        ProviderApi.answer(
            () ->
                api.quote(
                    headers(
                        "Authorization",
                        "DPoP " + token,
                        "Authorization",
                        "DPoP " + token,
                        "DPoP",
                        proof),
                    "ACME"));
    refused(twoAuth, 400, "invalid_request");
  }

  @Test
  public void racingCallsNeverExceedMaxCalls() throws Exception {
    String token = mintUnbound();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
    java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
    for (int i = 0; i < 32; i++) {
      results.add(
          pool.submit(
              () -> {
                start.await();
                return ProviderApi.answer(
                        () -> api.quote(headers("Authorization", "Bearer " + token), "ACME"))
                    .status();
              }));
    }
    start.countDown();
    int ok = 0;
    int limited = 0;
    for (java.util.concurrent.Future<Integer> r : results) {
      int status = r.get(30, java.util.concurrent.TimeUnit.SECONDS);
      ok += status == 200 ? 1 : 0;
      limited += status == 429 ? 1 : 0;
    }
    pool.shutdown();
    assertEquals(3, ok);
    assertEquals(29, limited);
  }

  @Test
  public void successAnswerCarriesNoErrorHeader() {
    ApiResponse r = quoteOk(mintBound());
    assertNull(r.headers().get("x-briefcase-error"));
    assertFalse(new String(r.body()).contains("token"));
  }
}
