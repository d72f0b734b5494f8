package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy.Retry;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.keys.internal.OAuthTestKeys;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.MemoryReceiptLog;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.osgi.framework.BundleContext;

/**
 * The {@code oauth} credential strategy of {@link OAuthCredentials} against the real AS and
 * DPoP-checking resource: pre-flight codes without network, request headers the resource accepts,
 * each kind of refusal the resource really sends mapped to its retry or code, revocation in real
 * time (the call right after a revoke fails at pre-flight, across a restart, until the next login),
 * a refresh token the AS revoked, and a failed re-login that leaves the old grant working. Every
 * token, code and proof seen is a canary: none may appear in a receipt, a log line, an exception
 * message or a {@code toString}.
 */
public class OAuthStrategyTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final URI REDIRECT = URI.create("http://127.0.0.1:47614/callback");

  private static OAuthFixture fixture;
  private static final CanaryWatch CANARIES = new CanaryWatch();

  private final MemoryReceiptLog receipts = new MemoryReceiptLog();
  private SqliteStore store;
  private SecretStore secrets;
  private KeyDirectory keys;
  private OAuthClient client;
  private volatile boolean secretStoreDown;

  @BeforeClass
  public static void startFixture() throws Exception {
    CANARIES.start();
    fixture = OAuthFixture.start();
  }

  @AfterClass
  public static void stopAndCheckCanaries() throws Exception {
    String log;
    try {
      if (fixture != null) {
        fixture.close();
      }
    } finally {
      log = CANARIES.stop();
    }
    if (CANARIES.secrets.isEmpty()) {
      return; // a selection of tests that never logged in
    }
    assertTrue(CANARIES.receipts.toString().contains("\"action\":\"revoke\""));
    CANARIES.check(log, "oauth login completed for provider");
  }

  @Before
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("briefcase-oauth-strategy");
    BundleContext context = BundleContexts.withoutProperties();
    store = new SqliteStore(dir.resolve("briefcase.db"));
    MemorySecretStore memory = new MemorySecretStore(context);
    secrets = new FailingSecretStore(memory);
    keys = OAuthTestKeys.create(store, receipts, new SoftwareSigner(memory, context));
  }

  @After
  public void keepReceiptsForTheCanaryCheck() {
    CANARIES.receipts.addAll(receipts.events());
  }

  /** A fresh component over the same store, secret store and keys (a restart of the bundle). */
  private OAuthCredentials service() {
    client =
        new OAuthClient(
            new HttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(3), 1 << 20),
            keys,
            secrets,
            receipts,
            Clock.systemUTC());
    client.setProofTap(
        p -> {
          CANARIES.secrets.add(p);
          return p;
        });
    return new OAuthCredentials(new ProviderTable(store), client, receipts, Clock.systemUTC());
  }

  private void login(OAuthCredentials s, String id) throws Exception {
    login(s, id, true);
  }

  /**
   * @param passIss whether to hand the callback's RFC 9207 {@code iss} to the exchange
   */
  private void login(OAuthCredentials s, String id, boolean passIss) throws Exception {
    LoginStart start = s.start(id, REDIRECT);
    CANARIES.secrets.add(client.verifierForTest(start.state()).orElseThrow());
    URI callback =
        HeadlessLogin.login(URI.create(start.authorizationUrl()), REDIRECT.toString(), "frank");
    String code = HeadlessLogin.param(callback, "code");
    CANARIES.secrets.add(code);
    s.exchange(id, code, start.state(), passIss ? HeadlessLogin.param(callback, "iss") : null);
    collectTokens(id);
  }

  private void collectTokens(String id) {
    client.accessTokenForTest(id).ifPresent(CANARIES.secrets::add);
    refreshToken(id).ifPresent(CANARIES.secrets::add);
  }

  private java.util.Optional<String> refreshToken(String id) {
    return secrets
        .get(OAuthClient.refreshTokenId(id))
        .map(v -> new String(v.reveal(), StandardCharsets.UTF_8));
  }

  private static CredentialNeed need(String provider) {
    return new CredentialNeed(CredentialNeed.OAUTH, provider);
  }

  /** Sends one request with the credential's headers, optionally one header replaced. */
  private static HttpResponse<String> send(
      RequestCredential cred, String method, URI target, String body, Map<String, String> replace)
      throws Exception {
    CANARIES.texts.add(cred.toString());
    HttpRequest.Builder b = HttpRequest.newBuilder(target);
    cred.headers()
        .forEach((name, value) -> b.header(name, replace.getOrDefault(name, value.reveal())));
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(RequestCredential cred, String method, URI target)
      throws Exception {
    return send(cred, method, target, null, Map.of());
  }

  private static Rejection rejection(HttpResponse<String> res) {
    return new Rejection(
        res.statusCode(),
        res.headers().firstValue("WWW-Authenticate").orElse(null),
        res.headers().firstValue("DPoP-Nonce").orElse(null),
        res.headers().firstValue("x-briefcase-error").orElse(null));
  }

  private List<String> oauthReceipts(String provider) {
    List<String> out = new ArrayList<>();
    for (ObjectNode r : receipts.events()) {
      if (r.path("type").asText().equals("oauth") && r.path("provider").asText().equals(provider)) {
        String code = r.path("code").asText("");
        out.add(
            r.path("action").asText()
                + ":"
                + r.path("outcome").asText()
                + (code.isEmpty() ? "" : ":" + code)
                + (r.path("rotated").asBoolean(false) ? ":rotated" : ""));
      }
    }
    return out;
  }

  // --- the strategy over a real login -------------------------------------------------------

  @Test
  public void preflightAuthorizeAndEveryKindOfRefusal() throws Exception {
    OAuthCredentials s = service();
    s.add("api", fixture.rs, fixture.rs + "/api", null, "api:read");
    expect("unknown_provider", () -> s.preflight(need("nobody")));
    expect(
        "invalid_credential_need",
        () -> s.preflight(new CredentialNeed(CredentialNeed.API_KEY, "api")));
    expect("missing_refresh_token", () -> s.preflight(need("api")));
    secretStoreDown = true;
    expect("secret_store_unavailable", () -> s.preflight(need("api")));
    secretStoreDown = false;

    login(s, "api");
    s.preflight(need("api"));

    // headers the resource accepts, for any path under the resource (htu = that path)
    URI item = URI.create(fixture.rs + "/api/items/7");
    HttpResponse<String> ok = send(s.authorize(need("api"), "GET", item), "GET", item);
    assertEquals(ok.body(), 200, ok.statusCode());
    assertEquals("/api/items/7", json(ok.body()).path("path").asText());
    URI echo = URI.create(fixture.rs + "/api/echo");
    HttpResponse<String> echoed =
        send(s.authorize(need("api"), "POST", echo), "POST", echo, "{\"a\":[1,2]}", Map.of());
    assertEquals(200, echoed.statusCode());
    assertEquals("{\"a\":[1,2]}", echoed.body());
    URI large = URI.create(fixture.rs + "/api/large");
    HttpResponse<String> big = send(s.authorize(need("api"), "GET", large), "GET", large);
    assertEquals(200, big.statusCode());
    assertTrue(big.body().length() > 2_000_000);
    expect(
        "oauth_resource_mismatch",
        () -> s.authorize(need("api"), "GET", URI.create(fixture.rs + "/other")));

    // invalid_token: one refresh (rotating the refresh token), then the new token is accepted
    String before = refreshToken("api").orElseThrow();
    HttpResponse<String> stale =
        send(
            s.authorize(need("api"), "GET", item),
            "GET",
            item,
            null,
            Map.of("Authorization", "DPoP not-a-token"));
    assertEquals(401, stale.statusCode());
    assertEquals(Retry.REFRESHED, s.rejected(need("api"), "GET", item, rejection(stale)));
    collectTokens("api");
    assertNotEquals(before, refreshToken("api").orElseThrow());
    assertEquals(200, send(s.authorize(need("api"), "GET", item), "GET", item).statusCode());

    // a proof for another method: invalid_dpop
    HttpResponse<String> wrongMethod = send(s.authorize(need("api"), "GET", echo), "POST", echo);
    assertEquals(401, wrongMethod.statusCode());
    expect("invalid_dpop", () -> s.rejected(need("api"), "POST", echo, rejection(wrongMethod)));

    // the same proof twice: replay_detected
    RequestCredential once = s.authorize(need("api"), "GET", item);
    assertEquals(200, send(once, "GET", item).statusCode());
    HttpResponse<String> replayed = send(once, "GET", item);
    assertEquals(401, replayed.statusCode());
    expect("replay_detected", () -> s.rejected(need("api"), "GET", item, rejection(replayed)));

    // a scope the grant lacks: insufficient_scope naming the scope asked for
    URI admin = URI.create(fixture.rs + "/api/admin");
    HttpResponse<String> forbidden = send(s.authorize(need("api"), "GET", admin), "GET", admin);
    assertEquals(403, forbidden.statusCode());
    CredentialException scope =
        expect(
            "insufficient_scope",
            () -> s.rejected(need("api"), "GET", admin, rejection(forbidden)));
    assertTrue(scope.getMessage(), scope.getMessage().contains("\"api:admin\""));

    // refusals no retry fixes, and a nonce demand without a usable nonce
    expect(
        "credential_rejected",
        () -> s.rejected(need("api"), "GET", item, new Rejection(401, null, null, null)));
    expect(
        "credential_rejected",
        () ->
            s.rejected(
                need("api"), "GET", item, new Rejection(403, "DPoP error=\"weird\"", null, null)));
    expect(
        "dpop_nonce_rejected",
        () ->
            s.rejected(
                need("api"),
                "GET",
                item,
                new Rejection(401, "DPoP error=use_dpop_nonce", null, null)));
    expect(
        "dpop_nonce_rejected",
        () ->
            s.rejected(
                need("api"),
                "GET",
                item,
                new Rejection(401, "DPoP error=\"use_dpop_nonce\"", "bad nonce\n", null)));
    // a hostile challenge's scope is not repeated
    CredentialException hostile =
        expect(
            "insufficient_scope",
            () ->
                s.rejected(
                    need("api"),
                    "GET",
                    item,
                    new Rejection(
                        403, "DPoP error=\"insufficient_scope\", scope=\"a\\\"b\"", null, null)));
    assertFalse(hostile.getMessage(), hostile.getMessage().contains("a\\"));

    assertEquals(List.of("login:ok", "refresh:ok:rotated"), oauthReceipts("api"));
  }

  /**
   * {@link OAuthCredentials#dpopProof}: a proof for another token (a capability minted with the
   * DPoP-bound access token) from the same key as the access token's proofs, with that token's
   * {@code ath}, {@code htu} without the query, the given nonce; only on the provider's origin and
   * only once a login made a key.
   */
  @Test
  public void aProofForABoundTokenComesFromTheAccessTokensKey() throws Exception {
    OAuthCredentials s = service();
    s.add("capx", fixture.rs, fixture.rs + "/api", null, "api:read");
    URI quote = URI.create(fixture.rs + "/api/quote?symbol=ABC");
    Sensitive<String> cap = Sensitive.of("cap-token-for-the-proof-test");
    expect("missing_refresh_token", () -> s.dpopProof("capx", "GET", quote, cap, null));
    expect("unknown_provider", () -> s.dpopProof("nobody", "GET", quote, cap, null));
    login(s, "capx");
    String proof = s.dpopProof("capx", "GET", quote, cap, "n-9").reveal();
    CANARIES.secrets.add(proof);
    com.nimbusds.jwt.SignedJWT jwt = com.nimbusds.jwt.SignedJWT.parse(proof);
    assertEquals("dpop+jwt", jwt.getHeader().getType().toString());
    assertEquals("GET", jwt.getJWTClaimsSet().getStringClaim("htm"));
    assertEquals(fixture.rs + "/api/quote", jwt.getJWTClaimsSet().getStringClaim("htu"));
    assertEquals("n-9", jwt.getJWTClaimsSet().getStringClaim("nonce"));
    assertEquals(
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(cap.reveal().getBytes(StandardCharsets.UTF_8))),
        jwt.getJWTClaimsSet().getStringClaim("ath"));
    URI item = URI.create(fixture.rs + "/api/items/7");
    String accessProof = s.authorize(need("capx"), "GET", item).headers().get("DPoP").reveal();
    assertEquals(
        "the same key as the access token's proofs",
        com.nimbusds.jwt.SignedJWT.parse(accessProof)
            .getHeader()
            .getJWK()
            .computeThumbprint()
            .toString(),
        jwt.getHeader().getJWK().computeThumbprint().toString());
    expect(
        "oauth_resource_mismatch",
        () -> s.dpopProof("capx", "GET", URI.create("http://127.0.0.2:1/api/quote"), cap, null));
    expect("invalid_request", () -> s.dpopProof("capx", "GET", quote, null, null));
  }

  @Test
  public void aNewNonceIsRetriedOnce() throws Exception {
    OAuthCredentials s = service();
    s.add("nonced", fixture.rs, fixture.rs + "/api-nonce", null, "api:read");
    login(s, "nonced");
    URI api = URI.create(fixture.rs + "/api-nonce");
    // the resource moves to a nonce the client has not seen
    post(fixture.rs + "/control/rotate-nonce", "");
    HttpResponse<String> first = send(s.authorize(need("nonced"), "GET", api), "GET", api);
    assertEquals(401, first.statusCode());
    assertEquals("use_dpop_nonce", rejection(first).error());
    assertEquals(Retry.NONCE, s.rejected(need("nonced"), "GET", api, rejection(first)));
    HttpResponse<String> second = send(s.authorize(need("nonced"), "GET", api), "GET", api);
    assertEquals(second.body(), 200, second.statusCode());
  }

  @Test
  public void aWiderScopeIsAskedForOnTopOfTheProviders() throws Exception {
    OAuthCredentials s = service();
    s.add("wide", fixture.rs, fixture.rs + "/api", null, "api:read");
    LoginStart wide = s.start("wide", REDIRECT, "api:admin api:read");
    assertTrue(
        wide.authorizationUrl(), wide.authorizationUrl().contains("scope=api%3Aread+api%3Aadmin&"));
    LoginStart plain = s.start("wide", REDIRECT, null);
    assertTrue(plain.authorizationUrl(), plain.authorizationUrl().contains("scope=api%3Aread&"));
    expect("invalid_scope", () -> s.start("wide", REDIRECT, "a\"b"));
    expect("invalid_scope", () -> s.start("wide", REDIRECT, "x".repeat(513)));
    expect("unknown_provider", () -> s.start("nobody", REDIRECT, "api:admin"));
  }

  @Test
  public void aClientRegisteredByTheCliLogsInThroughTheConsoleCallback() throws Exception {
    OAuthCredentials s = service();
    s.add("both", fixture.rs, fixture.rs + "/api", null, "api:read");
    login(s, "both"); // registers the client with the CLI's redirect
    URI console = URI.create("http://127.0.0.1:47615/system/console/briefcase-providers/callback");
    LoginStart start = s.start("both", console);
    URI callback =
        HeadlessLogin.login(URI.create(start.authorizationUrl()), console.toString(), "frank");
    String code = HeadlessLogin.param(callback, "code");
    CANARIES.secrets.add(code);
    s.exchange("both", code, start.state(), HeadlessLogin.param(callback, "iss"));
    collectTokens("both");
    URI api = URI.create(fixture.rs + "/api");
    assertEquals(200, send(s.authorize(need("both"), "GET", api), "GET", api).statusCode());
  }

  // --- revocation in real time --------------------------------------------------------------

  @Test
  public void theCallRightAfterARevokeFailsAtPreflightUntilTheNextLogin() throws Exception {
    OAuthCredentials s = service();
    s.add("rt", fixture.rs, fixture.rs + "/api", null, "api:read");
    login(s, "rt");
    URI api = URI.create(fixture.rs + "/api");
    RequestCredential held = s.authorize(need("rt"), "GET", api);
    s.revoke("rt");
    // no waiting: the very next pre-flight and authorization refuse, with no network
    expect("credential_revoked", () -> s.preflight(need("rt")));
    expect("credential_revoked", () -> s.authorize(need("rt"), "GET", api));
    // a connector still holding a refused credential cannot get a retry either
    HttpResponse<String> after = send(held, "GET", api);
    expect("credential_revoked", () -> s.rejected(need("rt"), "GET", api, rejection(after)));
    assertFalse(s.status("rt").hasRefreshToken());

    // a restart keeps the mark
    OAuthCredentials restarted = service();
    expect("credential_revoked", () -> restarted.preflight(need("rt")));

    // the next successful login clears it
    login(restarted, "rt");
    restarted.preflight(need("rt"));
    assertEquals(200, send(restarted.authorize(need("rt"), "GET", api), "GET", api).statusCode());
    assertEquals(List.of("login:ok", "revoke:ok", "login:ok"), oauthReceipts("rt"));
  }

  @Test
  public void aRevokeTakesEffectHereWhenTheAsCannotBeReached() throws Exception {
    OAuthCredentials s = service();
    s.add("down", fixture.rs, fixture.rs + "/dead-revoke", null, "api:read");
    // the real AS under another issuer name (see OAuthFlowTest): no iss to pass
    login(s, "down", false);
    s.preflight(need("down"));
    dev.briefcase.credentials.RevokeResult r = s.revoke("down");
    assertTrue(r.remoteRevocationAttempted());
    assertFalse(r.remoteRevocationSucceeded());
    expect("credential_revoked", () -> s.preflight(need("down")));
    expect("credential_revoked", () -> service().preflight(need("down")));
  }

  @Test
  public void aRefreshTokenRevokedAtTheAsIsCredentialRevoked() throws Exception {
    OAuthCredentials s = service();
    s.add("gone", fixture.rs, fixture.rs + "/api", null, "api:read");
    login(s, "gone");
    String clientId =
        new String(
            secrets.get(OAuthClient.clientIdId("gone")).orElseThrow().reveal(),
            StandardCharsets.UTF_8);
    HttpResponse<String> r =
        post(
            fixture.as + "/token/revocation",
            "token="
                + enc(refreshToken("gone").orElseThrow())
                + "&token_type_hint=refresh_token&client_id="
                + enc(clientId));
    assertEquals(r.body(), 200, r.statusCode());
    URI api = URI.create(fixture.rs + "/api");
    HttpResponse<String> refused =
        send(
            s.authorize(need("gone"), "GET", api),
            "GET",
            api,
            null,
            Map.of("Authorization", "DPoP expired"));
    expect("credential_revoked", () -> s.rejected(need("gone"), "GET", api, rejection(refused)));
    // marked: from now on the pre-flight says so without asking the AS again
    expect("credential_revoked", () -> s.preflight(need("gone")));
    expect("credential_revoked", () -> service().preflight(need("gone")));
    assertEquals(List.of("login:ok", "refresh:failed:credential_revoked"), oauthReceipts("gone"));
  }

  @Test
  public void revokeAllAtTheAsEndsTheGrantAtTheNextRequest() throws Exception {
    OAuthCredentials s = service();
    s.add("all", fixture.rs, fixture.rs + "/api", null, "api:read");
    login(s, "all");
    URI api = URI.create(fixture.rs + "/api/x");
    assertEquals(200, send(s.authorize(need("all"), "GET", api), "GET", api).statusCode());
    HttpResponse<String> revoked = post(fixture.rs + "/control/revoke-all", "");
    assertEquals(revoked.body(), 200, revoked.statusCode());
    assertTrue(json(revoked.body()).path("revoked_access_tokens").asInt() >= 1);
    // the access token is refused, the refresh is refused: credential_revoked, then at pre-flight
    HttpResponse<String> refused = send(s.authorize(need("all"), "GET", api), "GET", api);
    assertEquals(401, refused.statusCode());
    assertEquals("invalid_token", rejection(refused).error());
    expect("credential_revoked", () -> s.rejected(need("all"), "GET", api, rejection(refused)));
    expect("credential_revoked", () -> s.preflight(need("all")));
  }

  // --- the DPoP key rotates only at a successful exchange -----------------------------------

  @Test
  public void aFailedReloginLeavesTheOldGrantWorking() throws Exception {
    OAuthCredentials s = service();
    s.add("keep", fixture.rs, fixture.rs + "/api", null, "api:read");
    login(s, "keep");
    KeyInfo key = keys.get(KeyDirectory.DPOP_PREFIX + "oauth.keep").orElseThrow();
    URI api = URI.create(fixture.rs + "/api");

    // a second login that fails at the exchange (the AS refuses the code)
    LoginStart again = s.start("keep", REDIRECT);
    CANARIES.secrets.add(client.verifierForTest(again.state()).orElseThrow());
    URI callback =
        HeadlessLogin.login(URI.create(again.authorizationUrl()), REDIRECT.toString(), "frank");
    CANARIES.secrets.add(HeadlessLogin.param(callback, "code"));
    expect(
        "oauth_exchange_failed",
        () ->
            s.exchange(
                "keep", "not-the-code", again.state(), HeadlessLogin.param(callback, "iss")));

    // the old grant: its access token, its key and its refresh token still work
    assertEquals(
        key.handle(), keys.get(KeyDirectory.DPOP_PREFIX + "oauth.keep").orElseThrow().handle());
    assertTrue(keys.get(KeyDirectory.DPOP_PREFIX + "oauth-keep").isEmpty());
    assertEquals(200, send(s.authorize(need("keep"), "GET", api), "GET", api).statusCode());
    client.refresh("keep");
    collectTokens("keep");
    assertEquals(200, send(s.authorize(need("keep"), "GET", api), "GET", api).statusCode());

    // a successful login moves to a new key in the other slot and destroys the old one
    login(s, "keep");
    assertTrue(keys.get(KeyDirectory.DPOP_PREFIX + "oauth.keep").isEmpty());
    KeyInfo next = keys.get(KeyDirectory.DPOP_PREFIX + "oauth-keep").orElseThrow();
    assertNotEquals(key.handle(), next.handle());
    assertEquals(200, send(s.authorize(need("keep"), "GET", api), "GET", api).statusCode());
    // and survives a restart: the slot in use is read back
    OAuthCredentials restarted = service();
    restarted.preflight(need("keep"));
    client.refresh("keep");
    collectTokens("keep");
    assertEquals(200, send(restarted.authorize(need("keep"), "GET", api), "GET", api).statusCode());
    restarted.revoke("keep");
    assertTrue(keys.get(KeyDirectory.DPOP_PREFIX + "oauth-keep").isEmpty());
    assertTrue(secrets.get(OAuthClient.dpopSlotId("keep")).isEmpty());
    assertEquals(
        List.of(
            "login:ok",
            "login:failed:oauth_exchange_failed",
            "refresh:ok:rotated",
            "login:ok",
            "refresh:ok:rotated",
            "revoke:ok"),
        oauthReceipts("keep"));
  }

  // --- helpers ------------------------------------------------------------------------------

  private interface Step {
    void run() throws Exception;
  }

  private static CredentialException expect(String code, Step step) {
    try {
      step.run();
    } catch (CredentialException e) {
      CANARIES.texts.add(e.getMessage());
      CANARIES.texts.add(e.toString());
      assertEquals(e.getMessage(), code, e.code());
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected " + code + ", got " + e, e);
    }
    fail("expected " + code);
    return null;
  }

  private static JsonNode json(String body) throws Exception {
    return MAPPER.readTree(body);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> post(String url, String form) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** The memory store, unavailable while {@code secretStoreDown} is set. */
  private final class FailingSecretStore implements SecretStore {
    private final SecretStore delegate;

    FailingSecretStore(SecretStore delegate) {
      this.delegate = delegate;
    }

    private void check() {
      if (secretStoreDown) {
        throw new SecretStoreException("secret_store_unavailable", "down for the test");
      }
    }

    @Override
    public java.util.Optional<Sensitive<byte[]>> get(String id) {
      check();
      return delegate.get(id);
    }

    @Override
    public void put(String id, Sensitive<byte[]> value) {
      check();
      delegate.put(id, value);
    }

    @Override
    public boolean delete(String id) {
      check();
      return delegate.delete(id);
    }

    @Override
    public List<String> ids() {
      check();
      return delegate.ids();
    }
  }
}
