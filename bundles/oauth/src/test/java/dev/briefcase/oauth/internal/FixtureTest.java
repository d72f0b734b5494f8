package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The fixture is what the OAuth tests rely on: PKCE S256 only and required, DPoP (nonces required
 * on the second AS), revocation and registration advertised, and a resource that publishes RFC 9728
 * metadata and refuses anything but a DPoP-bound token.
 */
public class FixtureTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private static OAuthFixture fixture;

  @BeforeClass
  public static void start() throws Exception {
    fixture = OAuthFixture.start();
  }

  @AfterClass
  public static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String url, String type, String body, String dpop)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (dpop != null) {
      b.header("DPoP", dpop);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  public void bothAuthorizationServersAdvertiseWhatTheTestsNeed() throws Exception {
    for (String issuer : new String[] {fixture.as, fixture.asNonce}) {
      JsonNode md = MAPPER.readTree(get(issuer + "/.well-known/openid-configuration").body());
      assertEquals(issuer, md.path("issuer").asText());
      assertEquals("[\"S256\"]", md.path("code_challenge_methods_supported").toString());
      assertTrue(md.path("dpop_signing_alg_values_supported").toString().contains("ES256"));
      assertTrue(md.path("dpop_signing_alg_values_supported").toString().contains("EdDSA"));
      assertNotNull(md.get("revocation_endpoint"));
      assertNotNull(md.get("registration_endpoint"));
    }
  }

  private static String register(String issuer, String redirect) throws Exception {
    HttpResponse<String> reg =
        post(
            issuer + "/reg",
            "application/json",
            "{\"redirect_uris\":[\""
                + redirect
                + "\"],\"application_type\":\"native\",\"token_endpoint_auth_method\":\"none\"}",
            null);
    assertEquals(reg.body(), 201, reg.statusCode());
    return MAPPER.readTree(reg.body()).path("client_id").asText();
  }

  @Test
  public void pkceIsRequired() throws Exception {
    String redirect = "http://127.0.0.1:47613/callback";
    String clientId = register(fixture.as, redirect);
    HttpResponse<String> auth =
        get(
            fixture.as
                + "/auth?response_type=code&scope=api%3Aread&client_id="
                + clientId
                + "&redirect_uri="
                + java.net.URLEncoder.encode(redirect, "UTF-8")
                + "&state=s1");
    String location = auth.headers().firstValue("location").orElseThrow();
    assertTrue(location, location.startsWith(redirect));
    assertTrue(location, location.contains("error=invalid_request"));
    assertTrue(location, location.contains("PKCE"));
  }

  @Test
  public void theNonceServerAsksForANonce() throws Exception {
    ECKey key = new ECKeyGenerator(Curve.P_256).generate();
    String proof =
        new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256)
            .createDPoPJWT("POST", URI.create(fixture.asNonce + "/token"))
            .serialize();
    HttpResponse<String> res =
        post(
            fixture.asNonce + "/token",
            "application/x-www-form-urlencoded",
            "grant_type=authorization_code&code=x&code_verifier="
                + "a".repeat(43)
                + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A47613%2Fcallback&client_id="
                + register(fixture.asNonce, "http://127.0.0.1:47613/callback"),
            proof);
    assertEquals(res.body(), 400, res.statusCode());
    assertEquals("use_dpop_nonce", MAPPER.readTree(res.body()).path("error").asText());
    assertTrue(res.headers().firstValue("dpop-nonce").isPresent());
  }

  @Test
  public void theResourcePublishesMetadataAndRefusesUnboundTokens() throws Exception {
    JsonNode prm =
        MAPPER.readTree(get(fixture.rs + "/.well-known/oauth-protected-resource/api").body());
    assertEquals(fixture.rs + "/api", prm.path("resource").asText());
    assertEquals(fixture.as, prm.path("authorization_servers").get(0).asText());

    HttpResponse<String> none = get(fixture.rs + "/api");
    assertEquals(401, none.statusCode());
    String www = none.headers().firstValue("www-authenticate").orElseThrow();
    assertTrue(www, www.startsWith("DPoP "));
    assertTrue(www, www.contains("resource_metadata=\"" + fixture.rs));

    HttpResponse<String> bearer =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(fixture.rs + "/api"))
                .header("Authorization", "Bearer abc")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, bearer.statusCode());
    assertTrue(
        bearer.headers().firstValue("www-authenticate").orElseThrow().contains("invalid_token"));
  }
}
