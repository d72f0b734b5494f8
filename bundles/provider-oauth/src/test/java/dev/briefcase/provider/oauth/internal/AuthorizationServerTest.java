package dev.briefcase.provider.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.as.AuthorizationServerMetadata;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import dev.briefcase.keys.KeyDirectory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.Test;

/**
 * The AS over HTTP (embedded Jetty), driven by Nimbus OAuth client requests: the flows a client
 * runs, and for each promise the hostile request that would break it without the defence.
 */
public class AuthorizationServerTest {

  private AsFixture as;
  private AsClient client;

  @Before
  public void start() throws Exception {
    as = AsFixture.start();
    client = new AsClient(as);
  }

  @After
  public void stop() throws Exception {
    as.close();
  }

  /** No code, verifier, token or proof a test saw reached the log. */
  @AfterClass
  public static void logHoldsNoSecret() throws Exception {
    Path log = Path.of(System.getProperty("org.slf4j.simpleLogger.logFile", "target/none.log"));
    if (!Files.exists(log) || AsClient.secrets.isEmpty()) {
      return;
    }
    String text = Files.readString(log);
    assertTrue(
        "the log is empty: the check would prove nothing",
        text.contains("oauth client registered"));
    for (String secret : AsClient.secrets) {
      assertFalse("a secret reached the log", text.contains(secret));
    }
  }

  // --- metadata -----------------------------------------------------------------------------

  @Test
  public void metadataIsWhatBriefcasesClientReads() throws Exception {
    HTTPResponse res = AsClient.get(URI.create(as.url("/.well-known/oauth-authorization-server")));
    assertEquals(200, res.getStatusCode());
    assertEquals("aacp_v1", res.getHeaderValue("x-briefcase-compatibility-profile"));
    assertEquals("no-store", res.getHeaderValue("Cache-Control"));
    AuthorizationServerMetadata md = AuthorizationServerMetadata.parse(res.getBody());
    assertEquals(as.base.toString(), md.getIssuer().getValue());
    assertEquals(URI.create(as.url("/oauth/token")), md.getTokenEndpointURI());
    assertEquals(URI.create(as.url("/oauth/revoke")), md.getRevocationEndpointURI());
    assertEquals(URI.create(as.url("/oauth/register")), md.getRegistrationEndpointURI());
    assertEquals(java.util.List.of(CodeChallengeMethod.S256), md.getCodeChallengeMethods());
    assertTrue(md.supportsAuthorizationResponseIssuerParam());
    assertTrue(md.getDPoPJWSAlgs().stream().anyMatch(a -> a.getName().equals("EdDSA")));

    JsonNode prm =
        AsClient.json(AsClient.get(URI.create(as.url("/.well-known/oauth-protected-resource"))));
    assertEquals(as.base.toString(), prm.path("resource").asText());
    assertEquals(as.base.toString(), prm.path("authorization_servers").path(0).asText());
  }

  @Test
  public void wrongMethodIs405WithTheProfileHeader() throws Exception {
    HttpResponse<String> res = raw("GET", "/oauth/token", null, null);
    assertEquals(405, res.statusCode());
    assertEquals("aacp_v1", res.headers().firstValue("x-briefcase-compatibility-profile").get());
    assertEquals("invalid_request", body(res).path("error").asText());
  }

  // --- registration -------------------------------------------------------------------------

  @Test
  public void registrationRefusesWhatIsNotAPublicClientWithSafeRedirects() throws Exception {
    assertRegistration("{\"redirect_uris\":[\"http://evil.example/cb\"]}", "invalid_redirect_uri");
    assertRegistration("{\"redirect_uris\":[\"https://a.example/cb#f\"]}", "invalid_redirect_uri");
    assertRegistration("{\"redirect_uris\":[]}", "invalid_redirect_uri");
    assertRegistration(
        "{\"redirect_uris\":[\"https://a.example/cb\"],\"token_endpoint_auth_method\":"
            + "\"client_secret_basic\"}",
        "invalid_client_metadata");
    assertRegistration(
        "{\"redirect_uris\":[\"https://a.example/cb\"],\"grant_types\":[\"password\"]}",
        "invalid_client_metadata");
    StringBuilder many = new StringBuilder("{\"redirect_uris\":[");
    for (int i = 0; i < 9; i++) {
      many.append(i == 0 ? "" : ",").append("\"https://a.example/").append(i).append('"');
    }
    assertRegistration(many.append("]}").toString(), "invalid_redirect_uri");
    assertRegistration(
        "{\"redirect_uris\":[\"https://a.example/" + "x".repeat(600) + "\"]}",
        "invalid_redirect_uri");
    assertRegistration("[1]", "invalid_client_metadata");
    assertRegistration(
        "{\"redirect_uris\":[\"https://a.example/cb\"],\"application_type\":\"<script>\"}",
        "invalid_client_metadata");
    HttpResponse<String> big =
        raw(
            "POST",
            "/oauth/register",
            "application/json",
            "{\"client_name\":\"" + "x".repeat(20_000) + "\"}");
    assertEquals(413, big.statusCode());
  }

  private void assertRegistration(String json, String error) throws Exception {
    HttpResponse<String> res = raw("POST", "/oauth/register", "application/json", json);
    assertEquals(json, 400, res.statusCode());
    assertEquals(json, error, body(res).path("error").asText());
  }

  // --- the happy path -----------------------------------------------------------------------

  @Test
  public void codeWithDpopGivesABoundSignedAccessTokenAndARotatingRefreshToken() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(clientId, verifier);
    HTTPResponse res = client.exchange(clientId, code, verifier, client.proof("k1", null));
    assertEquals(res.getBody(), 200, res.getStatusCode());
    assertEquals("no-store", res.getHeaderValue("Cache-Control"));
    JsonNode tokens = AsClient.json(res);
    assertEquals("DPoP", tokens.path("token_type").asText());
    assertEquals(600, tokens.path("expires_in").asInt());
    assertEquals("quote", tokens.path("scope").asText());
    String refresh = tokens.path("refresh_token").asText();
    assertEquals(43, refresh.length()); // 32 random bytes, b64url

    SignedJWT at = SignedJWT.parse(tokens.path("access_token").asText());
    assertEquals("EdDSA", at.getHeader().getAlgorithm().getName());
    assertEquals("at+jwt", at.getHeader().getType().getType());
    byte[] identity = SigningKey.publicKey(as.keys.get(KeyDirectory.IDENTITY).orElseThrow());
    assertEquals(SigningKey.verificationMethod(identity), at.getHeader().getKeyID());
    assertTrue(at.getHeader().getKeyID().startsWith("did:key:z6Mk"));
    assertTrue("signed by the identity key", verifies(at, identity));
    var claims = at.getJWTClaimsSet();
    assertEquals(as.base.toString(), claims.getIssuer());
    assertEquals(java.util.List.of(as.base.toString()), claims.getAudience());
    assertEquals(clientId, claims.getSubject());
    assertEquals(clientId, claims.getStringClaim("client_id"));
    assertEquals("quote", claims.getStringClaim("scope"));
    assertEquals(
        600, (claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()) / 1000);
    assertEquals(client.jkt("k1"), claims.getJSONObjectClaim("cnf").get("jkt"));

    HTTPResponse rotated = client.refresh(clientId, refresh, client.proof("k1", null));
    assertEquals(rotated.getBody(), 200, rotated.getStatusCode());
    String next = AsClient.json(rotated).path("refresh_token").asText();
    assertNotEquals(refresh, next);
    assertEquals("DPoP", AsClient.json(rotated).path("token_type").asText());
  }

  @Test
  public void anEs256ProofBindsToo() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String proof =
        as.keys.dpopProof(
            "p256",
            dev.briefcase.signer.KeyAlgorithm.P256,
            "POST",
            as.url("/oauth/token"),
            null,
            null);
    AsClient.secrets.add(proof);
    JsonNode tokens =
        AsClient.json(client.exchange(clientId, client.code(clientId, verifier), verifier, proof));
    assertEquals("DPoP", tokens.path("token_type").asText());
    assertEquals(
        client.jkt("p256"),
        SignedJWT.parse(tokens.path("access_token").asText())
            .getJWTClaimsSet()
            .getJSONObjectClaim("cnf")
            .get("jkt"));
  }

  @Test
  public void withoutAProofTheTokensAreBearer() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    HTTPResponse res = client.exchange(clientId, client.code(clientId, verifier), verifier, null);
    JsonNode tokens = AsClient.json(res);
    assertEquals("Bearer", tokens.path("token_type").asText());
    assertNull(
        SignedJWT.parse(tokens.path("access_token").asText()).getJWTClaimsSet().getClaim("cnf"));
    HTTPResponse rotated = client.refresh(clientId, tokens.path("refresh_token").asText(), null);
    assertEquals(200, rotated.getStatusCode());
  }

  @Test
  public void refreshTokensSurviveARestartStoredOnlyAsHashes() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    JsonNode tokens =
        AsClient.json(
            client.exchange(
                clientId, client.code(clientId, verifier), verifier, client.proof("k1", null)));
    String refresh = tokens.path("refresh_token").asText();
    boolean stored =
        as.store.read(
            c -> {
              try (var ps =
                  c.prepareStatement(
                      "SELECT COUNT(*) FROM provider_oauth_refresh_tokens WHERE token_hash = ?"
                          + " OR token_hash = ?")) {
                ps.setString(1, refresh);
                ps.setString(2, AuthorizationServer.sha256(refresh));
                try (var rs = ps.executeQuery()) {
                  rs.next();
                  return rs.getInt(1) == 1;
                }
              }
            });
    assertTrue("one row, keyed by the hash", stored);
    as.restart();
    HTTPResponse rotated = client.refresh(clientId, refresh, client.proof("k1", null));
    assertEquals(rotated.getBody(), 200, rotated.getStatusCode());
  }

  // --- authorization attacks ----------------------------------------------------------------

  @Test
  public void pkcePlainOrMissingIsRefusedOnTheRedirect() throws Exception {
    String clientId = client.register();
    String base =
        as.url("/oauth/authorize")
            + "?response_type=code&client_id="
            + clientId
            + "&redirect_uri="
            + enc(AsClient.REDIRECT)
            + "&state=s1";
    String challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for (String attack :
        new String[] {
          base, // no PKCE
          base + "&code_challenge=" + challenge, // no method: plain by default
          base + "&code_challenge=" + challenge + "&code_challenge_method=plain",
          base + "&code_challenge=short&code_challenge_method=S256"
        }) {
      Map<String, String> q = AsClient.redirectParams(AsClient.get(URI.create(attack)));
      assertEquals(attack, "invalid_request", q.get("error"));
      assertEquals("s1", q.get("state"));
      assertEquals(as.base.toString(), q.get("iss"));
      assertNull(q.get("code"));
    }
  }

  @Test
  public void anUnregisteredRedirectOrUnknownClientNeverRedirects() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String good = client.authorizationUrl(clientId, verifier, "s").toString();
    for (String attack :
        new String[] {
          good.replace(enc(AsClient.REDIRECT), enc("https://evil.example/callback")),
          good.replace(enc(AsClient.REDIRECT), enc("http://127.0.0.1:47613/other")),
          good.replace(enc(AsClient.REDIRECT), enc("http://127.0.0.2:47613/callback")),
          good.replace("client_id=" + clientId, "client_id=nobody"),
          good.replace("&redirect_uri=" + enc(AsClient.REDIRECT), "")
        }) {
      assertNotEquals(attack, good);
      HTTPResponse res = AsClient.get(URI.create(attack));
      assertEquals(attack, 400, res.getStatusCode());
      assertNull(res.getHeaderValue("Location"));
      String error = AsClient.json(res).path("error").asText();
      assertTrue(error, error.equals("invalid_request") || error.equals("invalid_client"));
    }
    // a loopback redirect matches on any port (RFC 8252 §7.3)
    Map<String, String> q =
        AsClient.redirectParams(
            AsClient.get(
                URI.create(
                    good.replace(enc(AsClient.REDIRECT), enc("http://127.0.0.1:50001/callback")))));
    assertTrue(q.containsKey("code"));
  }

  @Test
  public void scopeBeyondTheOfferAndAForeignResourceAreRefused() throws Exception {
    String clientId = client.register();
    String good = client.authorizationUrl(clientId, new CodeVerifier(), "s").toString();
    Map<String, String> q =
        AsClient.redirectParams(
            AsClient.get(URI.create(good.replace("scope=quote", "scope=quote+admin"))));
    assertEquals("invalid_scope", q.get("error"));
    q =
        AsClient.redirectParams(
            AsClient.get(
                URI.create(good.replace(enc(as.base.toString()), enc("https://other.example")))));
    assertEquals("invalid_target", q.get("error"));
    q =
        AsClient.redirectParams(
            AsClient.get(URI.create(good.replace("response_type=code", "response_type=token"))));
    assertEquals("unsupported_response_type", q.get("error"));
  }

  @Test
  public void consentDenyRefusesEveryAuthorization() throws Exception {
    try (AsFixture deny = AsFixture.start("deny", false)) {
      AsClient c = new AsClient(deny);
      String clientId = c.register();
      Map<String, String> q =
          AsClient.redirectParams(
              AsClient.get(c.authorizationUrl(clientId, new CodeVerifier(), "s")));
      assertEquals("access_denied", q.get("error"));
      assertEquals("s", q.get("state"));
    }
  }

  @Test
  public void oversizedOrRepeatedParametersAreRefused() throws Exception {
    String clientId = client.register();
    String good = client.authorizationUrl(clientId, new CodeVerifier(), "s").toString();
    HTTPResponse res = AsClient.get(URI.create(good + "&login_hint=" + "x".repeat(3000)));
    assertEquals(400, res.getStatusCode());
    assertEquals("invalid_request", AsClient.json(res).path("error").asText());
    res = AsClient.get(URI.create(good + "&x=" + "y".repeat(9000)));
    assertEquals(414, res.getStatusCode());
    res = AsClient.get(URI.create(good + "&client_id=" + clientId));
    assertEquals("a repeated parameter", 400, res.getStatusCode());
    assertNull(res.getHeaderValue("Location"));

    HttpResponse<String> token =
        raw(
            "POST",
            "/oauth/token",
            "application/x-www-form-urlencoded",
            "grant_type=refresh_token&client_id="
                + clientId
                + "&refresh_token="
                + "r".repeat(20_000));
    assertEquals(413, token.statusCode());
    token =
        raw(
            "POST",
            "/oauth/token",
            "application/x-www-form-urlencoded",
            "grant_type=refresh_token&client_id="
                + clientId
                + "&refresh_token="
                + "r".repeat(3000));
    assertEquals(400, token.statusCode());
    assertEquals("invalid_request", body(token).path("error").asText());
    StringBuilder many = new StringBuilder("grant_type=refresh_token");
    for (int i = 0; i < 40; i++) {
      many.append("&p").append(i).append("=1");
    }
    token = raw("POST", "/oauth/token", "application/x-www-form-urlencoded", many.toString());
    assertEquals("invalid_request", body(token).path("error").asText());
    token = raw("POST", "/oauth/token", "application/json", "{}");
    assertEquals("invalid_request", body(token).path("error").asText());
  }

  // --- token endpoint attacks ---------------------------------------------------------------

  @Test
  public void aWrongVerifierFailsAndBurnsTheCode() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(clientId, verifier);
    HTTPResponse res = client.exchange(clientId, code, new CodeVerifier(), null);
    assertEquals(400, res.getStatusCode());
    assertEquals("invalid_grant", AsClient.json(res).path("error").asText());
    res = client.exchange(clientId, code, verifier, null);
    assertEquals("the code is spent", "invalid_grant", AsClient.json(res).path("error").asText());
  }

  @Test
  public void aReplayedCodeFailsAndRevokesWhatItIssued() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(clientId, verifier);
    JsonNode first = AsClient.json(client.exchange(clientId, code, verifier, null));
    String refresh = first.path("refresh_token").asText();
    HTTPResponse replay = client.exchange(clientId, code, verifier, null);
    assertEquals(400, replay.getStatusCode());
    assertEquals("invalid_grant", AsClient.json(replay).path("error").asText());
    assertEquals(1, as.as().revokedGrants().size());
    HTTPResponse res = client.refresh(clientId, refresh, null);
    assertEquals(
        "the grant is revoked", "invalid_grant", AsClient.json(res).path("error").asText());
  }

  @Test
  public void concurrentReplaysOfACodeLeaveNoUsableGrant() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(clientId, verifier);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      java.util.List<java.util.concurrent.Future<HTTPResponse>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(pool.submit(() -> client.exchange(clientId, code, verifier, null)));
      }
      int ok = 0;
      for (java.util.concurrent.Future<HTTPResponse> f : all) {
        HTTPResponse res = f.get();
        if (res.getStatusCode() == 200) {
          ok++;
          String refresh = AsClient.json(res).path("refresh_token").asText();
          // the replays revoked it, whether they came during or after its exchange
          assertEquals(
              "invalid_grant",
              AsClient.json(client.refresh(clientId, refresh, null)).path("error").asText());
        } else {
          assertEquals(
              res.getStatusCode() + " " + res.getBody(),
              "invalid_grant",
              AsClient.json(res).path("error").asText());
        }
      }
      assertTrue(ok <= 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void aCodeLivesFiveMinutes() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(clientId, verifier);
    as.advance(java.time.Duration.ofSeconds(301));
    HTTPResponse res = client.exchange(clientId, code, verifier, null);
    assertEquals("invalid_grant", AsClient.json(res).path("error").asText());
  }

  @Test
  public void anAccessTokenLivesSixHundredSecondsAndARefreshTokenExpires() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    JsonNode tokens =
        AsClient.json(client.exchange(clientId, client.code(clientId, verifier), verifier, null));
    var claims = SignedJWT.parse(tokens.path("access_token").asText()).getJWTClaimsSet();
    assertEquals(
        600, (claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()) / 1000);
    as.advance(java.time.Duration.ofDays(31));
    HTTPResponse res = client.refresh(clientId, tokens.path("refresh_token").asText(), null);
    assertEquals("invalid_grant", AsClient.json(res).path("error").asText());
  }

  @Test
  public void aCodeIssuedToAnotherClientOrRedirectFails() throws Exception {
    String victim = client.register();
    String attacker = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(victim, verifier);
    HTTPResponse res = client.exchange(attacker, code, verifier, null);
    assertEquals("invalid_grant", AsClient.json(res).path("error").asText());

    String code2 = client.code(victim, verifier);
    HttpResponse<String> other =
        raw(
            "POST",
            "/oauth/token",
            "application/x-www-form-urlencoded",
            "grant_type=authorization_code&client_id="
                + victim
                + "&code="
                + code2
                + "&code_verifier="
                + verifier.getValue()
                + "&redirect_uri="
                + enc("http://127.0.0.1:47613/elsewhere"));
    assertEquals("invalid_grant", body(other).path("error").asText());
    HTTPResponse unknown = client.exchange("nobody", client.code(victim, verifier), verifier, null);
    assertEquals(401, unknown.getStatusCode());
    assertEquals("invalid_client", AsClient.json(unknown).path("error").asText());
  }

  @Test
  public void aReusedRefreshTokenRevokesTheWholeFamily() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String r1 =
        AsClient.json(client.exchange(clientId, client.code(clientId, verifier), verifier, null))
            .path("refresh_token")
            .asText();
    String r2 = AsClient.json(client.refresh(clientId, r1, null)).path("refresh_token").asText();
    HTTPResponse reuse = client.refresh(clientId, r1, null);
    assertEquals("invalid_grant", AsClient.json(reuse).path("error").asText());
    HTTPResponse next = client.refresh(clientId, r2, null);
    assertEquals(
        "the newest token of the family is revoked too",
        "invalid_grant",
        AsClient.json(next).path("error").asText());
  }

  @Test
  public void concurrentUsesOfARefreshTokenRevokeTheFamily() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String r1 =
        AsClient.json(client.exchange(clientId, client.code(clientId, verifier), verifier, null))
            .path("refresh_token")
            .asText();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      java.util.List<java.util.concurrent.Future<HTTPResponse>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(pool.submit(() -> client.refresh(clientId, r1, null)));
      }
      int ok = 0;
      for (java.util.concurrent.Future<HTTPResponse> f : all) {
        HTTPResponse res = f.get();
        if (res.getStatusCode() == 200) {
          ok++;
          String next = AsClient.json(res).path("refresh_token").asText();
          assertEquals(
              "invalid_grant",
              AsClient.json(client.refresh(clientId, next, null)).path("error").asText());
        } else {
          assertEquals(res.getBody(), "invalid_grant", AsClient.json(res).path("error").asText());
        }
      }
      assertTrue(ok <= 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void aRefreshTokenOfAnotherClientFails() throws Exception {
    String owner = client.register();
    String thief = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String r1 =
        AsClient.json(client.exchange(owner, client.code(owner, verifier), verifier, null))
            .path("refresh_token")
            .asText();
    assertEquals(
        "invalid_grant", AsClient.json(client.refresh(thief, r1, null)).path("error").asText());
    assertEquals(200, client.refresh(owner, r1, null).getStatusCode());
  }

  @Test
  public void aBoundRefreshTokenNeedsAProofFromItsOwnKey() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String refresh =
        AsClient.json(
                client.exchange(
                    clientId, client.code(clientId, verifier), verifier, client.proof("k1", null)))
            .path("refresh_token")
            .asText();
    HTTPResponse foreign = client.refresh(clientId, refresh, client.proof("k2", null));
    assertEquals(400, foreign.getStatusCode());
    assertEquals("invalid_grant", AsClient.json(foreign).path("error").asText());
    HTTPResponse none = client.refresh(clientId, refresh, null);
    assertEquals("invalid_dpop_proof", AsClient.json(none).path("error").asText());
    // neither attempt spent the token
    assertEquals(200, client.refresh(clientId, refresh, client.proof("k1", null)).getStatusCode());
  }

  @Test
  public void aBadOrReplayedProofIsRefusedAndSpendsNothing() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(clientId, verifier);
    String wrongHtu =
        as.keys.dpopProof(
            "k1",
            dev.briefcase.signer.KeyAlgorithm.ED25519,
            "POST",
            as.url("/oauth/revoke"),
            null,
            null);
    AsClient.secrets.add(wrongHtu);
    HTTPResponse res = client.exchange(clientId, code, verifier, wrongHtu);
    assertEquals("invalid_dpop_proof", AsClient.json(res).path("error").asText());
    res = client.exchange(clientId, code, verifier, "not.a.jwt");
    assertEquals("invalid_dpop_proof", AsClient.json(res).path("error").asText());
    String proof = client.proof("k1", null);
    assertEquals(200, client.exchange(clientId, code, verifier, proof).getStatusCode());
    String code2 = client.code(clientId, verifier);
    res = client.exchange(clientId, code2, verifier, proof);
    assertEquals(
        "a replayed proof", "invalid_dpop_proof", AsClient.json(res).path("error").asText());
  }

  @Test
  public void aCodeBoundWithDpopJktNeedsAProofFromThatKey() throws Exception {
    String clientId = client.register();
    client.proof("k1", null); // creates the key
    String jkt = client.jkt("k1");
    CodeVerifier verifier = new CodeVerifier();
    AsClient.secrets.add(verifier.getValue());
    for (String[] attempt : new String[][] {{"k2"}, {null}}) {
      URI url = URI.create(client.authorizationUrl(clientId, verifier, "s") + "&dpop_jkt=" + jkt);
      String code = AsClient.redirectParams(AsClient.get(url)).get("code");
      AsClient.secrets.add(code);
      String proof = attempt[0] == null ? null : client.proof(attempt[0], null);
      HTTPResponse res = client.exchange(clientId, code, verifier, proof);
      assertEquals("invalid_grant", AsClient.json(res).path("error").asText());
    }
    URI url = URI.create(client.authorizationUrl(clientId, verifier, "s") + "&dpop_jkt=" + jkt);
    String code = AsClient.redirectParams(AsClient.get(url)).get("code");
    AsClient.secrets.add(code);
    HTTPResponse res = client.exchange(clientId, code, verifier, client.proof("k1", null));
    assertEquals(200, res.getStatusCode());
    Map<String, String> bad =
        AsClient.redirectParams(
            AsClient.get(
                URI.create(client.authorizationUrl(clientId, verifier, "s") + "&dpop_jkt=x")));
    assertEquals("invalid_request", bad.get("error"));
  }

  @Test
  public void serverNoncesAreRequiredWhenConfigured() throws Exception {
    try (AsFixture nonced = AsFixture.start("auto", true)) {
      AsClient c = new AsClient(nonced);
      String clientId = c.register();
      CodeVerifier verifier = new CodeVerifier();
      String code = c.code(clientId, verifier);
      HTTPResponse res = c.exchange(clientId, code, verifier, c.proof("k1", null));
      assertEquals(400, res.getStatusCode());
      assertEquals("use_dpop_nonce", AsClient.json(res).path("error").asText());
      String nonce = res.getHeaderValue("DPoP-Nonce");
      assertTrue(nonce != null && !nonce.isEmpty());
      res = c.exchange(clientId, code, verifier, c.proof("k1", "stale-" + nonce));
      assertEquals("use_dpop_nonce", AsClient.json(res).path("error").asText());
      res = c.exchange(clientId, code, verifier, c.proof("k1", nonce));
      assertEquals("the code survived the nonce round trip", 200, res.getStatusCode());
      assertEquals("DPoP", AsClient.json(res).path("token_type").asText());
    }
  }

  // --- revocation ---------------------------------------------------------------------------

  @Test
  public void revokingARefreshTokenRevokesItsFamilyAndUnknownTokensGet200() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    JsonNode tokens =
        AsClient.json(client.exchange(clientId, client.code(clientId, verifier), verifier, null));
    String r1 = tokens.path("refresh_token").asText();
    String r2 = AsClient.json(client.refresh(clientId, r1, null)).path("refresh_token").asText();
    assertEquals(200, client.revoke(clientId, r2).getStatusCode());
    assertEquals(
        "invalid_grant", AsClient.json(client.refresh(clientId, r2, null)).path("error").asText());
    assertEquals(200, client.revoke(clientId, "unknown-token").getStatusCode());
    assertEquals(
        "an access token: 200, it lives out its lifetime",
        200,
        client.revoke(clientId, tokens.path("access_token").asText()).getStatusCode());
    HttpResponse<String> missing =
        raw("POST", "/oauth/revoke", "application/x-www-form-urlencoded", "client_id=" + clientId);
    assertEquals(400, missing.statusCode());
    assertEquals("invalid_request", body(missing).path("error").asText());
  }

  @Test
  public void anotherClientCannotRevokeAFamily() throws Exception {
    String owner = client.register();
    String other = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String r1 =
        AsClient.json(client.exchange(owner, client.code(owner, verifier), verifier, null))
            .path("refresh_token")
            .asText();
    assertEquals(200, client.revoke(other, r1).getStatusCode());
    assertEquals(200, client.refresh(owner, r1, null).getStatusCode());
  }

  @Test
  public void aStoreThatFailsGivesAStableCodeNotAnErrorPage() throws Exception {
    String clientId = client.register();
    CodeVerifier verifier = new CodeVerifier();
    String code = client.code(clientId, verifier);
    ((dev.briefcase.store.internal.SqliteStore) as.store).close();
    HTTPResponse res = client.exchange(clientId, code, verifier, null);
    assertEquals(503, res.getStatusCode());
    assertEquals("temporarily_unavailable", AsClient.json(res).path("error").asText());
    res = AsClient.get(client.authorizationUrl(clientId, verifier, "s"));
    assertEquals(503, res.getStatusCode());
    assertEquals("aacp_v1", res.getHeaderValue("x-briefcase-compatibility-profile"));
    HttpResponse<String> reg =
        raw(
            "POST",
            "/oauth/register",
            "application/json",
            "{\"redirect_uris\":[\"https://a.example/cb\"]}");
    assertEquals(503, reg.statusCode());
    assertEquals("temporarily_unavailable", body(reg).path("error").asText());
  }

  // --- helpers ------------------------------------------------------------------------------

  private static boolean verifies(JWSObject jws, byte[] ed25519) {
    Ed25519Signer v = new Ed25519Signer();
    v.init(false, new Ed25519PublicKeyParameters(ed25519, 0));
    byte[] input = jws.getSigningInput();
    v.update(input, 0, input.length);
    return v.verifySignature(jws.getSignature().decode());
  }

  private HttpResponse<String> raw(String method, String path, String type, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(as.url(path)));
    if (type != null) {
      b.header("Content-Type", type);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    // a fresh client per request: the server closes a connection whose body it refused unread,
    // and a pooled connection reused after that fails
    HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode body(HttpResponse<String> res) throws Exception {
    return AsClient.MAPPER.readTree(res.body());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static Instant now() {
    return Instant.now();
  }
}
