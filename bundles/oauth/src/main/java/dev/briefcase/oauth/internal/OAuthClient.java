package dev.briefcase.oauth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.oauth2.sdk.AccessTokenResponse;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.client.ClientInformationResponse;
import com.nimbusds.oauth2.sdk.client.ClientMetadata;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationErrorResponse;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationRequest;
import com.nimbusds.oauth2.sdk.client.ClientRegistrationResponse;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.AccessTokenType;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OAuth 2.1 client behind the boundary (SPEC §8.3, §9, §15): authorization code with PKCE S256
 * and RFC 8707 resource indicators, dynamic client registration (RFC 7591) when no client id is
 * configured, code exchange and refresh with rotation, DPoP (RFC 9449) with the per-provider key
 * {@code dpop:oauth.<id>} of the key directory (rotated only at a new exchange) and {@code
 * DPoP-Nonce} handling on the token endpoint and the resource (retry once, newest nonce kept per
 * server), and RFC 7009 revocation.
 *
 * <p>Refresh tokens live only in the secret store ({@code oauth.<id>.refresh_token}); access tokens
 * only in memory, until 30 s before they expire. Login sessions live 10 minutes and are used once.
 * No token, code, verifier or proof is logged, put in an exception message or printed by a {@code
 * toString}. Every login and refused login, refresh (saying whether the refresh token rotated),
 * refresh failure and revocation is receipted ({@code type: oauth}) with the provider, the outcome
 * and the error code, never a value; a receipt that cannot be written fails the step ({@code
 * receipt_unavailable}). Thread-safe; refreshes of one provider are serialised so a rotated refresh
 * token is never used twice.
 */
public final class OAuthClient {
  static final Duration LOGIN_TTL = Duration.ofMinutes(10);
  static final Duration EARLY_REFRESH = Duration.ofSeconds(30);
  static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(600);
  private static final Logger LOG = LoggerFactory.getLogger(OAuthClient.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern PROVIDER_ID = Pattern.compile("[A-Za-z0-9._-]{1,58}");
  // RFC 6749 §3.3 scope tokens, the only challenge value a message may repeat
  private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E ]{1,256}");
  private static final int MAX_PENDING = 256;

  /** The loopback callback paths of {@code briefcase login} and of the web console's page. */
  static final List<String> LOOPBACK_CALLBACK_PATHS =
      List.of("/callback", "/system/console/briefcase-providers/callback");

  /**
   * A provider: its protected endpoint (discovery starts there), an optional client id (else one is
   * registered dynamically), the loopback or https redirect URI and an optional scope.
   */
  public record Provider(String id, URI endpoint, String clientId, URI redirectUri, String scope) {}

  /** What {@link #start} hands to the user: the URL to open and the state to expect back. */
  public record LoginStart(String providerId, URI authorizationUrl, String state) {}

  /** What a resource answered. */
  public record ResourceResponse(int status, String body) {}

  /** The outcome of {@link #revoke} (SPEC §15). */
  public record RevokeResult(
      String providerId,
      boolean hadRefreshToken,
      boolean remoteRevocationAttempted,
      boolean remoteRevocationSucceeded) {}

  private record Pending(
      Provider provider,
      Discovery.Server server,
      String clientId,
      CodeVerifier verifier,
      Instant expires) {
    @Override
    public String toString() {
      return "Pending[" + provider.id() + ", [REDACTED]]";
    }
  }

  private record Token(String value, boolean dpop, Instant useUntil) {
    @Override
    public String toString() {
      return "Token[[REDACTED], dpop=" + dpop + ", useUntil=" + useUntil + "]";
    }
  }

  private final HttpTransport http;
  private final Discovery discovery;
  private final KeyDirectory keys;
  private final SecretStore secrets;
  private final ReceiptLog receipts;
  private final Clock clock;
  // package-private for the stale-nonce test
  final DpopNonces nonces = new DpopNonces();
  private final Map<String, Provider> providers = new ConcurrentHashMap<>();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  // provider id → the DPoP slot its stored grant is bound to (mirrors dpopSlotId in the store)
  private final Map<String, String> dpopSlots = new ConcurrentHashMap<>();
  // an attack simulation seam for tests (a proof replayed by someone on the path); identity else
  private volatile UnaryOperator<String> proofTap = UnaryOperator.identity();

  OAuthClient(
      HttpTransport http,
      KeyDirectory keys,
      SecretStore secrets,
      ReceiptLog receipts,
      Clock clock) {
    this.http = http;
    this.discovery = new Discovery(http, clock);
    this.keys = keys;
    this.secrets = secrets;
    this.receipts = receipts;
    this.clock = clock;
  }

  /** Adds or replaces a provider. */
  void register(Provider provider) throws OAuthException {
    if (provider == null
        || provider.id() == null
        || !PROVIDER_ID.matcher(provider.id()).matches()) {
      throw new OAuthException(
          "invalid_provider_id", "provider id must match [A-Za-z0-9._-]{1,58}");
    }
    ServerUrls.check(provider.endpoint(), "invalid_endpoint_url");
    if (provider.redirectUri() == null) {
      throw new OAuthException("invalid_redirect_uri", "a redirect URI is required");
    }
    ServerUrls.check(provider.redirectUri(), "invalid_redirect_uri");
    providers.put(provider.id(), provider);
  }

  static String refreshTokenId(String providerId) {
    return "oauth." + providerId + ".refresh_token";
  }

  static String clientIdId(String providerId) {
    return "oauth." + providerId + ".client_id";
  }

  /** The issuer that issued the stored refresh token: refresh and revocation go only there. */
  static String issuerId(String providerId) {
    return "oauth." + providerId + ".issuer";
  }

  /**
   * The two key-directory servers a provider's DPoP key alternates between ({@code dpop:oauth.<id>}
   * and {@code dpop:oauth-<id>}, both within the 64 characters of a server name): a new login
   * creates its key in the slot the current grant does not use, so a failed login leaves the key
   * the stored refresh token is bound to untouched.
   */
  static String dpopServer(String providerId) {
    return "oauth." + providerId;
  }

  static String alternateDpopServer(String providerId) {
    return "oauth-" + providerId;
  }

  /** Which of the two DPoP slots the stored grant is bound to (absent: the first). */
  static String dpopSlotId(String providerId) {
    return "oauth." + providerId + ".dpop_server";
  }

  // --- login --------------------------------------------------------------------------------

  /**
   * Runs discovery, registers a client when none is configured or stored, and opens a login
   * session: the authorization URL carries PKCE S256, {@code state} and {@code resource}.
   */
  public LoginStart start(String providerId) throws OAuthException {
    return startFor(provider(providerId));
  }

  /**
   * Like {@link #start(String)}, with the callback {@code redirectUri} of this login (RFC 8252: a
   * loopback redirect's port changes from login to login); the exchange repeats it.
   */
  public LoginStart start(String providerId, URI redirectUri) throws OAuthException {
    return start(providerId, redirectUri, null);
  }

  /**
   * Like {@link #start(String, URI)}, asking for the provider's scope plus {@code extraScope} (the
   * re-authorization after {@code insufficient_scope}); null asks for the provider's scope only.
   */
  public LoginStart start(String providerId, URI redirectUri, String extraScope)
      throws OAuthException {
    Provider p = provider(providerId);
    URI redirect = p.redirectUri();
    if (redirectUri != null) {
      ServerUrls.check(redirectUri, "invalid_redirect_uri");
      redirect = redirectUri;
    }
    return startFor(
        new Provider(p.id(), p.endpoint(), p.clientId(), redirect, widen(p.scope(), extraScope)));
  }

  /** The union of two space-separated scopes, in order, each token once; null when both are. */
  static String widen(String scope, String extra) {
    java.util.LinkedHashSet<String> tokens = new java.util.LinkedHashSet<>();
    for (String s : new String[] {scope, extra}) {
      if (s != null) {
        for (String t : s.trim().split(" +")) {
          if (!t.isEmpty()) {
            tokens.add(t);
          }
        }
      }
    }
    return tokens.isEmpty() ? null : String.join(" ", tokens);
  }

  private LoginStart startFor(Provider p) throws OAuthException {
    Discovery.Server server = discovery.discover(p.endpoint(), probe(p.endpoint()));
    String clientId = clientId(p, server);
    CodeVerifier verifier = new CodeVerifier();
    String state = UUID.randomUUID().toString();
    AuthorizationRequest.Builder request =
        new AuthorizationRequest.Builder(
                new ResponseType(ResponseType.Value.CODE), new ClientID(clientId))
            .endpointURI(server.authorizationEndpoint())
            .redirectionURI(p.redirectUri())
            .state(new State(state))
            .codeChallenge(verifier, CodeChallengeMethod.S256)
            .resources(server.resource());
    if (p.scope() != null && !p.scope().isBlank()) {
      request.scope(Scope.parse(p.scope()));
    }
    purgeExpired();
    if (pending.size() >= MAX_PENDING) {
      throw new OAuthException("too_many_logins", "too many login sessions are open");
    }
    pending.put(state, new Pending(p, server, clientId, verifier, clock.instant().plus(LOGIN_TTL)));
    LOG.info("oauth login started for provider {} at issuer {}", p.id(), server.issuer());
    return new LoginStart(p.id(), request.build().toURI(), state);
  }

  /**
   * The endpoint's {@code WWW-Authenticate} challenge to a request without credentials (RFC 9728
   * §5.1: it may name the resource metadata), or null when it answers anything but 401.
   */
  private String probe(URI endpoint) throws OAuthException {
    HTTPResponse res = http.send(new HTTPRequest(HTTPRequest.Method.GET, endpoint));
    return res.getStatusCode() == 401 ? res.getHeaderValue("WWW-Authenticate") : null;
  }

  /** Checks a callback's {@code state} against the one the login expects, in constant time. */
  static void checkCallbackState(String expected, String returned) throws OAuthException {
    if (expected == null
        || returned == null
        || !MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8), returned.getBytes(StandardCharsets.UTF_8))) {
      throw new OAuthException("oauth_state_mismatch", "the callback's state is not this login's");
    }
  }

  /**
   * Exchanges an authorization code of the login session {@code state} for tokens: a new DPoP key
   * when the AS supports DPoP, the code with its verifier and {@code resource}, the refresh token
   * into the secret store, the access token into memory. Returns when the access token expires.
   *
   * @param iss the callback's RFC 9207 {@code iss}, or null; it must name the login's issuer, and
   *     it is required when the AS metadata says the AS sends it (a mix-up defence)
   */
  public Instant exchange(String providerId, String code, String state, String iss)
      throws OAuthException {
    try {
      return exchangeOnce(providerId, code, state, iss);
    } catch (OAuthException e) {
      receipt(event("login", providerId, "failed").put("code", e.code()));
      throw e;
    }
  }

  private Instant exchangeOnce(String providerId, String code, String state, String iss)
      throws OAuthException {
    if (state == null || code == null || code.isEmpty()) {
      throw new OAuthException("invalid_request", "code and state are required");
    }
    Pending session = pending.get(state);
    if (session == null) {
      throw new OAuthException("unknown_oauth_state", "no login session has this state");
    }
    if (!session.provider().id().equals(providerId)) {
      throw new OAuthException(
          "oauth_state_mismatch", "the login session belongs to another provider");
    }
    if (iss == null
        ? session.server().issParameter()
        : !ServerUrls.sameIssuer(iss, session.server().issuer())) {
      throw new OAuthException(
          "oauth_issuer_mismatch", "the callback does not come from the login's issuer");
    }
    // single use: whoever removes it first exchanges
    if (!pending.remove(state, session)) {
      throw new OAuthException("unknown_oauth_state", "no login session has this state");
    }
    if (!clock.instant().isBefore(session.expires())) {
      throw new OAuthException("oauth_state_expired", "the login session has expired");
    }
    Provider p = session.provider();
    Discovery.Server server = session.server();
    KeyAlgorithm alg = dpopAlgorithm(server);
    synchronized (lock(p.id())) {
      String oldServer = currentDpopServer(p.id());
      // the new grant's key goes to the other slot; the old one is destroyed only once the new
      // grant is stored, so a login that fails leaves the old grant usable
      String newServer =
          !hasDpopKey(oldServer)
              ? oldServer
              : oldServer.equals(dpopServer(p.id()))
                  ? alternateDpopServer(p.id())
                  : dpopServer(p.id());
      if (alg != null) {
        createDpopKey(newServer, alg);
      }
      AuthorizationGrant grant =
          new AuthorizationCodeGrant(
              new AuthorizationCode(code), p.redirectUri(), session.verifier());
      Supplier<HTTPRequest> request =
          () ->
              new TokenRequest.Builder(
                      server.tokenEndpoint(), new ClientID(session.clientId()), grant)
                  .resources(server.resource())
                  .build()
                  .toHTTPRequest();
      AccessTokenResponse ok;
      RefreshToken refresh;
      Token token;
      try {
        ok =
            tokenResponse(newServer, alg, request, "oauth_exchange_failed", server.tokenEndpoint());
        refresh = ok.getTokens().getRefreshToken();
        if (refresh == null) {
          throw new OAuthException("missing_refresh_token", "the AS issued no refresh token");
        }
        token = accessToken(ok, alg);
      } catch (OAuthException e) {
        if (alg != null) {
          deleteDpopKey(newServer);
        }
        throw e;
      }
      putSecret(clientIdId(p.id()), session.clientId());
      putSecret(issuerId(p.id()), server.issuer());
      putSecret(refreshTokenId(p.id()), refresh.getValue());
      putSecret(dpopSlotId(p.id()), newServer);
      dpopSlots.put(p.id(), newServer);
      tokens.put(p.id(), token);
      if (!oldServer.equals(newServer)) {
        deleteDpopKey(oldServer);
      }
      if (alg == null) {
        deleteDpopKey(newServer);
      }
      receipt(
          event("login", p.id(), "ok")
              .put("issuer", server.issuer())
              .put("resource", server.resource().toString())
              .put("dpop", token.dpop()));
      LOG.info("oauth login completed for provider {} (dpop={})", p.id(), token.dpop());
      return token.useUntil().plus(EARLY_REFRESH);
    }
  }

  // --- refresh ------------------------------------------------------------------------------

  /**
   * Refreshes the access token with the stored refresh token, repeating {@code resource} and
   * storing the rotated refresh token. Returns when the new access token expires.
   */
  public Instant refresh(String providerId) throws OAuthException {
    Provider p = provider(providerId);
    synchronized (lock(p.id())) {
      return refreshLocked(p).useUntil().plus(EARLY_REFRESH);
    }
  }

  private Token refreshLocked(Provider p) throws OAuthException {
    Token token;
    try {
      token = refreshOnce(p);
    } catch (OAuthException e) {
      if (!e.code().equals("receipt_unavailable")) {
        receipt(event("refresh", p.id(), "failed").put("code", e.code()));
      }
      throw e;
    }
    return token;
  }

  private Token refreshOnce(Provider p) throws OAuthException {
    Optional<String> stored = getSecret(refreshTokenId(p.id()));
    if (stored.isEmpty()) {
      throw new OAuthException("missing_refresh_token", "no refresh token is stored");
    }
    Discovery.Server server = discovery.discover(p.endpoint(), null);
    checkIssuer(p.id(), server);
    String clientId = getSecret(clientIdId(p.id())).orElse(p.clientId());
    if (clientId == null) {
      throw new OAuthException("oauth_client_id_required", "no client id is known");
    }
    String keyServer = currentDpopServer(p.id());
    KeyAlgorithm alg = currentDpopAlgorithm(keyServer, server);
    AuthorizationGrant grant = new RefreshTokenGrant(new RefreshToken(stored.get()));
    Supplier<HTTPRequest> request =
        () ->
            new TokenRequest.Builder(server.tokenEndpoint(), new ClientID(clientId), grant)
                .resources(server.resource())
                .build()
                .toHTTPRequest();
    tokens.remove(p.id());
    AccessTokenResponse ok =
        tokenResponse(keyServer, alg, request, "oauth_refresh_failed", server.tokenEndpoint());
    Token token = accessToken(ok, alg);
    RefreshToken rotated = ok.getTokens().getRefreshToken();
    if (rotated != null) {
      putSecret(refreshTokenId(p.id()), rotated.getValue());
    }
    tokens.put(p.id(), token);
    receipt(event("refresh", p.id(), "ok").put("rotated", rotated != null));
    LOG.info("oauth refresh for provider {} (rotated={})", p.id(), rotated != null);
    return token;
  }

  private Token usableToken(Provider p) throws OAuthException {
    Token t = tokens.get(p.id());
    if (t != null && clock.instant().isBefore(t.useUntil())) {
      return t;
    }
    synchronized (lock(p.id())) {
      t = tokens.get(p.id());
      if (t != null && clock.instant().isBefore(t.useUntil())) {
        return t;
      }
      return refreshLocked(p);
    }
  }

  // --- calls to the resource ----------------------------------------------------------------

  /**
   * Calls the provider's resource with its access token: {@code Authorization: DPoP} plus a fresh
   * proof (with {@code ath} and the server's newest nonce) for a DPoP-bound token, else Bearer. A
   * refusal goes through {@link #rejected}, as a connector's does: {@code use_dpop_nonce} is
   * retried once with the new nonce, {@code invalid_token} once after a refresh. {@code target}
   * must lie under the discovered resource.
   */
  public ResourceResponse call(String providerId, String method, URI target) throws OAuthException {
    HTTPRequest.Method m;
    try {
      m = HTTPRequest.Method.valueOf(method);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new OAuthException("invalid_request", "unsupported HTTP method");
    }
    boolean nonceRetried = false;
    boolean refreshed = false;
    while (true) {
      Authorization a = authorize(providerId, method, target);
      HTTPRequest req = new HTTPRequest(m, target);
      req.setAuthorization(a.authorization());
      if (a.proof() != null) {
        req.setHeader("DPoP", a.proof());
      }
      HTTPResponse res = http.send(req);
      String challenge = res.getHeaderValue("WWW-Authenticate");
      String fresh = res.getHeaderValue("DPoP-Nonce");
      if (fresh != null && !fresh.isEmpty()) {
        nonces.put(target, fresh);
      }
      if (res.getStatusCode() != 401 && !(res.getStatusCode() == 403 && challenge != null)) {
        return new ResourceResponse(res.getStatusCode(), res.getBody());
      }
      Rejection rejection =
          new Rejection(
              res.getStatusCode(), challenge, fresh, res.getHeaderValue("x-briefcase-error"));
      // each kind of retry once, as the kernel allows a connector
      if ("use_dpop_nonce".equals(rejection.error()) && nonceRetried) {
        throw new OAuthException("dpop_nonce_rejected", "the resource refused the DPoP nonce");
      }
      if ("invalid_token".equals(rejection.error()) && refreshed) {
        throw new OAuthException("credential_expired", "the resource refused a fresh token");
      }
      if (rejected(providerId, target, rejection) == CredentialStrategy.Retry.NONCE) {
        nonceRetried = true;
      } else {
        refreshed = true;
      }
    }
  }

  /**
   * What a refusal of the resource means (RFC 6750 §3, RFC 9449 §7–9), the one interpretation for
   * {@link #call} and the credential strategy: a new {@code DPoP-Nonce} is kept as the server's
   * newest ({@link CredentialStrategy.Retry#NONCE}); {@code invalid_token} refreshes the access
   * token ({@link CredentialStrategy.Retry#REFRESHED}; concurrent refusals of the same token
   * refresh once); everything else is a stable code. No message repeats a value of the challenge
   * but the scope it asks for.
   *
   * @throws OAuthException {@code dpop_nonce_rejected}, {@code credential_revoked} (the AS refused
   *     the refresh token), {@code insufficient_scope}, {@code replay_detected}, {@code
   *     invalid_dpop}, {@code credential_rejected}, or a refresh's code
   */
  public CredentialStrategy.Retry rejected(String providerId, URI target, Rejection rejection)
      throws OAuthException {
    Provider p = provider(providerId);
    String error = rejection == null ? null : rejection.error();
    if ("use_dpop_nonce".equals(error)) {
      if (nonces.put(target, rejection.dpopNonce())) {
        return CredentialStrategy.Retry.NONCE;
      }
      throw new OAuthException(
          "dpop_nonce_rejected", "the resource asked for a DPoP nonce without a usable one");
    }
    if ("invalid_token".equals(error)) {
      Token refused = tokens.get(p.id());
      synchronized (lock(p.id())) {
        Token now = tokens.get(p.id());
        // another caller refreshed while this one waited: its token is the fresh one
        if (now == null || now == refused) {
          refreshLocked(p);
        }
      }
      return CredentialStrategy.Retry.REFRESHED;
    }
    if ("insufficient_scope".equals(error)) {
      String scope = rejection.scope();
      throw new OAuthException(
          "insufficient_scope",
          "the resource asks for scope "
              + (scope != null && SCOPE.matcher(scope).matches()
                  ? "\"" + scope + "\""
                  : "(unnamed)")
              + "; log in again with it");
    }
    if ("invalid_dpop_proof".equals(error)) {
      if ("replay_detected".equals(rejection.errorDetail())) {
        throw new OAuthException("replay_detected", "the resource saw this proof before");
      }
      throw new OAuthException("invalid_dpop", "the resource refused the DPoP proof");
    }
    throw new OAuthException("credential_rejected", "the resource refused the credential");
  }

  // --- revocation ---------------------------------------------------------------------------

  /**
   * Revokes the refresh token at the AS (RFC 7009, best effort, with DPoP when a key exists) and
   * always forgets locally: refresh token, DPoP key, access token and open login sessions.
   */
  public RevokeResult revoke(String providerId) throws OAuthException {
    Provider p = provider(providerId);
    synchronized (lock(p.id())) {
      Optional<String> stored = getSecret(refreshTokenId(p.id()));
      boolean attempted = false;
      boolean succeeded = false;
      try {
        if (stored.isPresent()) {
          Discovery.Server server = discovery.discover(p.endpoint(), null);
          checkIssuer(p.id(), server);
          String clientId = getSecret(clientIdId(p.id())).orElse(p.clientId());
          if (server.revocationEndpoint() != null && clientId != null) {
            attempted = true;
            String keyServer = currentDpopServer(p.id());
            KeyAlgorithm alg = currentDpopAlgorithm(keyServer, server);
            URI ep = server.revocationEndpoint();
            Supplier<HTTPRequest> request =
                () ->
                    new TokenRevocationRequest(
                            ep, new ClientID(clientId), new RefreshToken(stored.get()))
                        .toHTTPRequest();
            HTTPResponse res = tokenEndpointCall(keyServer, alg, request, ep);
            succeeded = res.getStatusCode() == 200;
          }
        }
      } catch (OAuthException e) {
        LOG.warn("oauth revocation at the AS failed for provider {}: {}", p.id(), e.code());
      } finally {
        tokens.remove(p.id());
        pending.values().removeIf(s -> s.provider().id().equals(p.id()));
        deleteSecret(refreshTokenId(p.id()));
        deleteSecret(issuerId(p.id()));
        forgetDpopKeys(p.id());
      }
      receipt(
          event("revoke", p.id(), "ok")
              .put("had_refresh_token", stored.isPresent())
              .put("remote_revocation_attempted", attempted)
              .put("remote_revocation_succeeded", succeeded));
      LOG.info(
          "oauth revoke for provider {}: attempted={}, succeeded={}", p.id(), attempted, succeeded);
      return new RevokeResult(p.id(), stored.isPresent(), attempted, succeeded);
    }
  }

  // --- helpers ------------------------------------------------------------------------------

  private ObjectNode event(String action, String providerId, String outcome) {
    ObjectNode e = MAPPER.createObjectNode();
    e.put("type", "oauth");
    e.put("action", action);
    e.put("provider", providerId);
    e.put("outcome", outcome);
    e.put("ts", clock.instant().toString());
    return e;
  }

  /** Appends a receipt; one that cannot be written fails the step. */
  private void receipt(ObjectNode event) throws OAuthException {
    try {
      receipts.append(event);
    } catch (ReceiptException e) {
      throw new OAuthException("receipt_unavailable", "the receipt log refused the oauth receipt");
    }
  }

  /**
   * Refuses when discovery now names another AS than the one that issued the stored refresh token
   * (a mix-up: the token and the DPoP key bound to it would go to a server that never issued them).
   */
  private void checkIssuer(String providerId, Discovery.Server server) throws OAuthException {
    String bound = getSecret(issuerId(providerId)).orElse(null);
    if (!ServerUrls.sameIssuer(bound, server.issuer())) {
      throw new OAuthException(
          "oauth_issuer_mismatch",
          "the resource now names another authorization server than the one that issued the"
              + " refresh token");
    }
  }

  private Provider provider(String id) throws OAuthException {
    Provider p = id == null ? null : providers.get(id);
    if (p == null) {
      throw new OAuthException("unknown_provider", "no such provider");
    }
    return p;
  }

  private Object lock(String providerId) {
    return locks.computeIfAbsent(providerId, k -> new Object());
  }

  private void purgeExpired() {
    Instant now = clock.instant();
    pending.values().removeIf(s -> !now.isBefore(s.expires().plus(LOGIN_TTL)));
  }

  private String clientId(Provider p, Discovery.Server server) throws OAuthException {
    if (p.clientId() != null && !p.clientId().isBlank()) {
      return p.clientId();
    }
    Optional<String> stored = getSecret(clientIdId(p.id()));
    if (stored.isPresent()) {
      return stored.get();
    }
    if (server.registrationEndpoint() == null) {
      throw new OAuthException(
          "oauth_client_id_required",
          "no client id is configured and the AS offers no registration");
    }
    ClientMetadata md = new ClientMetadata();
    md.setName("Briefcase");
    md.setRedirectionURIs(registeredRedirects(p.redirectUri()));
    md.setGrantTypes(Set.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN));
    md.setResponseTypes(Set.of(new ResponseType(ResponseType.Value.CODE)));
    md.setTokenEndpointAuthMethod(ClientAuthenticationMethod.NONE);
    // a loopback http redirect is a native application's (RFC 8252)
    md.setCustomField("application_type", "native");
    HTTPResponse res =
        http.send(
            new ClientRegistrationRequest(server.registrationEndpoint(), md, null).toHTTPRequest());
    ClientRegistrationResponse parsed;
    try {
      parsed = ClientRegistrationResponse.parse(res);
    } catch (ParseException e) {
      throw new OAuthException("oauth_registration_failed", "unreadable registration response");
    }
    if (parsed instanceof ClientRegistrationErrorResponse err) {
      String code = err.getErrorObject() == null ? null : err.getErrorObject().getCode();
      throw new OAuthException(
          "oauth_registration_failed", "the AS refused registration: " + safeCode(code));
    }
    String id = ((ClientInformationResponse) parsed).getClientInformation().getID().getValue();
    putSecret(clientIdId(p.id()), id);
    LOG.info("oauth client registered at {} for provider {}", server.issuer(), p.id());
    return id;
  }

  /**
   * The redirect URIs a dynamically registered client asks for: this login's, and on loopback also
   * the CLI's and the web console's callback paths, so a client registered by one can log in
   * through the other (an AS matches a loopback redirect on any port, RFC 8252 §7.3, but on its
   * path).
   */
  static Set<URI> registeredRedirects(URI redirect) {
    Set<URI> out = new java.util.LinkedHashSet<>();
    out.add(redirect);
    if ("http".equalsIgnoreCase(redirect.getScheme())) {
      for (String path : LOOPBACK_CALLBACK_PATHS) {
        out.add(URI.create("http://" + redirect.getRawAuthority() + path));
      }
    }
    return out;
  }

  /** EdDSA if the AS lists it, else ES256; null when the AS lists no DPoP algorithm. */
  static KeyAlgorithm dpopAlgorithm(Discovery.Server server) throws OAuthException {
    List<String> algs = server.dpopAlgorithms();
    if (algs == null || algs.isEmpty()) {
      return null;
    }
    if (algs.contains("EdDSA")) {
      return KeyAlgorithm.ED25519;
    }
    if (algs.contains("ES256")) {
      return KeyAlgorithm.P256;
    }
    throw new OAuthException(
        "oauth_dpop_unsupported", "the AS offers no DPoP algorithm Briefcase signs (EdDSA, ES256)");
  }

  /** The key-directory server of the DPoP key the stored grant is bound to. */
  private String currentDpopServer(String providerId) throws OAuthException {
    String cached = dpopSlots.get(providerId);
    if (cached != null) {
      return cached;
    }
    String slot =
        getSecret(dpopSlotId(providerId))
            .filter(s -> s.equals(alternateDpopServer(providerId)))
            .orElse(dpopServer(providerId));
    dpopSlots.put(providerId, slot);
    return slot;
  }

  /** The algorithm of the grant's existing DPoP key (never rotated here), or the AS's choice. */
  private KeyAlgorithm currentDpopAlgorithm(String keyServer, Discovery.Server server)
      throws OAuthException {
    KeyAlgorithm wanted = dpopAlgorithm(server);
    if (wanted == null) {
      return null;
    }
    try {
      return keys.get(KeyDirectory.DPOP_PREFIX + keyServer)
          .map(k -> k.handle().algorithm())
          .orElse(wanted);
    } catch (KeyException e) {
      throw new OAuthException(e.code(), "DPoP key lookup failed");
    }
  }

  /**
   * A fresh key in {@code keyServer}'s slot (a leftover of an earlier failed login is replaced).
   */
  private void createDpopKey(String keyServer, KeyAlgorithm alg) throws OAuthException {
    String role = KeyDirectory.DPOP_PREFIX + keyServer;
    try {
      if (keys.get(role).isPresent()) {
        keys.rotate(role, alg, null, "oauth");
      } else {
        keys.create(role, alg, null, "oauth");
      }
    } catch (KeyException e) {
      throw new OAuthException(e.code(), "cannot create the DPoP key");
    }
  }

  private void deleteDpopKey(String keyServer) {
    String role = KeyDirectory.DPOP_PREFIX + keyServer;
    try {
      if (keys.get(role).isPresent()) {
        keys.delete(role, "oauth");
      }
    } catch (KeyException e) {
      LOG.warn("oauth: DPoP key {} not deleted: {}", keyServer, e.code());
    }
  }

  private boolean hasDpopKey(String keyServer) throws OAuthException {
    try {
      return keys.get(KeyDirectory.DPOP_PREFIX + keyServer).isPresent();
    } catch (KeyException e) {
      throw new OAuthException(e.code(), "DPoP key lookup failed");
    }
  }

  /** Destroys both DPoP slots of a provider and forgets which one was current. */
  private void forgetDpopKeys(String providerId) {
    deleteDpopKey(dpopServer(providerId));
    deleteDpopKey(alternateDpopServer(providerId));
    deleteSecret(dpopSlotId(providerId));
    dpopSlots.remove(providerId);
  }

  private String proof(String keyServer, KeyAlgorithm alg, String htm, URI htu, String token)
      throws OAuthException {
    try {
      String jwt = keys.dpopProof(keyServer, alg, htm, htu.toString(), token, nonces.get(htu));
      return proofTap.apply(jwt);
    } catch (KeyException e) {
      throw new OAuthException(e.code(), "cannot sign a DPoP proof");
    }
  }

  /** Keeps a {@code DPoP-Nonce} answer as the server's newest nonce; returns it. */
  private String keepNonce(URI target, HTTPResponse res) {
    String fresh = res.getHeaderValue("DPoP-Nonce");
    if (fresh != null && !fresh.isEmpty()) {
      nonces.put(target, fresh);
      return fresh;
    }
    return null;
  }

  /** A POST to a token or revocation endpoint, with a proof and one retry on a new nonce. */
  private HTTPResponse tokenEndpointCall(
      String keyServer, KeyAlgorithm alg, Supplier<HTTPRequest> build, URI endpoint)
      throws OAuthException {
    for (int attempt = 0; ; attempt++) {
      HTTPRequest req = build.get();
      if (alg != null) {
        req.setHeader("DPoP", proof(keyServer, alg, "POST", endpoint, null));
      }
      HTTPResponse res = http.send(req);
      String fresh = keepNonce(endpoint, res);
      if (attempt == 0
          && alg != null
          && fresh != null
          && res.getStatusCode() == 400
          && "use_dpop_nonce".equals(bodyError(res))) {
        continue;
      }
      return res;
    }
  }

  private AccessTokenResponse tokenResponse(
      String keyServer, KeyAlgorithm alg, Supplier<HTTPRequest> build, String failure, URI endpoint)
      throws OAuthException {
    HTTPResponse res = tokenEndpointCall(keyServer, alg, build, endpoint);
    TokenResponse parsed;
    try {
      parsed = TokenResponse.parse(res);
    } catch (ParseException e) {
      throw new OAuthException(
          failure, "unreadable token response (HTTP " + res.getStatusCode() + ")");
    }
    if (!parsed.indicatesSuccess()) {
      TokenErrorResponse err = parsed.toErrorResponse();
      String code = err.getErrorObject() == null ? null : err.getErrorObject().getCode();
      if ("use_dpop_nonce".equals(code)) {
        throw new OAuthException("dpop_nonce_rejected", "the AS refused the DPoP nonce");
      }
      if ("invalid_grant".equals(code) && failure.equals("oauth_refresh_failed")) {
        // the refresh token is revoked or expired at the AS: only a new login helps
        throw new OAuthException(
            "credential_revoked", "the AS refused the refresh token (revoked or expired)");
      }
      throw new OAuthException(failure, "the AS refused: " + safeCode(code));
    }
    return parsed.toSuccessResponse();
  }

  private Token accessToken(AccessTokenResponse ok, KeyAlgorithm alg) throws OAuthException {
    AccessToken at = ok.getTokens().getAccessToken();
    boolean dpop = AccessTokenType.DPOP.equals(at.getType());
    if (alg != null && !dpop) {
      // the AS ignored the proof: a bearer token where a bound one was asked for is refused
      throw new OAuthException("oauth_dpop_not_bound", "the AS issued an unbound token");
    }
    long lifetime = at.getLifetime() > 0 ? at.getLifetime() : DEFAULT_LIFETIME.toSeconds();
    Instant useUntil = clock.instant().plusSeconds(lifetime).minus(EARLY_REFRESH);
    return new Token(at.getValue(), dpop, useUntil);
  }

  /** The {@code error} of a JSON error body, or null. */
  private static String bodyError(HTTPResponse res) {
    try {
      JsonNode n = MAPPER.readTree(res.getBody() == null ? "" : res.getBody());
      return n != null && n.path("error").isTextual() ? n.path("error").asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** An RFC 6749 error code is [\x20-\x21\x23-\x5B\x5D-\x7E]; anything else is not repeated. */
  private static String safeCode(String code) {
    return code != null && code.matches("[a-z_]{1,64}") ? code : "error";
  }

  private Optional<String> getSecret(String id) throws OAuthException {
    try {
      return secrets.get(id).map(s -> new String(s.reveal(), StandardCharsets.UTF_8));
    } catch (SecretStoreException e) {
      throw new OAuthException(e.code(), "secret store unavailable");
    }
  }

  private void putSecret(String id, String value) throws OAuthException {
    try {
      secrets.put(id, Sensitive.of(value.getBytes(StandardCharsets.UTF_8)));
    } catch (SecretStoreException e) {
      throw new OAuthException(e.code(), "secret store unavailable");
    }
  }

  private void deleteSecret(String id) {
    try {
      secrets.delete(id);
    } catch (SecretStoreException e) {
      LOG.warn("oauth: secret {} not deleted: {}", id, e.code());
    }
  }

  // --- for the credential service ----------------------------------------------------------

  /** The header values of one request: {@code Authorization} and, when DPoP-bound, {@code DPoP}. */
  public record Authorization(String authorization, String proof, Instant expiresAt) {
    @Override
    public String toString() {
      return "Authorization[[REDACTED], dpop=" + (proof != null) + ", " + expiresAt + "]";
    }
  }

  /**
   * The access token for one request to {@code target} (refreshed when it is due) with, for a
   * DPoP-bound token, a fresh proof for {@code method} and {@code target}; the caller sends them.
   * {@code target} must lie under the discovered resource.
   */
  public Authorization authorize(String providerId, String method, URI target)
      throws OAuthException {
    Provider p = provider(providerId);
    Discovery.Server server = discovery.discover(p.endpoint(), null);
    ServerUrls.check(target, "invalid_endpoint_url");
    if (!ServerUrls.isPrefix(server.resource(), target)) {
      throw new OAuthException(
          "oauth_resource_mismatch", "the target is not under the provider's resource");
    }
    if (method == null || !method.matches("[A-Z]{1,16}")) {
      throw new OAuthException("invalid_request", "unsupported HTTP method");
    }
    String keyServer = currentDpopServer(p.id());
    KeyAlgorithm alg = currentDpopAlgorithm(keyServer, server);
    Token token = usableToken(p);
    Instant expires = token.useUntil().plus(EARLY_REFRESH);
    if (token.dpop()) {
      return new Authorization(
          "DPoP " + token.value(), proof(keyServer, alg, method, target, token.value()), expires);
    }
    return new Authorization("Bearer " + token.value(), null, expires);
  }

  /**
   * A proof from the provider's current DPoP key for another token bound to that key (a capability
   * minted with the provider's DPoP-bound access token): {@code ath} of {@code token}, the given
   * nonce. {@code target} must be on the provider's origin; its query and fragment are left out of
   * {@code htu}. Fails {@code missing_refresh_token} when no DPoP key exists (no login).
   */
  String proofForBoundToken(
      String providerId, String method, URI target, String token, String nonce)
      throws OAuthException {
    Provider p = provider(providerId);
    ServerUrls.check(target, "invalid_endpoint_url");
    URI origin = p.endpoint();
    if (!origin.getScheme().equalsIgnoreCase(target.getScheme())
        || !origin.getHost().equalsIgnoreCase(target.getHost())
        || origin.getPort() != target.getPort()) {
      throw new OAuthException(
          "oauth_resource_mismatch", "the target is not on the provider's origin");
    }
    if (method == null || !method.matches("[A-Z]{1,16}")) {
      throw new OAuthException("invalid_request", "unsupported HTTP method");
    }
    if (token == null || token.isEmpty()) {
      throw new OAuthException("invalid_request", "no token to bind the proof to");
    }
    String keyServer = currentDpopServer(p.id());
    if (!hasDpopKey(keyServer)) {
      throw new OAuthException("missing_refresh_token", "no DPoP key: log in first");
    }
    KeyAlgorithm alg = currentDpopAlgorithm(keyServer, discovery.discover(p.endpoint(), null));
    URI htu;
    try {
      htu = new URI(target.getScheme(), target.getRawAuthority(), target.getRawPath(), null, null);
    } catch (java.net.URISyntaxException e) {
      throw new OAuthException("invalid_endpoint_url", "the target is not a URL");
    }
    try {
      return proofTap.apply(keys.dpopProof(keyServer, alg, method, htu.toString(), token, nonce));
    } catch (KeyException e) {
      throw new OAuthException(e.code(), "cannot sign a DPoP proof");
    }
  }

  /** Whether a refresh token is stored for the provider (the value is not read out). */
  boolean hasRefreshToken(String providerId) throws OAuthException {
    try {
      Optional<Sensitive<byte[]>> stored = secrets.get(refreshTokenId(providerId));
      stored.ifPresent(Sensitive::wipe);
      return stored.isPresent();
    } catch (SecretStoreException e) {
      throw new OAuthException(e.code(), "secret store unavailable");
    }
  }

  /** When the access token held in memory expires, if one is held. */
  Optional<Instant> accessTokenExpiry(String providerId) {
    return Optional.ofNullable(tokens.get(providerId)).map(t -> t.useUntil().plus(EARLY_REFRESH));
  }

  /** Whether the access token held in memory is DPoP-bound. */
  boolean dpopBound(String providerId) {
    Token t = tokens.get(providerId);
    return t != null && t.dpop();
  }

  /**
   * Forgets a provider locally (no call to the AS; {@link #revoke} first for that): the entry, its
   * access token and login sessions, its refresh token, client id and DPoP key.
   */
  void unregister(String providerId) {
    synchronized (lock(providerId)) {
      providers.remove(providerId);
      tokens.remove(providerId);
      pending.values().removeIf(s -> s.provider().id().equals(providerId));
      deleteSecret(refreshTokenId(providerId));
      deleteSecret(clientIdId(providerId));
      forgetDpopKeys(providerId);
    }
  }

  /**
   * Releases the secret store the client got from the framework (a {@link
   * dev.briefcase.edge.secrets.LazySecretStore}); called when the component is deactivated. It
   * first waits for every exchange and refresh under way (each holds its provider's lock): a
   * rotated refresh token the AS already issued must reach the store, or the next instance would
   * present the old one and find the grant revoked.
   */
  void close() {
    for (Object lock : locks.values()) {
      synchronized (lock) {
        // nothing: entering means the provider's exchange or refresh is done
      }
    }
    if (secrets instanceof dev.briefcase.edge.secrets.LazySecretStore lazy) {
      lazy.close();
    }
  }

  // --- test seams ---------------------------------------------------------------------------

  void setProofTap(UnaryOperator<String> tap) {
    this.proofTap = tap == null ? UnaryOperator.identity() : tap;
  }

  /** The in-memory access token, for the canary test only. */
  Optional<String> accessTokenForTest(String providerId) {
    return Optional.ofNullable(tokens.get(providerId)).map(Token::value);
  }

  /** A login session's verifier, for the canary test only. */
  Optional<String> verifierForTest(String state) {
    return Optional.ofNullable(pending.get(state)).map(s -> s.verifier().getValue());
  }
}
