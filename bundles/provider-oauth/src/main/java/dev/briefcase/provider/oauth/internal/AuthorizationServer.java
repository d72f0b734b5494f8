package dev.briefcase.provider.oauth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.briefcase.keys.KeyException;
import dev.briefcase.store.StoreException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference provider's OAuth 2.1 authorization server as plain Java (SPEC §8.3, §15): the
 * servlet only turns HTTP into {@link Request}s and {@link Answer}s back.
 *
 * <ul>
 *   <li>Registration (RFC 7591): public clients only ({@code token_endpoint_auth_method none}),
 *       redirect URIs https or loopback http, counts and lengths bounded.
 *   <li>Authorization: {@code response_type=code}, a known client, a registered redirect URI (exact
 *       match; for a loopback http one any port, RFC 8252 §7.3), PKCE S256 only, {@code resource} =
 *       the base URL when given, scope within the offered ones; the redirect carries {@code iss}
 *       (RFC 9207). Codes: 256 random bits, single use, bound to client, redirect URI, challenge,
 *       scope and resource, kept in memory only as their SHA-256.
 *   <li>Token: {@code authorization_code} (a replayed code fails and revokes the grant it started)
 *       and {@code refresh_token} (rotating; a reused refresh token revokes its whole family). A
 *       DPoP proof binds the access token ({@code token_type DPoP}, {@code cnf.jkt}) and the
 *       refresh token family to its key. Access tokens are EdDSA JWTs ({@code typ at+jwt}) from the
 *       identity key; refresh tokens are stored only as SHA-256 hashes.
 *   <li>Revocation (RFC 7009): always 200; a refresh token revokes its family. Access tokens are
 *       self-contained and stay valid until they expire (at most the access token lifetime).
 * </ul>
 *
 * <p>Every error carries an RFC {@code error} code; no code, verifier, token or proof is logged or
 * returned in a description. Thread-safe.
 */
final class AuthorizationServer {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizationServer.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  static final int MAX_PARAM = 2048;
  static final int MAX_REDIRECT_URIS = 8;
  static final int MAX_PENDING_CODES = 10_000;
  private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9._~-]{43,128}");
  private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");
  private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,64}");
  private static final Pattern CLIENT_NAME = Pattern.compile("[\\x20-\\x7E]{0,128}");
  private static final Pattern STATE = Pattern.compile("[\\x20-\\x7E]{1,512}");

  /** The AS's settings (the servlet's configuration, checked). */
  record Settings(
      URI base,
      boolean autoConsent,
      List<String> scopes,
      Duration accessTokenTtl,
      Duration refreshTokenTtl,
      Duration codeTtl,
      int maxClients) {}

  /** One request: its parameters (each at most once) and its DPoP headers. */
  record Request(Map<String, String> params, List<String> dpop) {
    @Override
    public String toString() {
      return "Request[[REDACTED]]";
    }
  }

  /** One answer: status, an optional redirect, a JSON body and extra headers. */
  record Answer(int status, String location, String json, Map<String, String> headers) {
    @Override
    public String toString() {
      return "Answer[" + status + "]";
    }
  }

  private record PendingCode(
      String clientId,
      String redirectUri,
      String challenge,
      String scope,
      String resource,
      String dpopJkt,
      Instant expires) {}

  /** A spent code: the grant it started (null until stored) and whether it came back since. */
  private record UsedCode(String grantId, Instant forgetAfter, boolean replayed) {}

  private final Settings settings;
  private final GrantTable table;
  private final SigningKey key;
  private final ProofCheck dpop;
  private final Clock clock;
  private final String issuer;
  private final Map<String, PendingCode> codes = new ConcurrentHashMap<>();
  // hash of a code already exchanged (or burnt by a failed exchange) → the grant it started
  private final Map<String, UsedCode> usedCodes = new ConcurrentHashMap<>();

  AuthorizationServer(
      Settings settings, GrantTable table, SigningKey key, ProofCheck dpop, Clock clock) {
    this.settings = settings;
    this.table = table;
    this.key = key;
    this.dpop = dpop;
    this.clock = clock;
    this.issuer = settings.base().toString();
  }

  String issuer() {
    return issuer;
  }

  String endpoint(String path) {
    return issuer + path;
  }

  // --- metadata -----------------------------------------------------------------------------

  /** RFC 8414 authorization server metadata. */
  Answer metadata() {
    ObjectNode md = MAPPER.createObjectNode();
    md.put("issuer", issuer);
    md.put("authorization_endpoint", endpoint("/oauth/authorize"));
    md.put("token_endpoint", endpoint("/oauth/token"));
    md.put("registration_endpoint", endpoint("/oauth/register"));
    md.put("revocation_endpoint", endpoint("/oauth/revoke"));
    md.put("jwks_uri", endpoint("/.well-known/jwks.json"));
    strings(md.putArray("scopes_supported"), settings.scopes());
    strings(md.putArray("response_types_supported"), List.of("code"));
    strings(md.putArray("response_modes_supported"), List.of("query"));
    strings(md.putArray("grant_types_supported"), List.of("authorization_code", "refresh_token"));
    strings(md.putArray("token_endpoint_auth_methods_supported"), List.of("none"));
    strings(md.putArray("revocation_endpoint_auth_methods_supported"), List.of("none"));
    strings(md.putArray("code_challenge_methods_supported"), List.of("S256"));
    strings(md.putArray("dpop_signing_alg_values_supported"), List.of("EdDSA", "ES256"));
    md.put("authorization_response_iss_parameter_supported", true);
    return json(200, md, Map.of());
  }

  /** RFC 9728 protected-resource metadata: the resource is the base URL, this AS its only AS. */
  Answer protectedResource() {
    ObjectNode md = MAPPER.createObjectNode();
    md.put("resource", issuer);
    strings(md.putArray("authorization_servers"), List.of(issuer));
    md.put("jwks_uri", endpoint("/.well-known/jwks.json"));
    strings(md.putArray("scopes_supported"), settings.scopes());
    strings(md.putArray("bearer_methods_supported"), List.of("header"));
    strings(md.putArray("resource_signing_alg_values_supported"), List.of("EdDSA"));
    strings(md.putArray("dpop_signing_alg_values_supported"), List.of("EdDSA", "ES256"));
    return json(200, md, Map.of());
  }

  // --- registration -------------------------------------------------------------------------

  /** RFC 7591 registration of a public client from a JSON body (already size-bounded). */
  Answer register(String body) {
    try {
      return json(201, registerClient(body), Map.of());
    } catch (OAuthError e) {
      return error(e);
    }
  }

  private ObjectNode registerClient(String body) throws OAuthError {
    JsonNode doc;
    try {
      doc = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new OAuthError("invalid_client_metadata", 400, "the body is not JSON");
    }
    if (doc == null || !doc.isObject()) {
      throw new OAuthError("invalid_client_metadata", 400, "the body is not a JSON object");
    }
    JsonNode method = doc.get("token_endpoint_auth_method");
    if (method != null && !"none".equals(method.asText())) {
      throw new OAuthError(
          "invalid_client_metadata", 400, "only public clients (token_endpoint_auth_method none)");
    }
    for (String field : List.of("grant_types", "response_types")) {
      JsonNode values = doc.get(field);
      if (values != null) {
        if (!values.isArray()) {
          throw new OAuthError("invalid_client_metadata", 400, field + " must be an array");
        }
        for (JsonNode v : values) {
          String s = v.asText();
          boolean ok =
              field.equals("grant_types")
                  ? s.equals("authorization_code") || s.equals("refresh_token")
                  : s.equals("code");
          if (!ok) {
            throw new OAuthError(
                "invalid_client_metadata", 400, field + " holds an unsupported value");
          }
        }
      }
    }
    JsonNode redirects = doc.get("redirect_uris");
    if (redirects == null || !redirects.isArray() || redirects.isEmpty()) {
      throw new OAuthError("invalid_redirect_uri", 400, "redirect_uris is required");
    }
    if (redirects.size() > MAX_REDIRECT_URIS) {
      throw new OAuthError(
          "invalid_redirect_uri", 400, "at most " + MAX_REDIRECT_URIS + " redirect URIs");
    }
    Set<String> uris = new LinkedHashSet<>();
    for (JsonNode r : redirects) {
      if (!r.isTextual()) {
        throw new OAuthError("invalid_redirect_uri", 400, "a redirect URI is not a string");
      }
      uris.add(checkRedirect(r.asText()));
    }
    String name = doc.path("client_name").asText("");
    if (!CLIENT_NAME.matcher(name).matches()) {
      throw new OAuthError(
          "invalid_client_metadata", 400, "client_name must be at most 128 printable characters");
    }
    String scope = doc.path("scope").asText("");
    if (!scope.isEmpty()) {
      scopeWithin(scope, settings.scopes(), "invalid_client_metadata");
    }
    String applicationType = doc.path("application_type").asText("web");
    if (!applicationType.equals("web") && !applicationType.equals("native")) {
      throw new OAuthError(
          "invalid_client_metadata", 400, "application_type must be web or native");
    }
    if (table.clientCount() >= settings.maxClients()) {
      throw new OAuthError("invalid_client_metadata", 400, "no more clients can be registered");
    }
    String clientId = randomToken(16);
    Instant now = clock.instant();
    table.insertClient(new GrantTable.Client(clientId, name, List.copyOf(uris), now));
    LOG.info("oauth client registered ({} redirect URIs)", uris.size());
    ObjectNode out = MAPPER.createObjectNode();
    out.put("client_id", clientId);
    out.put("client_id_issued_at", now.getEpochSecond());
    if (!name.isEmpty()) {
      out.put("client_name", name);
    }
    strings(out.putArray("redirect_uris"), List.copyOf(uris));
    strings(out.putArray("grant_types"), List.of("authorization_code", "refresh_token"));
    strings(out.putArray("response_types"), List.of("code"));
    out.put("token_endpoint_auth_method", "none");
    out.put("application_type", applicationType);
    if (!scope.isEmpty()) {
      out.put("scope", scope);
    }
    return out;
  }

  /** A redirect URI a client may register: https, or http on a loopback IP literal. */
  static String checkRedirect(String uri) throws OAuthError {
    if (uri.length() > 512) {
      throw new OAuthError("invalid_redirect_uri", 400, "a redirect URI is too long");
    }
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      throw new OAuthError("invalid_redirect_uri", 400, "a redirect URI does not parse");
    }
    if (!u.isAbsolute()
        || u.getRawFragment() != null
        || u.getRawUserInfo() != null
        || u.getHost() == null) {
      throw new OAuthError(
          "invalid_redirect_uri", 400, "a redirect URI must be absolute, without fragment");
    }
    String scheme = u.getScheme().toLowerCase();
    if (scheme.equals("https")) {
      return uri;
    }
    if (scheme.equals("http") && isLoopback(u.getHost())) {
      return uri;
    }
    throw new OAuthError(
        "invalid_redirect_uri", 400, "a redirect URI must be https or loopback http");
  }

  private static boolean isLoopback(String host) {
    return host.equals("127.0.0.1") || host.equals("[::1]") || host.equals("localhost");
  }

  // --- authorization ------------------------------------------------------------------------

  /**
   * The authorization endpoint. Before the redirect URI is trusted an error is a 400 JSON answer;
   * after it, a redirect with {@code error}, {@code state} and {@code iss} (RFC 6749 §4.1.2.1).
   */
  Answer authorize(Request req) {
    Map<String, String> p = req.params();
    GrantTable.Client client;
    String redirect;
    try {
      checkLengths(p);
      String clientId = p.get("client_id");
      if (clientId == null) {
        throw OAuthError.invalidRequest("client_id is required");
      }
      client =
          table
              .client(clientId)
              .orElseThrow(() -> new OAuthError("invalid_client", 400, "unknown client_id"));
      redirect = p.get("redirect_uri");
      if (redirect == null) {
        throw OAuthError.invalidRequest("redirect_uri is required");
      }
      if (!redirectMatches(client.redirectUris(), redirect)) {
        throw OAuthError.invalidRequest("redirect_uri is not registered for this client");
      }
    } catch (OAuthError e) {
      return error(e);
    }
    String state = p.get("state");
    if (state != null && !STATE.matcher(state).matches()) {
      return redirectError(redirect, null, OAuthError.invalidRequest("state is malformed"));
    }
    try {
      if (!"code".equals(p.get("response_type"))) {
        throw new OAuthError(
            "unsupported_response_type", 400, "only response_type=code is supported");
      }
      String challenge = p.get("code_challenge");
      String method = p.get("code_challenge_method");
      if (challenge == null) {
        throw OAuthError.invalidRequest("PKCE is required (code_challenge)");
      }
      if (!"S256".equals(method)) {
        throw OAuthError.invalidRequest("code_challenge_method must be S256");
      }
      if (!CHALLENGE.matcher(challenge).matches()) {
        throw OAuthError.invalidRequest("code_challenge must be 43 base64url characters");
      }
      String resource = checkResource(p.get("resource"));
      // RFC 9449 §10: the code may be bound to the key whose proof must come with it
      String dpopJkt = p.get("dpop_jkt");
      if (dpopJkt != null && !CHALLENGE.matcher(dpopJkt).matches()) {
        throw OAuthError.invalidRequest("dpop_jkt must be a SHA-256 JWK thumbprint");
      }
      String scope = p.get("scope");
      scope =
          scope == null || scope.isBlank()
              ? String.join(" ", settings.scopes())
              : scopeWithin(scope, settings.scopes(), "invalid_scope");
      if (!settings.autoConsent()) {
        throw new OAuthError("access_denied", 400, "the resource owner denied the request");
      }
      purgeCodes();
      if (codes.size() >= MAX_PENDING_CODES) {
        throw new OAuthError("temporarily_unavailable", 503, "too many codes are outstanding");
      }
      String code = randomToken(32);
      codes.put(
          sha256(code),
          new PendingCode(
              client.clientId(),
              redirect,
              challenge,
              scope,
              resource,
              dpopJkt,
              clock.instant().plus(settings.codeTtl())));
      Map<String, String> q = new LinkedHashMap<>();
      q.put("code", code);
      if (state != null) {
        q.put("state", state);
      }
      q.put("iss", issuer);
      return new Answer(302, withQuery(redirect, q), null, Map.of());
    } catch (OAuthError e) {
      return redirectError(redirect, state, e);
    }
  }

  /**
   * Exact match, except that a loopback http redirect matches on any port (RFC 8252 §7.3: a native
   * client's listener gets a new port per login).
   */
  static boolean redirectMatches(List<String> registered, String asked) {
    if (registered.contains(asked)) {
      return true;
    }
    URI a;
    try {
      a = new URI(asked);
    } catch (URISyntaxException e) {
      return false;
    }
    if (!"http".equals(a.getScheme()) || a.getHost() == null || !isLoopback(a.getHost())) {
      return false;
    }
    for (String r : registered) {
      try {
        URI u = new URI(r);
        if ("http".equals(u.getScheme())
            && a.getHost().equals(u.getHost())
            && java.util.Objects.equals(a.getRawPath(), u.getRawPath())
            && java.util.Objects.equals(a.getRawQuery(), u.getRawQuery())
            && a.getRawUserInfo() == null
            && a.getRawFragment() == null) {
          return true;
        }
      } catch (URISyntaxException e) {
        // a registered URI was checked when it was registered
      }
    }
    return false;
  }

  private Answer redirectError(String redirect, String state, OAuthError e) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("error", e.code());
    q.put("error_description", e.getMessage());
    if (state != null) {
      q.put("state", state);
    }
    q.put("iss", issuer);
    LOG.debug("authorization refused: {}", e.code());
    return new Answer(302, withQuery(redirect, q), null, Map.of());
  }

  // --- token --------------------------------------------------------------------------------

  /** The token endpoint. */
  Answer token(Request req) {
    Map<String, String> headers = new LinkedHashMap<>();
    try {
      checkLengths(req.params());
      String grantType = req.params().get("grant_type");
      if (grantType == null) {
        throw OAuthError.invalidRequest("grant_type is required");
      }
      ObjectNode out =
          switch (grantType) {
            case "authorization_code" -> codeGrant(req, headers);
            case "refresh_token" -> refreshGrant(req, headers);
            default ->
                throw new OAuthError(
                    "unsupported_grant_type",
                    400,
                    "grant_type must be authorization_code or refresh_token");
          };
      return json(200, out, headers);
    } catch (OAuthError e) {
      LOG.debug("token request refused: {}", e.code());
      String nonce = dpop.nonce();
      if (nonce != null) {
        headers.put("DPoP-Nonce", nonce);
      }
      return error(e, headers);
    } catch (KeyException e) {
      LOG.warn("token endpoint: the identity key is unavailable: {}", e.code());
      return error(
          new OAuthError("temporarily_unavailable", 503, "the signing key is unavailable"));
    } catch (StoreException e) {
      LOG.warn("token endpoint: the store is unavailable");
      return error(new OAuthError("temporarily_unavailable", 503, "the store is unavailable"));
    }
  }

  private GrantTable.Client client(Map<String, String> p) throws OAuthError {
    String clientId = p.get("client_id");
    if (clientId == null) {
      throw new OAuthError("invalid_client", 401, "client_id is required (public client)");
    }
    if (p.containsKey("client_secret") || p.containsKey("client_assertion")) {
      throw new OAuthError("invalid_client", 401, "only public clients are registered here");
    }
    return table
        .client(clientId)
        .orElseThrow(() -> new OAuthError("invalid_client", 401, "unknown client_id"));
  }

  /** The proof's thumbprint, null without a proof; more than one proof is refused. */
  private String proofJkt(Request req, Map<String, String> headers) throws OAuthError {
    String nonce = dpop.nonce();
    if (nonce != null) {
      headers.put("DPoP-Nonce", nonce);
    }
    if (req.dpop().isEmpty()) {
      return null;
    }
    if (req.dpop().size() > 1) {
      throw new OAuthError("invalid_dpop_proof", 400, "more than one DPoP header");
    }
    return dpop.jkt(req.dpop().get(0), "POST", endpoint("/oauth/token"));
  }

  private ObjectNode codeGrant(Request req, Map<String, String> headers)
      throws OAuthError, KeyException {
    Map<String, String> p = req.params();
    GrantTable.Client client = client(p);
    String code = p.get("code");
    if (code == null) {
      throw OAuthError.invalidRequest("code is required");
    }
    String verifier = p.get("code_verifier");
    if (verifier == null) {
      throw OAuthError.invalidRequest("code_verifier is required");
    }
    String jkt = proofJkt(req, headers);
    String hash = sha256(code);
    Instant now = clock.instant();
    purgeCodes();
    PendingCode pending;
    UsedCode used = null;
    // taking a code and marking it spent are one step, so a replay racing the first exchange
    // always finds the mark
    synchronized (codes) {
      pending = codes.remove(hash);
      if (pending != null) {
        // whatever follows, the code is spent: a failed exchange burns it
        usedCodes.put(hash, new UsedCode(null, pending.expires().plus(settings.codeTtl()), false));
      } else {
        // RFC 6749 §4.1.2: a code used twice revokes what it issued; when the first exchange is
        // still under way, the mark makes it revoke its own grant once stored
        used =
            usedCodes.computeIfPresent(
                hash, (k, v) -> new UsedCode(v.grantId(), v.forgetAfter(), true));
      }
    }
    if (pending == null) {
      if (used != null && used.grantId() != null) {
        table.revokeGrant(used.grantId(), now);
        LOG.warn("authorization code replayed: its grant is revoked");
      }
      throw OAuthError.invalidGrant("the code is unknown, expired or used");
    }
    Instant forget = pending.expires().plus(settings.codeTtl());
    if (!now.isBefore(pending.expires())) {
      throw OAuthError.invalidGrant("the code is unknown, expired or used");
    }
    if (!pending.clientId().equals(client.clientId())) {
      throw OAuthError.invalidGrant("the code was issued to another client");
    }
    if (!pending.redirectUri().equals(p.get("redirect_uri"))) {
      throw OAuthError.invalidGrant("redirect_uri differs from the authorization request's");
    }
    if (!VERIFIER.matcher(verifier).matches()
        || !MessageDigest.isEqual(
            sha256(verifier).getBytes(StandardCharsets.US_ASCII),
            pending.challenge().getBytes(StandardCharsets.US_ASCII))) {
      throw OAuthError.invalidGrant("the code_verifier does not match the code_challenge");
    }
    if (pending.dpopJkt() != null
        && (jkt == null
            || !MessageDigest.isEqual(
                jkt.getBytes(StandardCharsets.US_ASCII),
                pending.dpopJkt().getBytes(StandardCharsets.US_ASCII)))) {
      throw OAuthError.invalidGrant("the code is bound to another DPoP key (dpop_jkt)");
    }
    String resource = checkResource(p.get("resource"));
    if (p.get("resource") != null && !resource.equals(pending.resource())) {
      throw new OAuthError("invalid_target", 400, "resource differs from the authorization's");
    }
    GrantTable.Grant grant =
        new GrantTable.Grant(
            UUID.randomUUID().toString(),
            client.clientId(),
            pending.scope(),
            pending.resource(),
            jkt,
            false);
    String refresh = randomToken(32);
    table.insertGrant(grant, sha256(refresh), now, now.plus(settings.refreshTokenTtl()));
    UsedCode spent =
        usedCodes.compute(
            hash, (k, v) -> new UsedCode(grant.grantId(), forget, v != null && v.replayed()));
    if (spent.replayed()) {
      table.revokeGrant(grant.grantId(), now);
      LOG.warn("authorization code replayed during its exchange: its grant is revoked");
      throw OAuthError.invalidGrant("the code is unknown, expired or used");
    }
    LOG.info("oauth grant issued (dpop={})", jkt != null);
    return tokenResponse(client.clientId(), pending.scope(), jkt, refresh, now);
  }

  private ObjectNode refreshGrant(Request req, Map<String, String> headers)
      throws OAuthError, KeyException {
    Map<String, String> p = req.params();
    GrantTable.Client client = client(p);
    String refresh = p.get("refresh_token");
    if (refresh == null) {
      throw OAuthError.invalidRequest("refresh_token is required");
    }
    String jkt = proofJkt(req, headers);
    Instant now = clock.instant();
    String hash = sha256(refresh);
    GrantTable.RefreshRow row =
        table
            .refresh(hash)
            .orElseThrow(() -> OAuthError.invalidGrant("the refresh token is unknown or revoked"));
    GrantTable.Grant grant =
        table
            .grant(row.grantId())
            .orElseThrow(() -> OAuthError.invalidGrant("the refresh token is unknown or revoked"));
    if (grant.revoked()) {
      throw OAuthError.invalidGrant("the refresh token is unknown or revoked");
    }
    if (!grant.clientId().equals(client.clientId())) {
      throw OAuthError.invalidGrant("the refresh token was issued to another client");
    }
    if (row.used()) {
      // RFC 9700 §4.14.2: a rotated-out refresh token presented again revokes the family
      table.revokeGrant(grant.grantId(), now);
      LOG.warn("refresh token reused: its grant family is revoked");
      throw OAuthError.invalidGrant("the refresh token is unknown or revoked");
    }
    if (!now.isBefore(row.expiresAt())) {
      throw OAuthError.invalidGrant("the refresh token has expired");
    }
    if (grant.jkt() != null) {
      if (jkt == null) {
        throw new OAuthError(
            "invalid_dpop_proof", 400, "the refresh token is DPoP-bound: a proof is required");
      }
      if (!MessageDigest.isEqual(
          jkt.getBytes(StandardCharsets.US_ASCII),
          grant.jkt().getBytes(StandardCharsets.US_ASCII))) {
        throw OAuthError.invalidGrant("the DPoP proof's key is not the one the token is bound to");
      }
    }
    if (p.get("resource") != null && !checkResource(p.get("resource")).equals(grant.resource())) {
      throw new OAuthError("invalid_target", 400, "resource differs from the grant's");
    }
    String scope = grant.scope();
    if (p.get("scope") != null && !p.get("scope").isBlank()) {
      scope = scopeWithin(p.get("scope"), List.of(grant.scope().split(" ")), "invalid_scope");
    }
    String next = randomToken(32);
    if (!table.rotate(
        hash, grant.grantId(), sha256(next), now, now.plus(settings.refreshTokenTtl()))) {
      // a concurrent use of the same refresh token won the race: this is a reuse
      table.revokeGrant(grant.grantId(), now);
      LOG.warn("refresh token reused concurrently: its grant family is revoked");
      throw OAuthError.invalidGrant("the refresh token is unknown or revoked");
    }
    // an unbound family may still get a bound access token; a bound family keeps its key
    String bind = grant.jkt() != null ? grant.jkt() : jkt;
    return tokenResponse(client.clientId(), scope, bind, next, now);
  }

  private ObjectNode tokenResponse(
      String clientId, String scope, String jkt, String refresh, Instant now) throws KeyException {
    ObjectNode out = MAPPER.createObjectNode();
    out.put("access_token", accessToken(clientId, scope, jkt, now));
    out.put("token_type", jkt != null ? "DPoP" : "Bearer");
    out.put("expires_in", settings.accessTokenTtl().toSeconds());
    out.put("refresh_token", refresh);
    out.put("scope", scope);
    return out;
  }

  /** An RFC 9068-style access token, signed EdDSA by the identity key (CONTRACT.md). */
  String accessToken(String clientId, String scope, String jkt, Instant now) throws KeyException {
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.EdDSA)
            .type(new JOSEObjectType("at+jwt"))
            .keyID(key.kid())
            .build();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(issuer)
            .subject(clientId)
            .claim("client_id", clientId)
            .claim("scope", scope)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(settings.accessTokenTtl())))
            .jwtID(UUID.randomUUID().toString());
    if (jkt != null) {
      claims.claim("cnf", Map.of("jkt", jkt));
    }
    String input =
        header.toBase64URL()
            + "."
            + Base64URL.encode(claims.build().toString().getBytes(StandardCharsets.UTF_8));
    byte[] sig = key.sign(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + Base64URL.encode(sig);
  }

  // --- revocation ---------------------------------------------------------------------------

  /**
   * RFC 7009: 200 whenever the request is well formed, whether the token was known or not; a
   * refresh token (of the presenting client, when one is named) revokes its grant family.
   */
  Answer revoke(Request req) {
    Map<String, String> p = req.params();
    try {
      checkLengths(p);
      String token = p.get("token");
      if (token == null) {
        throw OAuthError.invalidRequest("token is required");
      }
      String hint = p.get("token_type_hint");
      if (hint != null && !hint.equals("refresh_token") && !hint.equals("access_token")) {
        throw new OAuthError("unsupported_token_type", 400, "unknown token_type_hint");
      }
      Optional<GrantTable.RefreshRow> row = table.refresh(sha256(token));
      if (row.isPresent()) {
        Optional<GrantTable.Grant> grant = table.grant(row.get().grantId());
        String clientId = p.get("client_id");
        if (grant.isPresent() && (clientId == null || clientId.equals(grant.get().clientId()))) {
          table.revokeGrant(grant.get().grantId(), clock.instant());
          LOG.info("oauth grant revoked by its refresh token");
        }
      }
      // an access token is a self-contained JWT: it lives out its lifetime (RFC 7009 §2.1)
      return new Answer(200, null, "{}", Map.of());
    } catch (OAuthError e) {
      return error(e);
    } catch (StoreException e) {
      return error(new OAuthError("temporarily_unavailable", 503, "the store is unavailable"));
    }
  }

  // --- helpers ------------------------------------------------------------------------------

  private String checkResource(String resource) throws OAuthError {
    if (resource == null) {
      return issuer;
    }
    String r = resource.endsWith("/") ? resource.substring(0, resource.length() - 1) : resource;
    if (!r.equals(issuer)) {
      throw new OAuthError("invalid_target", 400, "resource must be " + issuer);
    }
    return issuer;
  }

  /** A scope token the AS may offer (RFC 6749 §3.3). */
  static void checkScopeToken(String token) {
    if (!SCOPE_TOKEN.matcher(token).matches()) {
      throw new IllegalArgumentException("scopes must be RFC 6749 scope tokens");
    }
  }

  /** Space-separated scope tokens, each one of {@code allowed}; normalised (order kept). */
  static String scopeWithin(String scope, List<String> allowed, String code) throws OAuthError {
    Set<String> out = new LinkedHashSet<>();
    for (String t : scope.trim().split(" +")) {
      if (!SCOPE_TOKEN.matcher(t).matches() || !allowed.contains(t)) {
        throw new OAuthError(code, 400, "scope asks for more than is offered");
      }
      out.add(t);
    }
    return String.join(" ", out);
  }

  private static void checkLengths(Map<String, String> p) throws OAuthError {
    for (Map.Entry<String, String> e : p.entrySet()) {
      if (e.getValue().length() > MAX_PARAM) {
        throw OAuthError.invalidRequest("a parameter is too long");
      }
    }
  }

  private void purgeCodes() {
    Instant now = clock.instant();
    codes.values().removeIf(c -> !now.isBefore(c.expires()));
    for (Iterator<UsedCode> it = usedCodes.values().iterator(); it.hasNext(); ) {
      if (!now.isBefore(it.next().forgetAfter())) {
        it.remove();
      }
    }
  }

  static String withQuery(String base, Map<String, String> params) {
    StringBuilder sb = new StringBuilder(base);
    char sep = base.contains("?") ? '&' : '?';
    for (Map.Entry<String, String> e : params.entrySet()) {
      sb.append(sep)
          .append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
      sep = '&';
    }
    return sb.toString();
  }

  static String randomToken(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String sha256(String s) {
    try {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }

  private static Answer json(int status, ObjectNode body, Map<String, String> headers) {
    return new Answer(status, null, body.toString(), headers);
  }

  static Answer error(OAuthError e) {
    return error(e, Map.of());
  }

  static Answer error(OAuthError e, Map<String, String> headers) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("error", e.code());
    body.put("error_description", e.getMessage());
    Map<String, String> h = new LinkedHashMap<>(headers);
    if (e.status() == 401) {
      h.put("WWW-Authenticate", "Bearer error=\"" + e.code() + "\"");
    }
    return new Answer(e.status(), null, body.toString(), h);
  }

  /** For tests: the ids of revoked grants. */
  List<String> revokedGrants() {
    return new ArrayList<>(table.revokedGrants());
  }
}
