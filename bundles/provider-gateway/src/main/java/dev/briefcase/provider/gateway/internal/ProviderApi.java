package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.dpop.DpopException;
import dev.briefcase.dpop.DpopProof;
import dev.briefcase.dpop.DpopRequest;
import dev.briefcase.dpop.DpopVerifier;
import dev.briefcase.dpop.Thumbprints;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.VcException;
import dev.briefcase.vc.VcJwt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The reference provider's routes as plain Java (SPEC §8.2, §15): the mint, the quote with the §8.2
 * checks in order, the jti revocation, the JWKS, and the VC issue, status list and VC admin routes
 * over {@link VcIssuer}. The servlet only moves bytes. Thread-safe.
 */
final class ProviderApi {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ProviderApi.class);
  static final String DPOP_ALGS = "DPoP algs=\"EdDSA ES256\"";
  static final int MAX_AUTHORIZATION_CHARS = Jws.MAX_TOKEN_CHARS + 16;
  static final int MAX_PROOF_CHARS = DpopVerifier.MAX_PROOF_CHARS;
  static final int MAX_VC_CHARS = 64 * 1024;
  static final int MAX_ADMIN_SECRET_CHARS = 1024;
  private static final Pattern JTI = Pattern.compile("[\\x21-\\x7e]{1,128}");
  private static final Pattern VC_ID =
      Pattern.compile("urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  static final String VC_SCOPE = "vc";
  static final int MAX_DID_CHARS = 256;

  private final Settings settings;
  private final Clock clock;
  private final TokenKey key;
  private final CapabilityTokens capabilities;
  private final AccessTokens accessTokens;
  // the mint and VC issue verify against one replay cache, the quote against another: a flood
  // of proofs at the open mint must not fill the cache that holders of capabilities need
  private final DpopVerifier mintDpop;
  private final DpopVerifier resourceDpop;
  private final Denylist denylist;
  private final UsageCounter usage;
  private final PaymentChallenge payment;
  private final VcIssuer vc;
  private final Supplier<Optional<byte[]>> adminSecret;

  ProviderApi(
      Settings settings,
      Clock clock,
      TokenKey key,
      DpopVerifier mintDpop,
      DpopVerifier resourceDpop,
      Denylist denylist,
      PaymentChallenge payment,
      VcIssuer vc,
      Supplier<Optional<byte[]>> adminSecret) {
    this.settings = settings;
    this.clock = clock;
    this.key = key;
    this.capabilities = new CapabilityTokens(key, clock, settings.baseUrl());
    this.accessTokens = new AccessTokens(key, clock, settings.baseUrl());
    this.mintDpop = mintDpop;
    this.resourceDpop = resourceDpop;
    this.denylist = denylist;
    this.usage = new UsageCounter(clock, settings.maxTrackedCapabilities());
    this.payment = payment;
    this.vc = vc;
    this.adminSecret = adminSecret;
  }

  /** Seconds a client refused with {@code replay_cache_full} waits: one proof's iat window. */
  static final String REPLAY_RETRY_AFTER = Long.toString(DpopVerifier.MAX_SKEW.toSeconds());

  /** Runs a route; every refusal becomes its stable answer. */
  static ApiResponse answer(Supplier<ApiResponse> route) {
    try {
      return route.get();
    } catch (ProviderError e) {
      return ApiResponse.of(e);
    }
  }

  // ---- POST /token ----

  /**
   * The mint. Auth, first present: {@code x-vc-jwt}, {@code Authorization} (an access token of the
   * reference AS), none (402 when the tool is priced). The proof key: a DPoP proof (htm POST, htu
   * the token URL, no ath; a server nonce when configured) or the legacy {@code
   * x-briefcase-pop-pub}.
   */
  ApiResponse mint(RequestHeaders headers, byte[] body) {
    String scope = requestedScope(body);
    String vcJwt = headers.single("x-vc-jwt", MAX_VC_CHARS);
    String authorization = headers.single("authorization", MAX_AUTHORIZATION_CHARS);
    String proof = singleProof(headers, 400);
    String popPub = headers.single("x-briefcase-pop-pub", 128);
    // the priced unauthenticated mint answers before any proof is checked: an unpaid request
    // must not spend a replay-cache entry; a paid one passes the local payment checks first
    X402Acceptor.Checked paid = null;
    L402Gate.Paid l402 = null;
    String description = "capability token for " + scope;
    if (vcJwt == null
        && authorization != null
        && settings.priceMicroUsd() > 0
        && L402Gate.isL402(authorization)) {
      l402 = l402Retry(authorization, description);
      authorization = null;
    } else if (vcJwt == null && authorization == null && settings.priceMicroUsd() > 0) {
      paid = paidRetry(headers, description);
    }
    try {
      return mint(headers, scope, vcJwt, authorization, proof, popPub, paid, l402, description);
    } catch (RuntimeException e) {
      if (paid != null) {
        // refused before settlement (a bad proof, no capacity): the nonce may come again;
        // once sent for settlement the acceptor keeps it
        payment.x402().release(paid);
      }
      throw e;
    }
  }

  /**
   * The x402 retry of a priced mint: no {@code PAYMENT-SIGNATURE} is the 402 challenge; one that
   * fails the local checks a fresh 402 naming why; no facilitator configured 503.
   */
  private X402Acceptor.Checked paidRetry(RequestHeaders headers, String description) {
    java.util.List<String> values = headers.all("payment-signature");
    if (values.isEmpty()) {
      throw payment.challenge(settings.tokenUrl(), description);
    }
    if (values.size() > 1) {
      throw payment.challenge(settings.tokenUrl(), description, X402Acceptor.INVALID);
    }
    X402Acceptor x402 = payment.x402();
    if (x402 == null) {
      throw new ProviderError(
          503, X402Acceptor.UNAVAILABLE, "no x402 offer or facilitator configured");
    }
    return x402.check(values.get(0), settings.tokenUrl(), description);
  }

  /**
   * The L402 retry of a priced mint: a malformed, unsettled or spent credential is a fresh 402
   * naming why (both challenges), an invalid one 401; no Lightning node configured: the plain
   * challenge.
   */
  private L402Gate.Paid l402Retry(String authorization, String description) {
    L402Gate gate = payment.l402();
    if (gate == null) {
      throw payment.challenge(settings.tokenUrl(), description);
    }
    try {
      return gate.check(authorization);
    } catch (ProviderError e) {
      // the code and a reason naming no part of the credential (macaroon, preimage)
      LOG.debug("L402 paid mint refused: {} ({})", e.code(), e.getMessage());
      if (e.status() == 402) {
        throw payment.challenge(settings.tokenUrl(), description, e.code());
      }
      throw e;
    }
  }

  private ApiResponse mint(
      RequestHeaders headers,
      String scope,
      String vcJwt,
      String authorization,
      String proof,
      String popPub,
      X402Acceptor.Checked paid,
      L402Gate.Paid l402,
      String description) {
    usage.requireRoomForNew();

    AccessTokens.Access access = null;
    String accessToken = null;
    String vcJkt = null;
    if (vcJwt != null) {
      if (vc == null) {
        throw new ProviderError(401, "vc_not_supported", "no VC issuer on this provider");
      }
      VcMint.Grant grant = vc.verify(vcJwt);
      if (!java.util.Arrays.asList(grant.scopes()).contains(scope)) {
        throw new ProviderError(403, "insufficient_scope", "the VC does not grant the scope");
      }
      vcJkt = grant.jkt();
    } else if (authorization != null) {
      String[] auth = scheme(authorization);
      accessToken = auth[1];
      access = accessTokens.verify(accessToken);
      if (access.jkt() != null && !auth[0].equals("dpop")) {
        throw Jws.invalid("a DPoP-bound access token sent as Bearer");
      }
      if (access.jkt() == null && !auth[0].equals("bearer")) {
        throw Jws.invalid("an unbound access token sent as DPoP");
      }
      if (!access.hasScope(scope)) {
        throw new ProviderError(403, "insufficient_scope", "the access token lacks the scope");
      }
    }

    String jkt = null;
    Optional<DpopProof> verified = Optional.empty();
    if (vcJkt != null) {
      // the VC is bound to its holder's key: only a DPoP proof by that key presents it
      if (proof == null) {
        throw new ProviderError(401, "vc_holder_mismatch", "a VC mint needs a DPoP proof");
      }
      verified = Optional.of(mintProof(proof, settings.tokenUrl(), null, null));
      if (!vcJkt.equals(verified.get().jkt())) {
        throw new ProviderError(401, "vc_holder_mismatch", "the proof key is not the VC's");
      }
      jkt = vcJkt;
    } else if (proof != null || (access != null && access.jkt() != null)) {
      boolean bound = access != null && access.jkt() != null;
      verified =
          Optional.of(
              mintProof(
                  proof,
                  settings.tokenUrl(),
                  bound ? accessToken : null,
                  bound ? access.jkt() : null));
      jkt = verified.get().jkt();
    } else if (popPub != null) {
      try {
        jkt = Thumbprints.ed25519Raw(popPub);
      } catch (DpopException e) {
        throw new ProviderError(
            400, "invalid_pop_key", "x-briefcase-pop-pub is not a raw Ed25519 key");
      }
    }

    X402Acceptor.Settled settled = null;
    CapabilityTokens.Planned planned;
    if (paid != null && paid.prior() != null) {
      // the same settled authorization again, its answer lost: the same token (same jti, so
      // the same calls and expiry) and receipt, no second settlement
      SettledPayments.Receipt prior =
          payment.x402().reissue(paid, jkt, settings.tokenUrl(), description);
      settled = prior.settled();
      planned = prior.token();
    } else {
      planned =
          capabilities.plan(
              new CapabilityTokens.Grant(
                  scope,
                  settings.maxCalls(),
                  settings.priceMicroUsd(),
                  jkt,
                  settings.ttlSeconds(),
                  settings.maxBytes(),
                  settings.tokenAud()));
      if (paid != null) {
        settled = payment.x402().settle(paid, settings.tokenUrl(), description);
        payment.x402().record(paid, jkt, settled, planned);
      }
    }
    if (l402 != null && !payment.l402().spend(l402)) {
      // a concurrent request spent the same credential first
      throw payment.challenge(settings.tokenUrl(), description, L402Gate.USED);
    }
    CapabilityTokens.Minted minted = capabilities.sign(planned);
    usage.reserve(minted.jti(), minted.expiresAt());
    ObjectNode out =
        Json.newObject()
            .put("token", minted.token())
            .put("expires_at_rfc3339", DateTimeFormatter.ISO_INSTANT.format(minted.expiresAt()))
            .put("max_calls", settings.maxCalls())
            .put("compatibility_profile", "aacp_v1");
    ApiResponse response = ApiResponse.ok(Json.bytes(out));
    if (verified.isPresent() && settings.tokenRequireNonce() && mintDpop.nonces() != null) {
      response.headers().put("DPoP-Nonce", mintDpop.nonces().current());
    }
    if (settled != null) {
      response.headers().put("PAYMENT-RESPONSE", settled.header());
    }
    return response;
  }

  /**
   * A proof at a POST endpoint (mint, VC issue): its errors are 400, nonces as the mint's, a full
   * replay cache 503 {@code replay_cache_full}.
   */
  private DpopProof mintProof(String proof, String url, String accessToken, String expectedJkt) {
    try {
      return mintDpop.verify(
          new DpopRequest(
              proof, "POST", url, accessToken, expectedJkt, settings.tokenRequireNonce()));
    } catch (DpopException e) {
      if (e.code().equals(DpopException.REPLAY_CACHE_FULL)) {
        throw replayCacheFull(e);
      }
      ProviderError error = new ProviderError(400, e.code(), e.getMessage());
      if (e.code().equals(DpopException.USE_DPOP_NONCE)) {
        error.header("DPoP-Nonce", mintDpop.nonces().current());
      }
      throw error;
    }
  }

  private String requestedScope(byte[] body) {
    if (body.length == 0) {
      return settings.scope();
    }
    ObjectNode request = Json.object(body);
    java.util.Iterator<String> names = request.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!name.equals("scope") && !name.equals("tool")) {
        throw new ProviderError(400, "invalid_request", "unknown member");
      }
    }
    for (String name : new String[] {"scope", "tool"}) {
      JsonNode v = request.get(name);
      if (v != null && (!v.isTextual() || !v.asText().equals(settings.scope()))) {
        throw new ProviderError(400, "invalid_scope", "this provider mints only its tool scope");
      }
    }
    return settings.scope();
  }

  // ---- GET /api/quote ----

  /** The §8.2 checks in order, then the quote. */
  ApiResponse quote(RequestHeaders headers, String symbol) {
    String authorization = headers.single("authorization", MAX_AUTHORIZATION_CHARS);
    if (authorization == null) {
      throw unauthorized("invalid_token", null, "no Authorization");
    }
    String[] auth = scheme(authorization);
    CapabilityTokens.Capability cap;
    try {
      cap = capabilities.verify(auth[1], false);
    } catch (ProviderError e) {
      throw unauthorized("invalid_token", null, e.getMessage());
    }
    if (cap.aud() != null && !cap.aud().equals(settings.baseUrl())) {
      throw unauthorized("invalid_token", null, "aud caveat names another resource");
    }
    if (!cap.hasScope(settings.scope())) {
      throw new ProviderError(403, "insufficient_scope", "token lacks the quote scope");
    }
    if (denylist.isRevoked(cap.jti())) {
      throw new ProviderError(403, "capability_revoked", "jti revoked");
    }
    DpopProof verified = null;
    if (cap.jkt() != null) {
      String proof = singleProof(headers, 401);
      if (proof == null) {
        throw unauthorized("missing_dpop", null, "bound token without a proof");
      }
      if (!auth[0].equals("dpop")) {
        throw unauthorized("invalid_dpop", "invalid_dpop_proof", "bound token sent as Bearer");
      }
      try {
        verified =
            resourceDpop.verify(
                new DpopRequest(
                    proof,
                    "GET",
                    settings.quoteUrl(),
                    auth[1],
                    cap.jkt(),
                    settings.resourceRequireNonce()));
      } catch (DpopException e) {
        switch (e.code()) {
          case DpopException.MISSING_DPOP:
            throw unauthorized("missing_dpop", null, e.getMessage());
          case DpopException.USE_DPOP_NONCE:
            throw unauthorized("use_dpop_nonce", "use_dpop_nonce", e.getMessage())
                .header("DPoP-Nonce", resourceDpop.nonces().current());
          case DpopException.REPLAY_DETECTED:
            throw unauthorized("replay_detected", "invalid_dpop_proof", e.getMessage());
          case DpopException.REPLAY_CACHE_FULL:
            throw replayCacheFull(e);
          default:
            throw unauthorized("invalid_dpop", "invalid_dpop_proof", e.getMessage());
        }
      }
    } else if (!auth[0].equals("bearer")) {
      throw unauthorized("invalid_token", null, "an unbound token sent as DPoP");
    }
    if (!usage.hasLeft(cap.jti(), cap.maxCalls())) {
      throw new ProviderError(429, "max_calls_exceeded", "max_calls used up");
    }
    byte[] body = Json.bytes(Quotes.quote(symbol, clock.instant()));
    if (cap.maxBytes() > 0 && body.length > cap.maxBytes()) {
      throw new ProviderError(403, "max_bytes_exceeded", "response larger than max_bytes");
    }
    if (!usage.tryUse(cap.jti(), cap.maxCalls(), cap.expiresAt())) {
      throw new ProviderError(429, "max_calls_exceeded", "max_calls used up");
    }
    ApiResponse response = ApiResponse.ok(body);
    if (verified != null && settings.resourceRequireNonce() && resourceDpop.nonces() != null) {
      response.headers().put("DPoP-Nonce", resourceDpop.nonces().current());
    }
    return response;
  }

  /** The one DPoP header; two or more make the proof invalid (RFC 9449 §4.3), also oversized. */
  private static String singleProof(RequestHeaders headers, int status) {
    java.util.List<String> values = headers.all("dpop");
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1 || values.get(0).length() > MAX_PROOF_CHARS) {
      ProviderError e = new ProviderError(status, "invalid_dpop", "repeated or oversized DPoP");
      if (status == 401) {
        e.header("WWW-Authenticate", DPOP_ALGS + ", error=\"invalid_dpop_proof\"");
      }
      throw e;
    }
    return values.get(0);
  }

  /** The server's fault, not the proof's: 503, try again once the oldest proofs' windows close. */
  private static ProviderError replayCacheFull(DpopException e) {
    return new ProviderError(503, DpopException.REPLAY_CACHE_FULL, e.getMessage())
        .header("Retry-After", REPLAY_RETRY_AFTER);
  }

  private static ProviderError unauthorized(String code, String dpopError, String reason) {
    String challenge = dpopError == null ? DPOP_ALGS : DPOP_ALGS + ", error=\"" + dpopError + "\"";
    return new ProviderError(401, code, reason).header("WWW-Authenticate", challenge);
  }

  /** {@code [scheme lower-case, token]} of {@code Bearer|DPoP <token>}, else invalid_token. */
  private static String[] scheme(String authorization) {
    int sp = authorization.indexOf(' ');
    if (sp <= 0) {
      throw unauthorized("invalid_token", null, "malformed Authorization");
    }
    String scheme = authorization.substring(0, sp).toLowerCase(Locale.ROOT);
    String token = authorization.substring(sp + 1).trim();
    if (!(scheme.equals("bearer") || scheme.equals("dpop"))
        || token.isEmpty()
        || token.indexOf(' ') >= 0) {
      throw unauthorized("invalid_token", null, "unsupported Authorization");
    }
    return new String[] {scheme, token};
  }

  // ---- POST /api/revoke ----

  /** {@code {jti}} or {@code {token}} (a token this provider signed) onto the denylist. */
  ApiResponse revoke(RequestHeaders headers, byte[] body) {
    requireAdmin(headers);
    ObjectNode request = Json.object(body);
    JsonNode jtiNode = request.get("jti");
    JsonNode tokenNode = request.get("token");
    if (request.size() != 1 || (jtiNode == null) == (tokenNode == null)) {
      throw new ProviderError(400, "invalid_request", "give exactly one of jti or token");
    }
    String jti;
    Instant keepUntil;
    Duration hour = Duration.ofHours(1);
    if (jtiNode != null) {
      if (!jtiNode.isTextual() || !JTI.matcher(jtiNode.asText()).matches()) {
        throw new ProviderError(400, "invalid_jti", "jti must be 1..128 visible ASCII characters");
      }
      jti = jtiNode.asText();
      keepUntil = clock.instant().plusSeconds(settings.ttlSeconds()).plus(hour);
    } else {
      if (!tokenNode.isTextual()) {
        throw new ProviderError(400, "invalid_token", "token must be a string");
      }
      CapabilityTokens.Capability cap;
      try {
        cap = capabilities.verify(tokenNode.asText(), true);
      } catch (ProviderError e) {
        throw new ProviderError(400, "invalid_token", e.getMessage());
      }
      jti = cap.jti();
      Instant byExpiry = cap.expiresAt().plus(hour);
      Instant byTtl = clock.instant().plusSeconds(settings.ttlSeconds()).plus(hour);
      keepUntil = byExpiry.isAfter(byTtl) ? byExpiry : byTtl;
    }
    denylist.revoke(jti, keepUntil);
    return ApiResponse.ok(Json.bytes(Json.newObject().put("revoked", true).put("jti", jti)));
  }

  /** The {@code x-aag-admin-secret} check of every admin route. */
  private void requireAdmin(RequestHeaders headers) {
    Optional<byte[]> secret = adminSecret.get();
    if (secret.isEmpty() || secret.get().length == 0) {
      throw new ProviderError(503, "admin_secret_unset", "provider.admin_secret is not set");
    }
    String given = headers.single("x-aag-admin-secret", MAX_ADMIN_SECRET_CHARS);
    if (given == null || !sameSecret(given.getBytes(StandardCharsets.UTF_8), secret.get())) {
      throw new ProviderError(401, "invalid_admin_secret", "admin secret missing or wrong");
    }
  }

  // ---- POST /vc/issue ----

  /**
   * Issues a VC to {@code holderDid}: an access token of the reference AS with scope {@value
   * #VC_SCOPE} (checked as the mint checks it) and a DPoP proof (htm POST, htu the issue URL; by
   * the token's key when it is bound) whose key becomes the VC's {@code cnf.jkt}.
   */
  ApiResponse issueVc(RequestHeaders headers, String holderDid) {
    if (vc == null) {
      throw new ProviderError(404, "not_found", "no VC issuer on this provider");
    }
    String authorization = headers.single("authorization", MAX_AUTHORIZATION_CHARS);
    String proof = singleProof(headers, 400);
    if (authorization == null) {
      throw unauthorized("invalid_token", null, "no Authorization");
    }
    String[] auth = scheme(authorization);
    AccessTokens.Access access = accessTokens.verify(auth[1]);
    if (access.jkt() != null && !auth[0].equals("dpop")) {
      throw Jws.invalid("a DPoP-bound access token sent as Bearer");
    }
    if (access.jkt() == null && !auth[0].equals("bearer")) {
      throw Jws.invalid("an unbound access token sent as DPoP");
    }
    if (!access.hasScope(VC_SCOPE)) {
      throw new ProviderError(403, "insufficient_scope", "the access token lacks scope vc");
    }
    if (holderDid == null || holderDid.isEmpty() || holderDid.length() > MAX_DID_CHARS) {
      throw new ProviderError(400, "invalid_did", "one holder_did of at most 256 characters");
    }
    try {
      DidKey.parse(holderDid);
    } catch (VcException e) {
      throw new ProviderError(400, "invalid_did", "holder_did is not a did:key");
    }
    if (proof == null) {
      throw new ProviderError(400, "missing_dpop", "the holder key's DPoP proof is required");
    }
    boolean bound = access.jkt() != null;
    DpopProof verified =
        mintProof(proof, settings.issueUrl(), bound ? auth[1] : null, bound ? access.jkt() : null);
    VcIssuer.Issued issued = vc.issue(holderDid, verified.jkt());
    ObjectNode out =
        Json.newObject()
            .put("vc_jwt", issued.jwt())
            .put("expires_at_rfc3339", DateTimeFormatter.ISO_INSTANT.format(issued.expiresAt()));
    ApiResponse response = ApiResponse.ok(Json.bytes(out));
    if (settings.tokenRequireNonce() && mintDpop.nonces() != null) {
      response.headers().put("DPoP-Nonce", mintDpop.nonces().current());
    }
    return response;
  }

  // ---- GET /status/{purpose} ----

  /** The signed status list: ETag (hash of the body), max-age = ttl, 304 on a matching tag. */
  ApiResponse statusList(RequestHeaders headers, String purpose) {
    if (vc == null) {
      throw new ProviderError(404, "not_found", "no VC issuer on this provider");
    }
    VcIssuer.SignedList list = vc.statusList(purpose);
    java.util.Map<String, String> h = new java.util.LinkedHashMap<>();
    h.put("ETag", list.etag());
    h.put("Cache-Control", "max-age=" + vc.statusTtlMillis() / 1000);
    h.put("Content-Type", VcJwt.MEDIA_TYPE);
    if (etagMatches(headers.all("if-none-match"), list.etag())) {
      return new ApiResponse(304, h, new byte[0]);
    }
    return new ApiResponse(200, h, list.jwt().getBytes(StandardCharsets.US_ASCII));
  }

  /** RFC 9110 §13.1.2: {@code *} or any listed tag (weak comparison) matches. */
  static boolean etagMatches(java.util.List<String> values, String etag) {
    for (String value : values) {
      if (value.length() > 4096) {
        continue;
      }
      for (String tag : value.split(",")) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
          t = t.substring(2);
        }
        if (t.equals("*") || t.equals(etag)) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- POST /api/vc/revoke, /api/vc/suspend, /api/vc/unsuspend ----

  /** Flips the status bit of {@code {id}} or of every VC of {@code {holder_did}} at once. */
  ApiResponse vcStatus(RequestHeaders headers, VcIssuer.Action action, byte[] body) {
    requireAdmin(headers);
    if (vc == null) {
      throw new ProviderError(404, "not_found", "no VC issuer on this provider");
    }
    ObjectNode request = Json.object(body);
    JsonNode idNode = request.get("id");
    JsonNode holderNode = request.get("holder_did");
    if (request.size() != 1 || (idNode == null) == (holderNode == null)) {
      throw new ProviderError(400, "invalid_request", "give exactly one of id or holder_did");
    }
    String id = null;
    String holder = null;
    if (idNode != null) {
      if (!idNode.isTextual() || !VC_ID.matcher(idNode.asText()).matches()) {
        throw new ProviderError(400, "invalid_vc_id", "id is not a credential id (urn:uuid:...)");
      }
      id = idNode.asText();
    } else {
      if (!holderNode.isTextual() || holderNode.asText().length() > MAX_DID_CHARS) {
        throw new ProviderError(400, "invalid_did", "holder_did is not a did:key");
      }
      try {
        holder = DidKey.parse(holderNode.asText()).did();
      } catch (VcException e) {
        throw new ProviderError(400, "invalid_did", "holder_did is not a did:key");
      }
    }
    java.util.List<String> ids = vc.apply(action, id, holder);
    ObjectNode out = Json.newObject().put("action", action.name().toLowerCase(Locale.ROOT));
    ids.forEach(out.putArray("ids")::add);
    return ApiResponse.ok(Json.bytes(out));
  }

  /** Constant time in the secret's content and length (both sides hashed first). */
  static boolean sameSecret(byte[] given, byte[] expected) {
    try {
      MessageDigest a = MessageDigest.getInstance("SHA-256");
      MessageDigest b = MessageDigest.getInstance("SHA-256");
      return MessageDigest.isEqual(a.digest(given), b.digest(expected));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- GET /.well-known/jwks.json ----

  ApiResponse jwks() {
    TokenKey.PublicKey pub = key.current();
    ObjectNode out = Json.newObject();
    out.putArray("keys")
        .addObject()
        .put("kty", "OKP")
        .put("crv", "Ed25519")
        .put("x", Base64.getUrlEncoder().withoutPadding().encodeToString(pub.raw()))
        .put("kid", pub.kid())
        .put("alg", "EdDSA")
        .put("use", "sig");
    ApiResponse r = ApiResponse.ok(Json.bytes(out));
    r.headers().put("Cache-Control", "max-age=300");
    return r;
  }
}
