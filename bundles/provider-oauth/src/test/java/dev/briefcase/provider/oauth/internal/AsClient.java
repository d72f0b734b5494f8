package dev.briefcase.provider.oauth.internal;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.oauth2.sdk.token.TypelessAccessToken;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.signer.KeyAlgorithm;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test client of the AS built from Nimbus OAuth SDK requests. Every code, verifier, token and
 * proof it sees is added to {@link #secrets} for the log check.
 */
final class AsClient {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String REDIRECT = "http://127.0.0.1:47613/callback";
  static final List<String> secrets = new CopyOnWriteArrayList<>();

  private final AsFixture as;

  AsClient(AsFixture as) {
    this.as = as;
  }

  /** A public client registered with {@link #REDIRECT}. */
  String register() throws Exception {
    ClientMetadata md = new ClientMetadata();
    md.setName("test client");
    md.setRedirectionURIs(Set.of(URI.create(REDIRECT)));
    md.setGrantTypes(Set.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN));
    md.setResponseTypes(Set.of(new ResponseType(ResponseType.Value.CODE)));
    md.setTokenEndpointAuthMethod(ClientAuthenticationMethod.NONE);
    HTTPResponse res =
        new ClientRegistrationRequest(URI.create(as.url("/oauth/register")), md, null)
            .toHTTPRequest()
            .send();
    ClientRegistrationResponse parsed = ClientRegistrationResponse.parse(res);
    return ((ClientInformationResponse) parsed).getClientInformation().getID().getValue();
  }

  /** The authorization request URL with PKCE S256, state and resource. */
  URI authorizationUrl(String clientId, CodeVerifier verifier, String state) {
    return new AuthorizationRequest.Builder(
            new ResponseType(ResponseType.Value.CODE), new ClientID(clientId))
        .endpointURI(URI.create(as.url("/oauth/authorize")))
        .redirectionURI(URI.create(REDIRECT))
        .state(new State(state))
        .codeChallenge(verifier, CodeChallengeMethod.S256)
        .scope(new Scope("quote"))
        .resources(as.base)
        .build()
        .toURI();
  }

  /** GETs a URL without following redirects. */
  static HTTPResponse get(URI url) throws Exception {
    HTTPRequest req = new HTTPRequest(HTTPRequest.Method.GET, url);
    req.setFollowRedirects(false);
    return req.send();
  }

  /** The query parameters of a redirect's Location. */
  static Map<String, String> redirectParams(HTTPResponse res) {
    assertEquals(302, res.getStatusCode());
    URI location = URI.create(res.getHeaderValue("Location"));
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : location.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      out.put(
          pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  /** Authorizes and returns the code (state and iss checked). */
  String code(String clientId, CodeVerifier verifier) throws Exception {
    secrets.add(verifier.getValue());
    Map<String, String> q = redirectParams(get(authorizationUrl(clientId, verifier, "st-1")));
    assertEquals("st-1", q.get("state"));
    assertEquals(as.base.toString(), q.get("iss"));
    secrets.add(q.get("code"));
    return q.get("code");
  }

  HTTPResponse exchange(String clientId, String code, CodeVerifier verifier, String proof)
      throws Exception {
    AuthorizationGrant grant =
        new AuthorizationCodeGrant(new AuthorizationCode(code), URI.create(REDIRECT), verifier);
    HTTPRequest req =
        new TokenRequest.Builder(URI.create(as.url("/oauth/token")), new ClientID(clientId), grant)
            .resources(as.base)
            .build()
            .toHTTPRequest();
    return send(req, proof);
  }

  HTTPResponse refresh(String clientId, String refreshToken, String proof) throws Exception {
    HTTPRequest req =
        new TokenRequest.Builder(
                URI.create(as.url("/oauth/token")),
                new ClientID(clientId),
                new RefreshTokenGrant(new RefreshToken(refreshToken)))
            .build()
            .toHTTPRequest();
    return send(req, proof);
  }

  HTTPResponse revoke(String clientId, String token) throws Exception {
    return new TokenRevocationRequest(
            URI.create(as.url("/oauth/revoke")),
            new ClientID(clientId),
            new TypelessAccessToken(token))
        .toHTTPRequest()
        .send();
  }

  /** A fresh proof for the token endpoint from the key {@code dpop:<server>}. */
  String proof(String server, String nonce) throws Exception {
    String p =
        as.keys.dpopProof(
            server, KeyAlgorithm.ED25519, "POST", as.url("/oauth/token"), null, nonce);
    secrets.add(p);
    return p;
  }

  String jkt(String server) throws Exception {
    return as.keys.get(KeyDirectory.DPOP_PREFIX + server).orElseThrow().thumbprint();
  }

  private static HTTPResponse send(HTTPRequest req, String proof) throws Exception {
    if (proof != null) {
      req.setHeader("DPoP", proof);
    }
    HTTPResponse res = req.send();
    JsonNode body = json(res);
    for (String field : List.of("access_token", "refresh_token")) {
      if (body.path(field).isTextual()) {
        secrets.add(body.path(field).asText());
      }
    }
    return res;
  }

  static JsonNode json(HTTPResponse res) throws Exception {
    String body = res.getBody();
    return body == null || body.isEmpty() ? MAPPER.createObjectNode() : MAPPER.readTree(body);
  }
}
