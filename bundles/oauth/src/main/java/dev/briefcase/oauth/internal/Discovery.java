package dev.briefcase.oauth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.as.AuthorizationServerMetadata;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OAuth discovery (SPEC §9): RFC 9728 protected-resource metadata, then RFC 8414 authorization
 * server metadata with the OpenID fallbacks. The PRM's {@code resource} must have the endpoint's
 * origin and be a path prefix of it, else the document is discarded; the AS's {@code issuer} must
 * equal the issuer the PRM named; an AS without {@code S256} is refused. Results are cached 300 s
 * per endpoint (PRM) and per issuer (AS metadata). Thread-safe.
 */
final class Discovery {
  static final Duration CACHE_TTL = Duration.ofSeconds(300);
  private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern RESOURCE_METADATA =
      Pattern.compile("(?i)(?:^|[\\s,])resource_metadata\\s*=\\s*\"([^\"]*)\"");

  /** What discovery found for one protected endpoint. */
  record Server(
      URI resource,
      String issuer,
      URI authorizationEndpoint,
      URI tokenEndpoint,
      URI registrationEndpoint,
      URI revocationEndpoint,
      List<String> dpopAlgorithms,
      List<String> scopes,
      boolean issParameter) {}

  private record Cached<T>(T value, Instant until) {}

  private final HttpTransport http;
  private final Clock clock;
  private final Map<String, Cached<Prm>> prms = new ConcurrentHashMap<>();
  private final Map<String, Cached<AuthorizationServerMetadata>> servers =
      new ConcurrentHashMap<>();

  private record Prm(URI resource, String issuer) {}

  Discovery(HttpTransport http, Clock clock) {
    this.http = http;
    this.clock = clock;
  }

  /** The {@code resource_metadata} URL of a 401's {@code WWW-Authenticate}, if any. */
  static String resourceMetadataUrl(String wwwAuthenticate) {
    if (wwwAuthenticate == null) {
      return null;
    }
    Matcher m = RESOURCE_METADATA.matcher(wwwAuthenticate);
    return m.find() ? m.group(1) : null;
  }

  /**
   * Discovers the AS of {@code endpoint}.
   *
   * @param wwwAuthenticate the endpoint's 401 challenge, or null
   */
  Server discover(URI endpoint, String wwwAuthenticate) throws OAuthException {
    ServerUrls.check(endpoint, "invalid_endpoint_url");
    if (endpoint.getRawQuery() != null) {
      throw new OAuthException("invalid_endpoint_url", "the endpoint URL must have no query");
    }
    Prm prm = protectedResource(endpoint, resourceMetadataUrl(wwwAuthenticate));
    AuthorizationServerMetadata as = authorizationServer(prm.issuer(), endpoint);
    List<String> algs = new ArrayList<>();
    if (as.getDPoPJWSAlgs() != null) {
      for (JWSAlgorithm a : as.getDPoPJWSAlgs()) {
        algs.add(a.getName());
      }
    }
    List<String> scopes = as.getScopes() == null ? List.of() : as.getScopes().toStringList();
    return new Server(
        prm.resource(),
        prm.issuer(),
        as.getAuthorizationEndpointURI(),
        as.getTokenEndpointURI(),
        as.getRegistrationEndpointURI(),
        as.getRevocationEndpointURI(),
        List.copyOf(algs),
        List.copyOf(scopes),
        as.supportsAuthorizationResponseIssuerParam());
  }

  private Prm protectedResource(URI endpoint, String fromChallenge) throws OAuthException {
    String key = endpoint.toString();
    Cached<Prm> hit = prms.get(key);
    if (hit != null && clock.instant().isBefore(hit.until())) {
      return hit.value();
    }
    List<URI> candidates = new ArrayList<>();
    if (fromChallenge != null) {
      candidates.add(
          ServerUrls.checkDiscovered(
              ServerUrls.check(fromChallenge, "oauth_discovery_failed"),
              endpoint,
              "oauth_discovery_failed"));
    }
    String origin = originOf(endpoint);
    String path = ServerUrls.path(endpoint);
    if (!path.equals("/")) {
      candidates.add(URI.create(origin + "/.well-known/oauth-protected-resource" + path));
    }
    candidates.add(URI.create(origin + "/.well-known/oauth-protected-resource"));
    boolean discarded = false;
    for (URI candidate : candidates) {
      JsonNode doc = fetchJson(candidate);
      if (doc == null) {
        continue;
      }
      URI resource = uriField(doc, "resource");
      if (resource == null || !ServerUrls.isPrefix(resource, endpoint)) {
        // RFC 9728 §3.3: metadata for another resource is discarded, never used
        LOG.warn(
            "discarding protected-resource metadata at {}: resource does not cover", candidate);
        discarded = true;
        continue;
      }
      JsonNode servers = doc.path("authorization_servers");
      if (!servers.isArray() || servers.isEmpty() || !servers.get(0).isTextual()) {
        throw new OAuthException(
            "oauth_discovery_failed", "protected-resource metadata names no authorization server");
      }
      String issuer = servers.get(0).asText();
      ServerUrls.checkDiscovered(
          ServerUrls.check(issuer, "oauth_discovery_failed"), endpoint, "oauth_discovery_failed");
      Prm prm = new Prm(resource, issuer);
      prms.put(key, new Cached<>(prm, clock.instant().plus(CACHE_TTL)));
      return prm;
    }
    if (discarded) {
      throw new OAuthException(
          "oauth_resource_mismatch",
          "protected-resource metadata does not name this endpoint's resource");
    }
    throw new OAuthException("oauth_discovery_failed", "no protected-resource metadata found");
  }

  private AuthorizationServerMetadata authorizationServer(String issuer, URI endpoint)
      throws OAuthException {
    URI iss =
        ServerUrls.checkDiscovered(
            ServerUrls.check(issuer, "oauth_discovery_failed"), endpoint, "oauth_discovery_failed");
    Cached<AuthorizationServerMetadata> hit = servers.get(issuer);
    if (hit != null && clock.instant().isBefore(hit.until())) {
      return hit.value();
    }
    String origin = originOf(iss);
    String path = ServerUrls.path(iss);
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    List<URI> candidates = new ArrayList<>();
    candidates.add(URI.create(origin + "/.well-known/oauth-authorization-server" + path));
    candidates.add(URI.create(origin + "/.well-known/openid-configuration" + path));
    if (!path.isEmpty()) {
      candidates.add(URI.create(origin + path + "/.well-known/openid-configuration"));
    }
    for (URI candidate : candidates) {
      JsonNode doc = fetchJson(candidate);
      if (doc == null) {
        continue;
      }
      AuthorizationServerMetadata md;
      try {
        md = AuthorizationServerMetadata.parse(doc.toString());
      } catch (ParseException e) {
        throw new OAuthException(
            "oauth_metadata_invalid", "authorization server metadata does not parse");
      }
      if (!ServerUrls.sameIssuer(md.getIssuer().getValue(), issuer)) {
        throw new OAuthException(
            "oauth_issuer_mismatch", "authorization server metadata names another issuer");
      }
      if (md.getAuthorizationEndpointURI() == null || md.getTokenEndpointURI() == null) {
        throw new OAuthException(
            "oauth_metadata_invalid", "authorization or token endpoint missing from metadata");
      }
      // the issuer's own origin vouches for its endpoints: loopback ones only for a loopback
      // issuer (which discover admits only for a loopback endpoint)
      ServerUrls.checkDiscovered(md.getAuthorizationEndpointURI(), iss, "oauth_metadata_invalid");
      ServerUrls.checkDiscovered(md.getTokenEndpointURI(), iss, "oauth_metadata_invalid");
      for (URI optional :
          new URI[] {md.getRegistrationEndpointURI(), md.getRevocationEndpointURI()}) {
        if (optional != null) {
          ServerUrls.checkDiscovered(optional, iss, "oauth_metadata_invalid");
        }
      }
      List<CodeChallengeMethod> methods = md.getCodeChallengeMethods();
      if (methods == null || !methods.contains(CodeChallengeMethod.S256)) {
        throw new OAuthException(
            "oauth_pkce_unsupported", "the authorization server does not offer PKCE S256");
      }
      servers.put(issuer, new Cached<>(md, clock.instant().plus(CACHE_TTL)));
      return md;
    }
    throw new OAuthException(
        "oauth_discovery_failed", "no authorization server metadata found for the issuer");
  }

  /** A 200 JSON object, or null for any other answer (the next candidate is tried). */
  private JsonNode fetchJson(URI url) throws OAuthException {
    HTTPRequest req = new HTTPRequest(HTTPRequest.Method.GET, url);
    req.setAccept("application/json");
    HTTPResponse res = http.send(req);
    if (res.getStatusCode() != 200) {
      return null;
    }
    try {
      JsonNode node = MAPPER.readTree(res.getBody());
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static URI uriField(JsonNode doc, String name) {
    JsonNode v = doc.get(name);
    if (v == null || !v.isTextual()) {
      return null;
    }
    try {
      return ServerUrls.check(v.asText(), "oauth_discovery_failed");
    } catch (OAuthException e) {
      return null;
    }
  }

  private static String originOf(URI u) {
    return u.getScheme() + "://" + u.getRawAuthority();
  }
}
