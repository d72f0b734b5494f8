package dev.briefcase.provider.gateway.internal;

import static dev.briefcase.provider.gateway.internal.Fixture.BASE;
import static dev.briefcase.provider.gateway.internal.Fixture.headers;
import static dev.briefcase.provider.gateway.internal.Fixture.json;
import static dev.briefcase.provider.gateway.internal.QuoteChecksTest.refused;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.dpop.Thumbprints;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.Test;

/** POST /token: auth order, key binding, nonces, 402, bounded and strict input. */
public class MintTest {
  static final String TOKEN = BASE + "/token";
  static final PaymentChallenge.X402Offer OFFER =
      new PaymentChallenge.X402Offer(
          "eip155:84532",
          "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
          "0x1111111111111111111111111111111111111111",
          "1000",
          "USDC",
          "2",
          60);

  final Fixture f = new Fixture();
  final Fixture.EdKey client = new Fixture.EdKey();
  final ProviderApi free =
      f.api(Fixture.settings(0, true, false, 0, null), new PaymentChallenge(OFFER, null, 0));
  final ProviderApi priced =
      f.api(Fixture.settings(1000, true, false, 0, null), new PaymentChallenge(OFFER, null, 1000));

  ApiResponse mint(ProviderApi api, byte[] body, String... headers) {
    return ProviderApi.answer(() -> api.mint(headers(headers), body));
  }

  String access(ObjectNode claims) {
    return f.identity.jws(
        Json.newObject()
            .put("alg", "EdDSA")
            .put("typ", "at+jwt")
            .put("kid", f.identity.current().kid()),
        claims);
  }

  ObjectNode accessClaims(String scope, String jkt) {
    ObjectNode c =
        Json.newObject()
            .put("iss", BASE)
            .put("aud", BASE)
            .put("sub", "client-1")
            .put("client_id", "client-1")
            .put("scope", scope)
            .put("iat", f.clock.now.getEpochSecond())
            .put("exp", f.clock.now.getEpochSecond() + 600)
            .put("jti", "at-1");
    if (jkt != null) {
      c.putObject("cnf").put("jkt", jkt);
    }
    return c;
  }

  @Test
  public void freeMintAnswersTheContractShape() {
    ApiResponse r = mint(free, new byte[0]);
    assertEquals(200, r.status());
    JsonNode body = json(r.body());
    assertEquals("aacp_v1", body.get("compatibility_profile").asText());
    assertEquals(3, body.get("max_calls").asInt());
    assertEquals("2026-12-07T12:10:00Z", body.get("expires_at_rfc3339").asText());
    String token = body.get("token").asText();
    JsonNode header = Fixture.header(token);
    assertEquals("EdDSA", header.get("alg").asText());
    assertEquals("JWT", header.get("typ").asText());
    assertTrue(header.get("kid").asText().startsWith("did:key:z6Mk"));
    JsonNode claims = Fixture.claims(token);
    assertEquals(BASE, claims.get("iss").asText());
    assertEquals("quote", claims.get("scope").asText());
    assertEquals(600, claims.get("exp").asLong() - claims.get("iat").asLong());
    assertEquals(36, claims.get("jti").asText().length());
    assertEquals(0, claims.get("cost_microusd").asLong());
    assertNull(claims.get("cnf"));
  }

  @Test
  public void dpopMintNeedsTheServerNonceThenBindsTheProofKey() {
    ApiResponse first =
        mint(free, new byte[0], "DPoP", client.proof("POST", TOKEN, f.clock.now, null, null));
    refused(first, 400, "use_dpop_nonce");
    String nonce = first.headers().get("DPoP-Nonce");
    assertNotNull(nonce);
    ApiResponse r =
        mint(free, new byte[0], "DPoP", client.proof("POST", TOKEN, f.clock.now, null, nonce));
    assertEquals(200, r.status());
    String token = json(r.body()).get("token").asText();
    assertEquals(client.jkt(), Fixture.claims(token).get("cnf").get("jkt").asText());
    assertEquals(nonce, r.headers().get("DPoP-Nonce"));
  }

  @Test
  public void mintProofForAnotherUrlMethodOrReplayedIsRefused() {
    String nonce = f.nonces.current();
    refused(
        mint(
            free,
            new byte[0],
            "DPoP",
            client.proof("POST", BASE + "/api/quote", f.clock.now, null, nonce)),
        400,
        "invalid_dpop");
    refused(
        mint(free, new byte[0], "DPoP", client.proof("GET", TOKEN, f.clock.now, null, nonce)),
        400,
        "invalid_dpop");
    String proof = client.proof("POST", TOKEN, f.clock.now, null, nonce);
    assertEquals(200, mint(free, new byte[0], "DPoP", proof).status());
    refused(mint(free, new byte[0], "DPoP", proof), 400, "replay_detected");
  }

  @Test
  public void legacyPopHeaderBindsTheRawEd25519Key() {
    ApiResponse r = mint(free, new byte[0], "x-briefcase-pop-pub", client.x);
    assertEquals(200, r.status());
    String jkt =
        Fixture.claims(json(r.body()).get("token").asText()).get("cnf").get("jkt").asText();
    assertEquals(Thumbprints.okp("Ed25519", client.x), jkt);
    refused(mint(free, new byte[0], "x-briefcase-pop-pub", "AAAA"), 400, "invalid_pop_key");
  }

  @Test
  public void pricedUnauthenticatedMintIs402WithTheX402Challenge() {
    ApiResponse r =
        mint(
            priced,
            new byte[0],
            "DPoP",
            client.proof("POST", TOKEN, f.clock.now, null, f.nonces.current()));
    refused402(r);
    JsonNode required = json(Base64.getDecoder().decode(r.headers().get("PAYMENT-REQUIRED")));
    assertEquals(2, required.get("x402Version").asInt());
    assertEquals(TOKEN, required.get("resource").get("url").asText());
    JsonNode offer = required.get("accepts").get(0);
    assertEquals("exact", offer.get("scheme").asText());
    assertEquals("eip155:84532", offer.get("network").asText());
    assertEquals("1000", offer.get("amount").asText());
    assertEquals("0x1111111111111111111111111111111111111111", offer.get("payTo").asText());
    assertEquals(60, offer.get("maxTimeoutSeconds").asInt());
    assertEquals("USDC", offer.get("extra").get("name").asText());
    assertEquals("2", offer.get("extra").get("version").asText());
    assertNull("no L402 without an invoice source", r.headers().get("WWW-Authenticate"));
    assertFalse(required.has("error"));
  }

  static void refused402(ApiResponse r) {
    assertEquals(402, r.status());
    assertEquals("{}", new String(r.body(), StandardCharsets.UTF_8));
  }

  @Test
  public void pricedMintWithoutPayToOffersNothingAndSaysSo() {
    ProviderApi api =
        f.api(
            Fixture.settings(1000, false, false, 0, null), new PaymentChallenge(null, null, 1000));
    ApiResponse r = mint(api, new byte[0]);
    refused402(r);
    JsonNode required = json(Base64.getDecoder().decode(r.headers().get("PAYMENT-REQUIRED")));
    assertEquals(0, required.get("accepts").size());
    assertEquals("no_payment_offer", required.get("error").asText());
  }

  @Test
  public void l402ChallengeOnlyWithAnInvoiceSource() {
    InvoiceSource node = (amount, resource) -> new InvoiceSource.Invoice("bWFj", "lnbcrt10n1test");
    ProviderApi api =
        f.api(
            Fixture.settings(1000, false, false, 0, null), new PaymentChallenge(OFFER, node, 1000));
    ApiResponse r = mint(api, new byte[0]);
    assertEquals(402, r.status());
    assertEquals(
        "L402 macaroon=\"bWFj\", invoice=\"lnbcrt10n1test\"", r.headers().get("WWW-Authenticate"));
  }

  @Test
  public void boundAccessTokenWithItsProofMintsABoundCapabilityWithoutPayment() {
    String at = access(accessClaims("quote vc", client.jkt()));
    ApiResponse r =
        mint(
            priced,
            new byte[0],
            "Authorization",
            "DPoP " + at,
            "DPoP",
            client.proof("POST", TOKEN, f.clock.now, at, f.nonces.current()));
    assertEquals(new String(r.body()), 200, r.status());
    assertEquals(
        client.jkt(),
        Fixture.claims(json(r.body()).get("token").asText()).get("cnf").get("jkt").asText());
  }

  @Test
  public void boundAccessTokenWithAProofFromAnotherKeyIsRefused() {
    String at = access(accessClaims("quote", client.jkt()));
    Fixture.EdKey thief = new Fixture.EdKey();
    refused(
        mint(
            priced,
            new byte[0],
            "Authorization",
            "DPoP " + at,
            "DPoP",
            thief.proof("POST", TOKEN, f.clock.now, at, f.nonces.current())),
        400,
        "invalid_dpop");
    refused(mint(priced, new byte[0], "Authorization", "DPoP " + at), 400, "missing_dpop");
  }

  @Test
  public void boundAccessTokenSentAsBearerIsInvalidToken() {
    String at = access(accessClaims("quote", client.jkt()));
    refused(mint(priced, new byte[0], "Authorization", "Bearer " + at), 401, "invalid_token");
  }

  @Test
  public void unboundAccessTokenAsBearerMints() {
    String at = access(accessClaims("quote", null));
    assertEquals(200, mint(priced, new byte[0], "Authorization", "Bearer " + at).status());
  }

  @Test
  public void accessTokenWithoutTheScopeIsInsufficientScope() {
    String at = access(accessClaims("vc", null));
    refused(mint(priced, new byte[0], "Authorization", "Bearer " + at), 403, "insufficient_scope");
  }

  @Test
  public void expiredForeignOrWrongAudienceAccessTokensAreInvalidToken() {
    ObjectNode expired = accessClaims("quote", null);
    expired.put("exp", f.clock.now.getEpochSecond());
    refused(
        mint(priced, new byte[0], "Authorization", "Bearer " + access(expired)),
        401,
        "invalid_token");
    ObjectNode aud = accessClaims("quote", null);
    aud.put("aud", "https://other.example");
    refused(
        mint(priced, new byte[0], "Authorization", "Bearer " + access(aud)), 401, "invalid_token");
    Fixture.EdKey attacker = new Fixture.EdKey();
    String forged =
        attacker.jws(
            Json.newObject()
                .put("alg", "EdDSA")
                .put("typ", "at+jwt")
                .put("kid", f.identity.current().kid()),
            accessClaims("quote", null));
    refused(mint(priced, new byte[0], "Authorization", "Bearer " + forged), 401, "invalid_token");
  }

  @Test
  public void aCapabilityIsNoAccessToken() {
    String cap = json(mint(free, new byte[0]).body()).get("token").asText();
    refused(mint(priced, new byte[0], "Authorization", "Bearer " + cap), 401, "invalid_token");
  }

  @Test
  public void vcPathWithoutAnIssuerSaysNotSupported() {
    refused(mint(free, new byte[0], "x-vc-jwt", "eyJ.eyJ.sig"), 401, "vc_not_supported");
  }

  @Test
  public void bodyIsStrict() {
    assertEquals(
        200, mint(free, "{\"scope\":\"quote\"}".getBytes(StandardCharsets.UTF_8)).status());
    assertEquals(200, mint(free, "{}".getBytes(StandardCharsets.UTF_8)).status());
    refused(
        mint(free, "{\"scope\":\"quote\",\"scope\":\"quote\"}".getBytes(StandardCharsets.UTF_8)),
        400,
        "invalid_json");
    refused(
        mint(free, "{\"scope\":\"quote\"} x".getBytes(StandardCharsets.UTF_8)),
        400,
        "invalid_json");
    refused(mint(free, "[1]".getBytes(StandardCharsets.UTF_8)), 400, "invalid_json");
    refused(
        mint(free, "{\"scope\":\"admin\"}".getBytes(StandardCharsets.UTF_8)), 400, "invalid_scope");
    refused(mint(free, "{\"scope\":1}".getBytes(StandardCharsets.UTF_8)), 400, "invalid_scope");
    refused(
        mint(free, "{\"max_calls\":9999}".getBytes(StandardCharsets.UTF_8)),
        400,
        "invalid_request");
  }

  @Test
  public void oversizedHeadersAreRefused() {
    refused(
        mint(free, new byte[0], "Authorization", "Bearer " + "a".repeat(9000)),
        400,
        "header_too_large");
    refused(mint(free, new byte[0], "DPoP", "a".repeat(9000)), 400, "invalid_dpop");
    String proof = client.proof("POST", TOKEN, f.clock.now, null, f.nonces.current());
    refused(mint(free, new byte[0], "DPoP", proof, "DPoP", proof), 400, "invalid_dpop");
  }
}
