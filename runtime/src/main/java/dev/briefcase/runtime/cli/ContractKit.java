package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * The provider contract kit (SPEC §21 "Provider contract kit", §8.2, §8.3, §15): a client of a
 * provider's public contract that runs the eight checks and builds the report {@code {base_url, ok,
 * checks[{name, ok, detail}]}}.
 *
 * <p>It makes its own DPoP keys in memory (an Ed25519 key for the capability, an ES256 key as the
 * foreign key and for the OAuth client) and forgets them afterwards. A {@code detail} says what was
 * expected and what was seen, as status codes, error codes and claim names: it never contains a
 * token, a proof, an authorization code or the admin secret. Not thread-safe; one run per instance.
 */
final class ContractKit {
  static final String PROFILE_HEADER = "x-briefcase-compatibility-profile";
  static final String PROFILE = "aacp_v1";
  static final List<String> CHECKS =
      List.of(
          "profile_marker_header",
          "token_response_profile_field",
          "capability_pop_binding",
          "quote_requires_dpop_when_pop_bound",
          "quote_accepts_dpop",
          "replay_is_deterministic_and_signaled",
          "oauth_code_pkce_mints_capability",
          "revocation_signaled");

  /**
   * The loopback redirect URI registered for the code flow; nothing listens, it is not followed.
   */
  static final String REDIRECT_URI = "http://127.0.0.1:53682/callback";

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  /**
   * The error codes a detail may quote (SPEC §8.2, §8.3, RFC 6749/7591/9449). Anything else an
   * answer carries is shown as "(other)": a hostile provider could echo a token, a proof or the
   * admin secret back in an error field.
   */
  private static final Set<String> KNOWN_CODES =
      Set.of(
          PROFILE,
          "invalid_token",
          "insufficient_scope",
          "capability_revoked",
          "missing_dpop",
          "invalid_dpop",
          "invalid_dpop_proof",
          "replay_detected",
          "use_dpop_nonce",
          "max_calls_exceeded",
          "max_bytes_exceeded",
          "invalid_symbol",
          "payment_required",
          "vc_not_supported",
          "invalid_pop_key",
          "invalid_scope",
          "invalid_json",
          "invalid_request",
          "invalid_jti",
          "header_too_large",
          "body_too_large",
          "method_not_allowed",
          "not_found",
          "invalid_admin_secret",
          "admin_secret_unset",
          "secret_store_unavailable",
          "signing_key_unavailable",
          "invalid_client",
          "invalid_grant",
          "unauthorized_client",
          "unsupported_grant_type",
          "unsupported_response_type",
          "invalid_target",
          "access_denied",
          "invalid_redirect_uri",
          "invalid_client_metadata",
          "unsupported_token_type",
          "temporarily_unavailable",
          "server_error",
          "EdDSA",
          "Ed25519",
          "ES256",
          "RS256",
          "PS256",
          "HS256",
          "none");

  /** Answers larger than this are refused (fail closed; no provider answer here is large). */
  static final int MAX_BODY_BYTES = 1 << 20;

  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private final ObjectMapper json = new ObjectMapper();
  private final String base;
  private final String adminSecret;
  private final Duration timeout;
  private final HttpClient http;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, String> nonces = new HashMap<>();
  private final Map<String, Boolean> results = new LinkedHashMap<>();
  private final Map<String, String> details = new LinkedHashMap<>();
  private final List<String> unprofiled = new ArrayList<>();
  private int responses;
  private int errorResponses;

  /**
   * @param base the provider's base URL, already checked by {@link #baseUrl}
   * @param adminSecret the admin secret for {@code /api/revoke}, or null to skip that check
   * @param timeout the timeout of each HTTP exchange
   */
  ContractKit(String base, String adminSecret, Duration timeout) {
    this.base = base;
    this.adminSecret = adminSecret;
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(timeout)
            .build();
  }

  /**
   * The base URL as SPEC §8.1 wants it: https, or http on a loopback host; no user info, query,
   * fragment or path; a trailing {@code /} stripped.
   *
   * @throws IllegalArgumentException with a one-line reason for any other input
   */
  static String baseUrl(String raw) {
    if (raw == null || raw.isBlank() || raw.length() > 2048) {
      throw new IllegalArgumentException("the base URL is empty or too long");
    }
    URI uri;
    try {
      uri = new URI(raw.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the base URL is not a URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null || uri.isOpaque()) {
      throw new IllegalArgumentException("the base URL has no host");
    }
    if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("the base URL must not have user info, query or fragment");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/")) {
      throw new IllegalArgumentException("the base URL must not have a path");
    }
    if (scheme.equals("http")) {
      if (!isLoopback(uri.getHost())) {
        throw new IllegalArgumentException("http is allowed only on a loopback host; use https");
      }
    } else if (!scheme.equals("https")) {
      throw new IllegalArgumentException("the base URL must be https (or http on loopback)");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    return scheme + "://" + host + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
  }

  private static boolean isLoopback(String host) {
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    // only literal addresses: no name lookup decides what loopback is
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  // ---- the run ----

  /** Runs every check once and returns the report. */
  ObjectNode run() {
    DpopKey holder = DpopKey.ed25519();
    DpopKey foreign = DpopKey.es256();
    Map<String, JWK> jwks = jwks();

    // mint with a proof from the holder key
    String token = null;
    JsonNode claims = null;
    try {
      Exchange mint = dpop("POST", base + "/token", base + "/token", holder, null, null);
      JsonNode body = parse(mint.response);
      token = mintAnswer(mint.response, body);
      if (token != null) {
        claims = payload(token);
        binding(token, claims, holder, jwks);
      } else {
        fail("capability_pop_binding", "no capability token was minted (see the mint check)");
      }
    } catch (IOException | RuntimeException e) {
      stopped("token_response_profile_field", "the mint request failed: " + reason(e));
      stopped("capability_pop_binding", "the mint request failed: " + reason(e));
    }

    String quoteHtu = base + "/api/quote";
    String quoteUrl = quoteHtu + "?symbol=ACME";
    Exchange accepted = null;
    if (token == null) {
      fail("quote_requires_dpop_when_pop_bound", "no capability token to send");
      fail("quote_accepts_dpop", "no capability token to send");
    } else {
      try {
        requiresDpop(token, foreign, quoteUrl, quoteHtu);
      } catch (IOException | RuntimeException e) {
        stopped("quote_requires_dpop_when_pop_bound", "a quote request failed: " + reason(e));
      }
      try {
        Exchange q = dpop("GET", quoteUrl, quoteHtu, holder, token, "DPoP");
        int s = q.response.statusCode();
        record(
            "quote_accepts_dpop",
            s == 200,
            "expected 200 for the bound token with a right proof (ath"
                + (q.nonceRetried ? ", server nonce" : "")
                + "), saw "
                + describe(q.response));
        if (s == 200) {
          accepted = q;
        }
      } catch (IOException | RuntimeException e) {
        stopped("quote_accepts_dpop", "the quote request failed: " + reason(e));
      }
    }

    if (accepted == null) {
      fail("replay_is_deterministic_and_signaled", "no accepted proof to replay");
    } else {
      try {
        replay(accepted, token);
      } catch (IOException | RuntimeException e) {
        stopped("replay_is_deterministic_and_signaled", "a replay request failed: " + reason(e));
      }
    }

    try {
      oauth();
    } catch (IOException | RuntimeException e) {
      stopped("oauth_code_pkce_mints_capability", "a request failed: " + reason(e));
    }

    if (adminSecret == null) {
      fail("revocation_signaled", "skipped: no admin secret");
    } else {
      try {
        revocation(holder, quoteUrl, quoteHtu);
      } catch (IOException | RuntimeException e) {
        stopped("revocation_signaled", "a request failed: " + reason(e));
      }
    }

    try {
      // an error answer on purpose: the marker must be on errors too
      send(HttpRequest.newBuilder(URI.create(base + "/.well-known/briefcase-contract-kit-probe")));
    } catch (IOException e) {
      // the answers counted so far still decide
    }
    record(
        "profile_marker_header",
        responses > 0 && unprofiled.isEmpty(),
        responses == 0
            ? "expected " + PROFILE_HEADER + ": " + PROFILE + " on every answer, saw no answer"
            : unprofiled.isEmpty()
                ? "expected "
                    + PROFILE_HEADER
                    + ": "
                    + PROFILE
                    + " on every answer, saw it on all "
                    + responses
                    + " ("
                    + errorResponses
                    + " of them errors)"
                : "expected "
                    + PROFILE_HEADER
                    + ": "
                    + PROFILE
                    + " on every answer, missing or wrong on "
                    + unprofiled.size()
                    + " of "
                    + responses
                    + ", e.g. "
                    + String.join("; ", unprofiled.subList(0, Math.min(3, unprofiled.size()))));

    boolean ok = true;
    ArrayNode checks = json.createArrayNode();
    for (String name : CHECKS) {
      boolean passed = Boolean.TRUE.equals(results.get(name));
      ok &= passed;
      checks
          .addObject()
          .put("name", name)
          .put("ok", passed)
          .put("detail", details.getOrDefault(name, "not run"));
    }
    ObjectNode report = json.createObjectNode();
    report.put("base_url", base);
    report.put("ok", ok);
    report.set("checks", checks);
    return report;
  }

  // ---- checks ----

  /** token_response_profile_field; returns the token or null. */
  private String mintAnswer(HttpResponse<String> r, JsonNode body) {
    String name = "token_response_profile_field";
    if (r.statusCode() != 200 || body == null) {
      fail(name, "expected 200 with a JSON mint answer, saw " + describe(r));
      return null;
    }
    List<String> wrong = new ArrayList<>();
    if (!PROFILE.equals(body.path("compatibility_profile").asText(null))) {
      wrong.add("compatibility_profile=" + shown(body.get("compatibility_profile")));
    }
    JsonNode token = body.get("token");
    boolean isJwt = token != null && token.isTextual() && token.asText().split("\\.").length == 3;
    if (!isJwt) {
      wrong.add("token " + (token == null ? "absent" : "not a JWS compact string"));
    }
    JsonNode expiry = body.get("expires_at_rfc3339");
    try {
      if (expiry == null || !expiry.isTextual()) {
        throw new IllegalArgumentException();
      }
      Instant.parse(expiry.asText());
    } catch (RuntimeException e) {
      wrong.add("expires_at_rfc3339 " + (expiry == null ? "absent" : "not RFC 3339 UTC"));
    }
    JsonNode maxCalls = body.get("max_calls");
    if (maxCalls == null || !maxCalls.canConvertToLong() || maxCalls.asLong() < 1) {
      wrong.add("max_calls=" + shown(maxCalls));
    }
    record(
        name,
        wrong.isEmpty(),
        wrong.isEmpty()
            ? "expected compatibility_profile \"aacp_v1\", token, expires_at_rfc3339 and max_calls;"
                + " saw all (max_calls "
                + maxCalls.asLong()
                + ")"
            : "expected compatibility_profile \"aacp_v1\", token, expires_at_rfc3339 and max_calls;"
                + " saw "
                + String.join(", ", wrong));
    return isJwt ? token.asText() : null;
  }

  /** capability_pop_binding: cnf.jkt = the proof key's thumbprint, signature by the JWKS. */
  private void binding(String token, JsonNode claims, DpopKey holder, Map<String, JWK> jwks) {
    String name = "capability_pop_binding";
    if (claims == null) {
      fail(name, "expected a JWT whose payload is a JSON object, saw an undecodable payload");
      return;
    }
    String jkt = claims.path("cnf").path("jkt").asText(null);
    if (!holder.jkt.equals(jkt)) {
      fail(
          name,
          "expected cnf.jkt = the RFC 7638 thumbprint of the proof key, saw "
              + (jkt == null ? "no cnf.jkt" : "another thumbprint"));
      return;
    }
    String signature;
    if (jwks == null) {
      signature = "no JWKS published, signature not checked";
    } else {
      String verdict = verify(token, jwks);
      if (verdict != null) {
        fail(name, "expected cnf.jkt to match and a signature by a JWKS key, saw " + verdict);
        return;
      }
      signature = "signature verified with the JWKS";
    }
    pass(name, "expected cnf.jkt = the proof key's RFC 7638 thumbprint, saw it; " + signature);
  }

  private void requiresDpop(String token, DpopKey foreign, String url, String htu)
      throws IOException {
    String name = "quote_requires_dpop_when_pop_bound";
    HttpResponse<String> bare =
        send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "DPoP " + token));
    boolean missingOk = bare.statusCode() == 401 && "missing_dpop".equals(code(bare));
    Exchange other = dpop("GET", url, htu, foreign, token, "DPoP");
    boolean foreignOk =
        other.response.statusCode() == 401 && "invalid_dpop".equals(code(other.response));
    record(
        name,
        missingOk && foreignOk,
        "expected 401 missing_dpop without a proof and 401 invalid_dpop with another key's proof,"
            + " saw "
            + describe(bare)
            + " and "
            + describe(other.response));
  }

  private void replay(Exchange accepted, String token) throws IOException {
    String name = "replay_is_deterministic_and_signaled";
    List<String> seen = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(URI.create(accepted.url))
                  .header("Authorization", "DPoP " + token)
                  .header("DPoP", accepted.proof));
      String www = String.join(", ", r.headers().allValues("WWW-Authenticate"));
      boolean signaled =
          r.statusCode() == 401
              && www.contains("error=\"invalid_dpop_proof\"")
              && "replay_detected".equals(r.headers().firstValue("x-briefcase-error").orElse(null));
      ok &= signaled;
      seen.add(
          r.statusCode()
              + (www.contains("error=\"invalid_dpop_proof\"") ? " invalid_dpop_proof" : "")
              + " x-briefcase-error="
              + safe(r.headers().firstValue("x-briefcase-error").orElse("none")));
    }
    record(
        name,
        ok,
        "expected every resend of an accepted proof to get 401 + WWW-Authenticate DPoP"
            + " error=\"invalid_dpop_proof\" + x-briefcase-error: replay_detected, saw "
            + String.join("; ", seen));
  }

  private void oauth() throws IOException {
    String name = "oauth_code_pkce_mints_capability";
    // RFC 9728, then RFC 8414 at the issuer it names
    HttpResponse<String> prm =
        send(HttpRequest.newBuilder(URI.create(base + "/.well-known/oauth-protected-resource")));
    JsonNode resourceMd = prm.statusCode() == 200 ? parse(prm) : null;
    String issuer;
    String resource = base;
    if (resourceMd != null && resourceMd.path("authorization_servers").isArray()) {
      issuer = resourceMd.path("authorization_servers").path(0).asText(null);
      resource = resourceMd.path("resource").asText(base);
      if (issuer == null) {
        fail(name, "no authorization server: RFC 9728 metadata lists no authorization_servers");
        return;
      }
      if (!httpsOrLoopback(issuer) || issuer.contains("?") || issuer.contains("#")) {
        fail(name, "expected an https (or loopback http) issuer without query, saw another");
        return;
      }
    } else {
      fail(
          name,
          "no authorization server: expected RFC 9728 metadata at"
              + " /.well-known/oauth-protected-resource, saw "
              + describe(prm));
      return;
    }
    URI iss = URI.create(issuer);
    String issPath =
        iss.getRawPath() == null || iss.getRawPath().equals("/") ? "" : iss.getRawPath();
    String mdUrl =
        iss.getScheme()
            + "://"
            + iss.getRawAuthority()
            + "/.well-known/oauth-authorization-server"
            + issPath;
    HttpResponse<String> asr = send(HttpRequest.newBuilder(URI.create(mdUrl)));
    JsonNode as = asr.statusCode() == 200 ? parse(asr) : null;
    if (as == null) {
      fail(name, "no authorization server: expected RFC 8414 metadata, saw " + describe(asr));
      return;
    }
    if (!issuer.equals(as.path("issuer").asText(null))) {
      fail(name, "expected RFC 8414 issuer = the RFC 9728 authorization server, saw another");
      return;
    }
    JsonNode methods = as.get("code_challenge_methods_supported");
    if (methods == null || !methods.toString().contains("\"S256\"")) {
      fail(name, "expected code_challenge_methods_supported with S256, saw " + shown(methods));
      return;
    }
    String registration = endpoint(as, "registration_endpoint");
    String authorize = endpoint(as, "authorization_endpoint");
    String tokenEndpoint = endpoint(as, "token_endpoint");
    if (registration == null || authorize == null || tokenEndpoint == null) {
      fail(
          name,
          "expected registration_endpoint, authorization_endpoint and token_endpoint (https or"
              + " loopback http), saw "
              + (registration == null ? "no usable registration_endpoint" : "")
              + (authorize == null ? " no usable authorization_endpoint" : "")
              + (tokenEndpoint == null ? " no usable token_endpoint" : ""));
      return;
    }
    String scope = "quote";

    ObjectNode client = json.createObjectNode();
    client.putArray("redirect_uris").add(REDIRECT_URI);
    client.put("token_endpoint_auth_method", "none");
    client.putArray("grant_types").add("authorization_code");
    client.putArray("response_types").add("code");
    client.put("client_name", "briefcase provider check");
    client.put("application_type", "native");
    HttpResponse<String> reg =
        send(
            HttpRequest.newBuilder(URI.create(registration))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(client.toString())));
    JsonNode registered = reg.statusCode() == 201 || reg.statusCode() == 200 ? parse(reg) : null;
    String clientId = registered == null ? null : registered.path("client_id").asText(null);
    if (clientId == null) {
      fail(name, "expected 201 with a client_id from dynamic registration, saw " + describe(reg));
      return;
    }

    byte[] verifierBytes = new byte[32];
    random.nextBytes(verifierBytes);
    String verifier = B64.encodeToString(verifierBytes);
    String challenge = B64.encodeToString(sha256(verifier.getBytes(StandardCharsets.US_ASCII)));
    byte[] stateBytes = new byte[16];
    random.nextBytes(stateBytes);
    String state = B64.encodeToString(stateBytes);
    Map<String, String> q = new LinkedHashMap<>();
    q.put("response_type", "code");
    q.put("client_id", clientId);
    q.put("redirect_uri", REDIRECT_URI);
    q.put("code_challenge", challenge);
    q.put("code_challenge_method", "S256");
    q.put("state", state);
    q.put("scope", scope);
    q.put("resource", resource);
    HttpResponse<String> auth =
        send(
            HttpRequest.newBuilder(
                URI.create(authorize + (authorize.contains("?") ? "&" : "?") + form(q))));
    String location = auth.headers().firstValue("Location").orElse(null);
    if (auth.statusCode() / 100 != 3 || location == null) {
      fail(
          name,
          "expected a redirect to the client with a code (the consent must be automatic for this"
              + " check), saw "
              + describe(auth));
      return;
    }
    Map<String, String> back;
    try {
      URI loc = new URI(location);
      if (!(loc.getScheme() + "://" + loc.getRawAuthority() + loc.getRawPath())
          .equals(REDIRECT_URI)) {
        fail(name, "expected the redirect to go to the registered redirect URI, it went elsewhere");
        return;
      }
      back = query(loc.getRawQuery());
    } catch (URISyntaxException e) {
      fail(name, "expected a redirect URI in Location, saw a malformed one");
      return;
    }
    if (back.containsKey("error")) {
      fail(name, "expected a code, the redirect carried error=" + safe(back.get("error")));
      return;
    }
    if (!state.equals(back.get("state")) || back.get("code") == null) {
      fail(name, "expected the redirect to carry a code and the same state, saw otherwise");
      return;
    }
    if (back.containsKey("iss") && !issuer.equals(back.get("iss"))) {
      fail(name, "expected RFC 9207 iss = the issuer in the redirect, saw another");
      return;
    }

    DpopKey oauthKey = DpopKey.es256();
    Map<String, String> exchange = new LinkedHashMap<>();
    exchange.put("grant_type", "authorization_code");
    exchange.put("code", back.get("code"));
    exchange.put("redirect_uri", REDIRECT_URI);
    exchange.put("client_id", clientId);
    exchange.put("code_verifier", verifier);
    exchange.put("resource", resource);
    Exchange tok = dpopForm(tokenEndpoint, oauthKey, form(exchange));
    JsonNode tokens = tok.response.statusCode() == 200 ? parse(tok.response) : null;
    String accessToken = tokens == null ? null : tokens.path("access_token").asText(null);
    if (accessToken == null) {
      fail(
          name,
          "expected 200 with an access_token from the code exchange, saw "
              + describe(tok.response));
      return;
    }
    String type = tokens.path("token_type").asText("Bearer");
    boolean bound = type.equalsIgnoreCase("DPoP");
    Exchange mint =
        bound
            ? dpop("POST", base + "/token", base + "/token", oauthKey, accessToken, "DPoP")
            : new Exchange(
                send(
                    HttpRequest.newBuilder(URI.create(base + "/token"))
                        .header("Authorization", "Bearer " + accessToken)
                        .POST(HttpRequest.BodyPublishers.noBody())),
                null,
                base + "/token",
                false);
    JsonNode minted = mint.response.statusCode() == 200 ? parse(mint.response) : null;
    boolean ok = minted != null && minted.path("token").isTextual();
    record(
        name,
        ok,
        "expected RFC 9728 + 8414 discovery, registration, a PKCE S256 code, its exchange ("
            + (bound ? "DPoP-bound" : "Bearer")
            + " access token) and then a 200 mint with that access token; "
            + (ok ? "saw all of them" : "the mint answered " + describe(mint.response)));
  }

  private void revocation(DpopKey holder, String url, String htu) throws IOException {
    String name = "revocation_signaled";
    Exchange mint = dpop("POST", base + "/token", base + "/token", holder, null, null);
    JsonNode body = mint.response.statusCode() == 200 ? parse(mint.response) : null;
    String token = body == null ? null : body.path("token").asText(null);
    JsonNode claims = token == null ? null : payload(token);
    String jti = claims == null ? null : claims.path("jti").asText(null);
    if (jti == null) {
      fail(
          name, "expected a fresh capability with a jti to revoke, saw " + describe(mint.response));
      return;
    }
    HttpResponse<String> revoke =
        send(
            HttpRequest.newBuilder(URI.create(base + "/api/revoke"))
                .header("Content-Type", "application/json")
                .header("x-aag-admin-secret", adminSecret)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        json.createObjectNode().put("jti", jti).toString())));
    if (revoke.statusCode() != 200) {
      fail(
          name,
          "expected 200 from POST /api/revoke with the admin secret, saw " + describe(revoke));
      return;
    }
    Exchange after = dpop("GET", url, htu, holder, token, "DPoP");
    String header = after.response.headers().firstValue("x-briefcase-error").orElse(null);
    record(
        name,
        after.response.statusCode() == 403 && "capability_revoked".equals(header),
        "expected 403 + x-briefcase-error: capability_revoked for the revoked jti, saw "
            + describe(after.response));
  }

  // ---- JWKS and JWT ----

  /** The published keys by kid (a key without kid under ""), or null when none are published. */
  private Map<String, JWK> jwks() {
    try {
      HttpResponse<String> r =
          send(HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")));
      if (r.statusCode() != 200) {
        return null;
      }
      Map<String, JWK> keys = new LinkedHashMap<>();
      for (JWK k : com.nimbusds.jose.jwk.JWKSet.parse(r.body()).getKeys()) {
        if (!k.isPrivate()) {
          keys.put(k.getKeyID() == null ? "" : k.getKeyID(), k);
        }
      }
      return keys.isEmpty() ? null : keys;
    } catch (IOException | java.text.ParseException e) {
      return null;
    }
  }

  /** Null when the token verifies with the JWKS key its kid names, else what went wrong. */
  private static String verify(String token, Map<String, JWK> jwks) {
    try {
      JWSObject jws = JWSObject.parse(token);
      String kid = jws.getHeader().getKeyID();
      JWK key = jwks.get(kid == null ? "" : kid);
      if (key == null && jwks.size() == 1 && kid == null) {
        key = jwks.values().iterator().next();
      }
      if (key == null) {
        return "a kid not in the JWKS";
      }
      JWSAlgorithm alg = jws.getHeader().getAlgorithm();
      boolean ok;
      if (alg.equals(JWSAlgorithm.EdDSA) || alg.equals(JWSAlgorithm.Ed25519)) {
        if (!(key instanceof OctetKeyPair okp) || !Curve.Ed25519.equals(okp.getCurve())) {
          return "an EdDSA signature but a JWKS key that is not Ed25519";
        }
        byte[] spki = concat(ED25519_SPKI_PREFIX, okp.getX().decode());
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(
            KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
        v.update(jws.getSigningInput());
        ok = v.verify(jws.getSignature().decode());
      } else if (JWSAlgorithm.Family.EC.contains(alg) && key instanceof ECKey ec) {
        ok = jws.verify(new ECDSAVerifier(ec));
      } else if (JWSAlgorithm.Family.RSA.contains(alg) && key instanceof RSAKey rsa) {
        ok = jws.verify(new RSASSAVerifier(rsa));
      } else {
        return "alg " + safe(alg.getName()) + " with a JWKS key of another type";
      }
      return ok ? null : "a signature that does not verify with the JWKS key";
    } catch (java.text.ParseException | JOSEException | GeneralSecurityException e) {
      return "a token or key that cannot be checked";
    }
  }

  private JsonNode payload(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) {
      return null;
    }
    try {
      JsonNode n = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
      return n != null && n.isObject() ? n : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  // ---- HTTP ----

  /** One request and its answer; {@code proof} is the DPoP proof sent last, never printed. */
  private record Exchange(
      HttpResponse<String> response, String proof, String url, boolean nonceRetried) {}

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException {
    HttpResponse<String> r;
    try {
      r = http.send(b.timeout(timeout).build(), ContractKit::cappedBody);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } catch (IOException | java.io.UncheckedIOException e) {
      Throwable cause = e instanceof java.io.UncheckedIOException ? e.getCause() : e;
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof TooLarge) {
          cause = t;
        }
      }
      // the kind of failure and our own path only: never a message that could quote a header
      throw new IOException(
          (cause instanceof TooLarge
                  ? "an answer larger than " + MAX_BODY_BYTES + " bytes"
                  : cause.getClass().getSimpleName())
              + " on "
              + where(b));
    }
    responses++;
    if (r.statusCode() >= 400) {
      errorResponses++;
    }
    List<String> profile = r.headers().allValues(PROFILE_HEADER);
    if (profile.size() != 1 || !PROFILE.equals(profile.get(0).strip())) {
      unprofiled.add(
          r.request().method()
              + " "
              + r.uri().getRawPath()
              + " -> "
              + r.statusCode()
              + " ("
              + (profile.isEmpty() ? "no header" : "value " + safe(String.join(",", profile)))
              + ")");
    }
    r.headers()
        .firstValue("DPoP-Nonce")
        .ifPresent(n -> nonces.put(r.uri().getScheme() + "://" + r.uri().getRawAuthority(), n));
    return r;
  }

  /** The body as UTF-8, at most {@link #MAX_BODY_BYTES}; a longer one fails the exchange. */
  private static HttpResponse.BodySubscriber<String> cappedBody(HttpResponse.ResponseInfo info) {
    return HttpResponse.BodySubscribers.mapping(
        HttpResponse.BodySubscribers.ofInputStream(),
        in -> {
          try (in) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
              throw new java.io.UncheckedIOException(new TooLarge());
            }
            return new String(bytes, StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  /** An answer over {@link #MAX_BODY_BYTES}. */
  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;
  }

  private static String where(HttpRequest.Builder b) {
    URI u = b.copy().build().uri();
    return u.getRawPath();
  }

  /**
   * A DPoP request; on a {@code use_dpop_nonce} answer (RFC 9449 §8–9) it retries once with the
   * nonce the server gave. {@code scheme} null sends no Authorization.
   */
  private Exchange dpop(
      String method, String url, String htu, DpopKey key, String accessToken, String scheme)
      throws IOException {
    boolean retried = false;
    while (true) {
      String proof = key.proof(method, htu, accessToken, nonces.get(origin(url)));
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("DPoP", proof);
      if (scheme != null) {
        b.header("Authorization", scheme + " " + accessToken);
      }
      b.method(method, HttpRequest.BodyPublishers.noBody());
      HttpResponse<String> r = send(b);
      if (!retried && asksForNonce(r)) {
        retried = true;
        continue;
      }
      return new Exchange(r, proof, url, retried);
    }
  }

  private Exchange dpopForm(String url, DpopKey key, String body) throws IOException {
    String htu = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
    boolean retried = false;
    while (true) {
      String proof = key.proof("POST", htu, null, nonces.get(origin(url)));
      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(URI.create(url))
                  .header("DPoP", proof)
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .POST(HttpRequest.BodyPublishers.ofString(body)));
      if (!retried && asksForNonce(r)) {
        retried = true;
        continue;
      }
      return new Exchange(r, proof, url, retried);
    }
  }

  private boolean asksForNonce(HttpResponse<String> r) {
    if (r.headers().firstValue("DPoP-Nonce").isEmpty()) {
      return false;
    }
    if (r.statusCode() == 400) {
      return "use_dpop_nonce".equals(code(r));
    }
    return r.statusCode() == 401
        && String.join(",", r.headers().allValues("WWW-Authenticate")).contains("use_dpop_nonce");
  }

  private static String origin(String url) {
    URI u = URI.create(url);
    return u.getScheme() + "://" + u.getRawAuthority();
  }

  private JsonNode parse(HttpResponse<String> r) {
    try {
      JsonNode n = json.readTree(r.body());
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The error code of an answer: x-briefcase-error, else the body's {@code error}. */
  private String code(HttpResponse<String> r) {
    String header = r.headers().firstValue("x-briefcase-error").orElse(null);
    if (header != null) {
      return header;
    }
    JsonNode body = parse(r);
    return body == null ? null : body.path("error").asText(null);
  }

  /** Status and error code only: answers may carry tokens, so bodies are never shown. */
  private String describe(HttpResponse<String> r) {
    String c = code(r);
    return r.statusCode() + (c == null ? "" : " " + safe(c));
  }

  private static String safe(String s) {
    return s != null && KNOWN_CODES.contains(s) ? s : "(other)";
  }

  private static String shown(JsonNode n) {
    if (n == null) {
      return "absent";
    }
    return n.isTextual()
        ? "\"" + safe(n.asText()) + "\""
        : n.isNumber() ? n.toString() : n.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  private static String endpoint(JsonNode md, String field) {
    String v = md.path(field).asText(null);
    return v != null && httpsOrLoopback(v) && !v.contains("#") ? v : null;
  }

  /** An absolute https URL, or http on a loopback host, without user info (a path is allowed). */
  static boolean httpsOrLoopback(String url) {
    try {
      URI u = new URI(url);
      if (u.getHost() == null || u.getRawUserInfo() != null) {
        return false;
      }
      baseUrl(u.getScheme() + "://" + u.getRawAuthority());
      return true;
    } catch (URISyntaxException | IllegalArgumentException e) {
      return false;
    }
  }

  private static String form(Map<String, String> params) {
    StringJoiner j = new StringJoiner("&");
    params.forEach(
        (k, v) ->
            j.add(
                URLEncoder.encode(k, StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return j.toString();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k =
          java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v =
          eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }

  // ---- results ----

  /**
   * Why a step stopped: our own one-line message for an I/O failure; only the exception's type
   * otherwise, since a parser's message may quote the provider's answer.
   */
  private static String reason(Exception e) {
    return e instanceof IOException
        ? e.getMessage()
        : "an unexpected answer (" + e.getClass().getSimpleName() + ")";
  }

  private void record(String name, boolean ok, String detail) {
    results.put(name, ok);
    details.put(name, detail);
  }

  private void pass(String name, String detail) {
    record(name, true, detail);
  }

  private void fail(String name, String detail) {
    record(name, false, detail);
  }

  /** A failure for a check the step had not decided yet (a decided check keeps its verdict). */
  private void stopped(String name, String detail) {
    if (!results.containsKey(name)) {
      fail(name, detail);
    }
  }

  static byte[] sha256(byte[] in) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(in);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  // ---- DPoP keys ----

  /** An ephemeral DPoP key in memory: its public JWK, RFC 7638 thumbprint and a signer. */
  static final class DpopKey {
    final JWK publicJwk;
    final String jkt;
    final JWSAlgorithm alg;
    private final JWSSigner signer;

    private DpopKey(JWK publicJwk, JWSAlgorithm alg, JWSSigner signer) {
      this.publicJwk = publicJwk;
      this.alg = alg;
      this.signer = signer;
      try {
        this.jkt = publicJwk.computeThumbprint().toString();
      } catch (JOSEException e) {
        throw new IllegalStateException("thumbprint", e);
      }
    }

    static DpopKey es256() {
      try {
        ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        return new DpopKey(key.toPublicJWK(), JWSAlgorithm.ES256, new ECDSASigner(key));
      } catch (JOSEException e) {
        throw new IllegalStateException("ES256 key", e);
      }
    }

    /** Ed25519 on the JDK's own EdDSA (Nimbus would need Tink to sign). */
    static DpopKey ed25519() {
      try {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = pair.getPublic().getEncoded();
        byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
        OctetKeyPair jwk = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(x)).build();
        return new DpopKey(jwk, JWSAlgorithm.EdDSA, new Ed25519Signer(pair.getPrivate()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("Ed25519 key", e);
      }
    }

    /** An RFC 9449 §4.2 proof: jti, htm, htu, iat, and ath / nonce when given. */
    String proof(String htm, String htu, String accessToken, String nonce) {
      JWTClaimsSet.Builder claims =
          new JWTClaimsSet.Builder()
              .jwtID(UUID.randomUUID().toString())
              .claim("htm", htm)
              .claim("htu", htu)
              .issueTime(Date.from(Instant.now()));
      if (accessToken != null) {
        claims.claim(
            "ath", B64.encodeToString(sha256(accessToken.getBytes(StandardCharsets.US_ASCII))));
      }
      if (nonce != null) {
        claims.claim("nonce", nonce);
      }
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(alg)
                  .type(new JOSEObjectType("dpop+jwt"))
                  .jwk(publicJwk)
                  .build(),
              claims.build());
      try {
        jwt.sign(signer);
      } catch (JOSEException e) {
        throw new IllegalStateException("DPoP proof", e);
      }
      return jwt.serialize();
    }
  }

  /** A Nimbus signer for Ed25519 over the JDK's provider. */
  private static final class Ed25519Signer implements JWSSigner {
    private final PrivateKey key;
    private final JCAContext context = new JCAContext();

    Ed25519Signer(PrivateKey key) {
      this.key = key;
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
      try {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key);
        s.update(signingInput);
        return Base64URL.encode(s.sign());
      } catch (GeneralSecurityException e) {
        throw new JOSEException("Ed25519 signature failed", e);
      }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
      return Set.of(JWSAlgorithm.EdDSA);
    }

    @Override
    public JCAContext getJCAContext() {
      return context;
    }
  }
}
