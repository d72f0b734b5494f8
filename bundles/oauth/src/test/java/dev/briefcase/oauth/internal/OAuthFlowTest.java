package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.keys.internal.OAuthTestKeys;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.MemoryReceiptLog;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.osgi.framework.BundleContext;

/**
 * The OAuth client against a real authorization server (oidc-provider) and a DPoP-checking
 * resource, both started by {@link OAuthFixture}. Every value that must stay secret (codes,
 * verifiers, access and refresh tokens, proofs) is collected as it appears; after all flows, the
 * captured log and every exception message are searched for them (the canary check).
 */
public class OAuthFlowTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  private static final String REDIRECT = "http://127.0.0.1:47613/callback";

  private static OAuthFixture fixture;
  private static final CanaryWatch CANARIES = new CanaryWatch();

  private SecretStore secrets;
  private KeyDirectory keys;
  private final MemoryReceiptLog receipts = new MemoryReceiptLog();

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
    assertTrue(
        "no oauth receipts were written",
        CANARIES.receipts.stream().anyMatch(r -> r.path("type").asText().equals("oauth")));
    CANARIES.check(log, "oauth login started for provider");
  }

  @After
  public void keepReceiptsForTheCanaryCheck() {
    CANARIES.receipts.addAll(receipts.events());
  }

  @Before
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("briefcase-oauth-test");
    BundleContext context = BundleContexts.withoutProperties();
    secrets = new MemorySecretStore(context);
    keys =
        OAuthTestKeys.create(
            new SqliteStore(dir.resolve("briefcase.db")),
            receipts,
            new SoftwareSigner(secrets, context));
  }

  private OAuthClient client(Clock clock) {
    OAuthClient c =
        new OAuthClient(
            new HttpTransport(Duration.ofSeconds(2), DEADLINE, 1 << 20),
            keys,
            secrets,
            receipts,
            clock);
    // every proof the client sends is a secret the canary check looks for
    c.setProofTap(
        p -> {
          CANARIES.secrets.add(p);
          return p;
        });
    return c;
  }

  private OAuthClient client() {
    return client(Clock.systemUTC());
  }

  private static OAuthClient.Provider provider(String id, String endpoint) {
    return new OAuthClient.Provider(
        id, URI.create(endpoint), null, URI.create(REDIRECT), "api:read");
  }

  /** start → headless login → exchange; collects code, verifier and tokens as secrets. */
  private void login(OAuthClient c, String id) throws Exception {
    login(c, id, true);
  }

  /**
   * @param passIss whether to hand the callback's RFC 9207 {@code iss} to the exchange
   */
  private void login(OAuthClient c, String id, boolean passIss) throws Exception {
    OAuthClient.LoginStart start = c.start(id);
    String url = start.authorizationUrl().toString();
    assertTrue(url.contains("code_challenge_method=S256"));
    assertTrue(url.contains("resource="));
    assertTrue(url.contains("state=" + start.state()));
    CANARIES.secrets.add(c.verifierForTest(start.state()).orElseThrow());
    URI callback = HeadlessLogin.login(start.authorizationUrl(), REDIRECT, "alice");
    String code = HeadlessLogin.param(callback, "code");
    assertNotNull("no code in " + callback.getPath(), code);
    CANARIES.secrets.add(code);
    OAuthClient.checkCallbackState(start.state(), HeadlessLogin.param(callback, "state"));
    c.exchange(id, code, start.state(), passIss ? HeadlessLogin.param(callback, "iss") : null);
    collectTokens(c, id);
  }

  private void collectTokens(OAuthClient c, String id) throws Exception {
    c.accessTokenForTest(id).ifPresent(CANARIES.secrets::add);
    refreshToken(id).ifPresent(CANARIES.secrets::add);
  }

  /** The oauth receipts so far, as {@code action:outcome[:code]} strings. */
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

  private Optional<String> refreshToken(String id) {
    return secrets
        .get(OAuthClient.refreshTokenId(id))
        .map(s -> new String(s.reveal(), StandardCharsets.UTF_8));
  }

  private static OAuthException expect(String code, ThrowingRunnable r) {
    try {
      r.run();
    } catch (OAuthException e) {
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

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static HttpResponse<String> post(String url, String form) throws Exception {
    return post(url, form, "application/x-www-form-urlencoded");
  }

  private static HttpResponse<String> post(String url, String body, String type) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(String body) throws Exception {
    return MAPPER.readTree(body);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // --- the full flow ------------------------------------------------------------------------

  @Test
  public void loginCallRefreshRotateRevoke() throws Exception {
    OAuthClient c = client();
    c.register(provider("acme", fixture.rs + "/api"));
    login(c, "acme");

    // the client registered itself (RFC 7591) and the AS bound the tokens to an EdDSA key
    String clientId =
        new String(
            secrets.get(OAuthClient.clientIdId("acme")).orElseThrow().reveal(),
            StandardCharsets.UTF_8);
    KeyInfo key = keys.get(KeyDirectory.DPOP_PREFIX + "oauth.acme").orElseThrow();
    assertEquals(KeyAlgorithm.ED25519, key.handle().algorithm());

    OAuthClient.ResourceResponse first = c.call("acme", "GET", URI.create(fixture.rs + "/api"));
    assertEquals(first.body(), 200, first.status());
    assertEquals("alice", json(first.body()).path("sub").asText());
    assertEquals("api:read", json(first.body()).path("scope").asText());

    // refresh: a new access token and a rotated refresh token; the old one is dead at the AS
    String oldRefresh = refreshToken("acme").orElseThrow();
    String oldAccess = c.accessTokenForTest("acme").orElseThrow();
    c.refresh("acme");
    collectTokens(c, "acme");
    String newRefresh = refreshToken("acme").orElseThrow();
    assertNotEquals(oldRefresh, newRefresh);
    assertNotEquals(oldAccess, c.accessTokenForTest("acme").orElseThrow());
    // the DPoP key is kept across refreshes (a bound refresh token needs the same key)
    assertEquals(
        key.handle(), keys.get(KeyDirectory.DPOP_PREFIX + "oauth.acme").orElseThrow().handle());
    OAuthClient.ResourceResponse second = c.call("acme", "POST", URI.create(fixture.rs + "/api"));
    assertEquals(200, second.status());
    assertEquals("POST", json(second.body()).path("method").asText());

    // revoke: at the AS, then forgotten locally
    OAuthClient.RevokeResult revoked = c.revoke("acme");
    assertTrue(revoked.hadRefreshToken());
    assertTrue(revoked.remoteRevocationAttempted());
    assertTrue(revoked.remoteRevocationSucceeded());
    assertTrue(refreshToken("acme").isEmpty());
    assertTrue(c.accessTokenForTest("acme").isEmpty());
    assertTrue(keys.get(KeyDirectory.DPOP_PREFIX + "oauth.acme").isEmpty());
    expect("missing_refresh_token", () -> c.refresh("acme"));
    expect("missing_refresh_token", () -> c.call("acme", "GET", URI.create(fixture.rs + "/api")));

    // the AS itself refuses the revoked token (and the rotated-out one) from now on
    JsonNode md =
        json(
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create(fixture.as + "/.well-known/openid-configuration"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    String tokenEndpoint = md.path("token_endpoint").asText();
    for (String rt : List.of(newRefresh, oldRefresh)) {
      HttpResponse<String> r =
          post(
              tokenEndpoint,
              "grant_type=refresh_token&client_id=" + enc(clientId) + "&refresh_token=" + enc(rt));
      assertEquals(r.body(), 400, r.statusCode());
      assertEquals("invalid_grant", json(r.body()).path("error").asText());
    }
    assertEquals(
        List.of(
            "login:ok",
            "refresh:ok:rotated",
            "revoke:ok",
            "refresh:failed:missing_refresh_token",
            "refresh:failed:missing_refresh_token"),
        oauthReceipts("acme"));
    ObjectNode revokeReceipt =
        receipts.events().stream()
            .filter(x -> x.path("action").asText().equals("revoke"))
            .findFirst()
            .orElseThrow();
    assertTrue(revokeReceipt.path("remote_revocation_succeeded").asBoolean());
  }

  @Test
  public void revocationWithTheAsDownStillForgetsLocally() throws Exception {
    OAuthClient c = client();
    c.register(provider("norevoke", fixture.rs + "/dead-revoke"));
    // the real AS under another name: its metadata does not promise iss, and the one it sends
    // names the real AS, so the callback's iss is left out here
    login(c, "norevoke", false);
    assertTrue(refreshToken("norevoke").isPresent());
    OAuthClient.RevokeResult r = c.revoke("norevoke");
    assertTrue(r.hadRefreshToken());
    assertTrue(r.remoteRevocationAttempted());
    assertFalse(r.remoteRevocationSucceeded());
    assertTrue(refreshToken("norevoke").isEmpty());
    assertTrue(c.accessTokenForTest("norevoke").isEmpty());
    assertTrue(keys.get(KeyDirectory.DPOP_PREFIX + "oauth.norevoke").isEmpty());
    expect("missing_refresh_token", () -> c.refresh("norevoke"));
    // nothing stored: nothing to revoke, nothing attempted
    OAuthClient.RevokeResult again = c.revoke("norevoke");
    assertFalse(again.hadRefreshToken());
    assertFalse(again.remoteRevocationAttempted());
  }

  @Test
  public void refreshAndRevocationGoOnlyToTheIssuerThatIssuedTheRefreshToken() throws Exception {
    OAuthClient c = client();
    c.register(provider("mixup", fixture.rs + "/api"));
    login(c, "mixup");
    String refresh = refreshToken("mixup").orElseThrow();

    // the provider's resource now names another AS, which records everything it is sent
    com.sun.net.httpserver.HttpServer other =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    String base = "http://127.0.0.1:" + other.getAddress().getPort();
    List<String> heard = new CopyOnWriteArrayList<>();
    other.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          heard.add(
              path + " " + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          String body =
              switch (path) {
                case "/.well-known/oauth-protected-resource/api" ->
                    "{\"resource\":\""
                        + base
                        + "/api\",\"authorization_servers\":[\""
                        + base
                        + "\"]}";
                case "/.well-known/oauth-authorization-server" ->
                    "{\"issuer\":\""
                        + base
                        + "\",\"authorization_endpoint\":\""
                        + base
                        + "/auth\",\"token_endpoint\":\""
                        + base
                        + "/token\",\"revocation_endpoint\":\""
                        + base
                        + "/revoke\",\"response_types_supported\":[\"code\"],"
                        + "\"code_challenge_methods_supported\":[\"S256\"],"
                        + "\"dpop_signing_alg_values_supported\":[\"EdDSA\",\"ES256\"]}";
                case "/token" -> "{\"error\":\"invalid_grant\"}";
                default -> null;
              };
          byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          int status = body == null ? 200 : path.equals("/token") ? 400 : 200;
          ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
          if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
          }
          ex.close();
        });
    other.start();
    try {
      c.register(provider("mixup", base + "/api"));
      expect("oauth_issuer_mismatch", () -> c.refresh("mixup"));
      // the refresh token was not spent: it is still the stored one
      assertEquals(refresh, refreshToken("mixup").orElseThrow());
      OAuthClient.RevokeResult r = c.revoke("mixup");
      assertTrue(r.hadRefreshToken());
      assertFalse(r.remoteRevocationAttempted());
      assertTrue(refreshToken("mixup").isEmpty());
      for (String request : heard) {
        assertFalse(
            "the refresh token went to another AS: " + request.split(" ")[0],
            request.contains(refresh) || request.contains(enc(refresh)));
        assertFalse(request, request.startsWith("/token") || request.startsWith("/revoke"));
      }
    } finally {
      other.stop(0);
    }
    assertEquals(
        List.of("login:ok", "refresh:failed:oauth_issuer_mismatch", "revoke:ok"),
        oauthReceipts("mixup"));
  }

  @Test
  public void metadataNamedOnlyByTheChallengeIsFound() throws Exception {
    OAuthClient c = client();
    c.register(provider("hinted", fixture.rs + "/hinted"));
    // no well-known document covers /hinted: only the 401's resource_metadata leads to it
    login(c, "hinted");
    OAuthClient.ResourceResponse r = c.call("hinted", "GET", URI.create(fixture.rs + "/hinted"));
    assertEquals(r.body(), 200, r.status());
  }

  @Test
  public void expiredAccessTokensAreRefreshedOnceUnderConcurrentCalls() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    OAuthClient c = client(clock);
    c.register(provider("busy", fixture.rs + "/api"));
    login(c, "busy");
    URI api = URI.create(fixture.rs + "/api");
    assertEquals(200, c.call("busy", "GET", api).status());
    // 600 s tokens are used until 30 s before expiry: at +571 s every call needs a new one
    clock.advance(Duration.ofSeconds(571));
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        calls.add(pool.submit(() -> c.call("busy", "GET", api).status()));
      }
      for (Future<Integer> f : calls) {
        assertEquals(Integer.valueOf(200), f.get(30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    collectTokens(c, "busy");
    // one refresh: a rotated refresh token was never presented twice
    assertEquals(List.of("login:ok", "refresh:ok:rotated"), oauthReceipts("busy"));
  }

  @Test
  public void aConfiguredClientIdIsUsedAndLoginsAreBounded() throws Exception {
    HttpResponse<String> reg =
        post(
            fixture.as + "/reg",
            "{\"redirect_uris\":[\""
                + REDIRECT
                + "\"],\"application_type\":\"native\",\"token_endpoint_auth_method\":\"none\"}",
            "application/json");
    assertEquals(reg.body(), 201, reg.statusCode());
    String clientId = json(reg.body()).path("client_id").asText();
    OAuthClient c = client();
    c.register(
        new OAuthClient.Provider(
            "fixed", URI.create(fixture.rs + "/api"), clientId, URI.create(REDIRECT), "api:read"));
    login(c, "fixed");
    assertEquals(
        clientId,
        new String(
            secrets.get(OAuthClient.clientIdId("fixed")).orElseThrow().reveal(),
            StandardCharsets.UTF_8));
    assertEquals(200, c.call("fixed", "GET", URI.create(fixture.rs + "/api")).status());
    // open login sessions are bounded
    for (int i = 0; i < 256; i++) {
      c.start("fixed");
    }
    expect("too_many_logins", () -> c.start("fixed"));
  }

  @Test
  public void nonceRequiringServersAndStaleNonces() throws Exception {
    OAuthClient c = client();
    c.register(provider("nonced", fixture.rs + "/api-nonce"));
    // the AS of /api-nonce answers use_dpop_nonce to a proof without its nonce: retried once
    login(c, "nonced");
    URI api = URI.create(fixture.rs + "/api-nonce");
    assertEquals(200, c.call("nonced", "GET", api).status());
    assertEquals(200, c.call("nonced", "GET", api).status());

    // the resource moves to a new nonce: the kept one is stale, one retry with the new one
    post(fixture.rs + "/control/rotate-nonce", "");
    int before = hits("/api-nonce");
    assertEquals(200, c.call("nonced", "GET", api).status());
    assertEquals(before + 1, hits("/api-nonce"));

    // the nonce kept for the AS has gone stale: its token endpoint says so, one retry
    c.nonces.put(URI.create(fixture.asNonce + "/token"), "stale-nonce");
    c.refresh("nonced");
    assertNotEquals("stale-nonce", c.nonces.get(URI.create(fixture.asNonce + "/token")));
    collectTokens(c, "nonced");
    assertEquals(200, c.call("nonced", "GET", api).status());

    // a resource that refuses every nonce: exactly one retry, then a stable code
    post(fixture.rs + "/control/reject-nonces", "");
    expect("dpop_nonce_rejected", () -> c.call("nonced", "GET", api));
  }

  private int hits(String path) throws Exception {
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(fixture.rs + "/control/hits")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return json(body).path(path).asInt();
  }

  // --- negative cases -----------------------------------------------------------------------

  @Test
  public void wrongStateIsRefused() throws Exception {
    OAuthClient c = client();
    c.register(provider("one", fixture.rs + "/api"));
    c.register(provider("two", fixture.rs + "/api"));
    OAuthClient.LoginStart start = c.start("one");
    CANARIES.secrets.add(c.verifierForTest(start.state()).orElseThrow());
    expect("unknown_oauth_state", () -> c.exchange("one", "some-code", "not-a-state", fixture.as));
    expect("oauth_state_mismatch", () -> c.exchange("two", "some-code", start.state(), fixture.as));
    expect(
        "oauth_state_mismatch",
        () -> OAuthClient.checkCallbackState(start.state(), start.state() + "x"));
    expect("oauth_state_mismatch", () -> OAuthClient.checkCallbackState(start.state(), null));
    // the refused attempts did not use the session up: the right provider still logs in once
    URI callback = HeadlessLogin.login(start.authorizationUrl(), REDIRECT, "bob");
    String code = HeadlessLogin.param(callback, "code");
    CANARIES.secrets.add(code);
    String iss = HeadlessLogin.param(callback, "iss");
    assertEquals(fixture.as, iss);
    // a mix-up: the callback names another issuer, or (this AS always sends it) none
    expect("oauth_issuer_mismatch", () -> c.exchange("one", code, start.state(), fixture.asNonce));
    expect("oauth_issuer_mismatch", () -> c.exchange("one", code, start.state(), null));
    c.exchange("one", code, start.state(), iss);
    collectTokens(c, "one");
    expect("unknown_oauth_state", () -> c.exchange("one", code, start.state(), iss));
    assertEquals(
        List.of(
            "login:failed:unknown_oauth_state",
            "login:failed:oauth_issuer_mismatch",
            "login:failed:oauth_issuer_mismatch",
            "login:ok",
            "login:failed:unknown_oauth_state"),
        oauthReceipts("one"));
    assertEquals(List.of("login:failed:oauth_state_mismatch"), oauthReceipts("two"));
  }

  @Test
  public void expiredLoginIsRefused() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    OAuthClient c = client(clock);
    c.register(provider("late", fixture.rs + "/api"));
    OAuthClient.LoginStart start = c.start("late");
    CANARIES.secrets.add(c.verifierForTest(start.state()).orElseThrow());
    URI callback = HeadlessLogin.login(start.authorizationUrl(), REDIRECT, "carol");
    String code = HeadlessLogin.param(callback, "code");
    CANARIES.secrets.add(code);
    clock.advance(OAuthClient.LOGIN_TTL.plusSeconds(1));
    expect(
        "oauth_state_expired",
        () -> c.exchange("late", code, start.state(), HeadlessLogin.param(callback, "iss")));
    assertEquals(List.of("login:failed:oauth_state_expired"), oauthReceipts("late"));
    assertTrue(refreshToken("late").isEmpty());
  }

  @Test
  public void asMetadataForAnotherIssuerIsRefused() throws Exception {
    OAuthClient c = client();
    c.register(provider("mm", fixture.rs + "/mismatch"));
    expect("oauth_issuer_mismatch", () -> c.start("mm"));
  }

  @Test
  public void prmForAnotherResourceIsDiscarded() throws Exception {
    OAuthClient c = client();
    c.register(provider("wp", fixture.rs + "/wrong-prefix"));
    expect("oauth_resource_mismatch", () -> c.start("wp"));
    // the same rule at the unit level: origin and segment boundary
    assertTrue(
        ServerUrls.isPrefix(
            URI.create("https://a.example/api"), URI.create("https://a.example/api/x")));
    assertFalse(
        ServerUrls.isPrefix(
            URI.create("https://a.example/api"), URI.create("https://a.example/apix")));
    assertFalse(
        ServerUrls.isPrefix(
            URI.create("https://a.example/api"), URI.create("https://b.example/api")));
    assertFalse(
        ServerUrls.isPrefix(
            URI.create("http://a.example/api"), URI.create("https://a.example/api")));
  }

  @Test
  public void discoveryFollowsTheChallengeThenTheWellKnownPaths() throws Exception {
    HttpTransport http = new HttpTransport(Duration.ofSeconds(2), DEADLINE, 1 << 20);
    Discovery d = new Discovery(http, Clock.systemUTC());
    // a 401 from the resource names its metadata
    HttpResponse<String> challenge =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(fixture.rs + "/api")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(401, challenge.statusCode());
    String www = challenge.headers().firstValue("www-authenticate").orElseThrow();
    assertEquals(
        fixture.rs + "/.well-known/oauth-protected-resource/api",
        Discovery.resourceMetadataUrl(www));
    Discovery.Server s = d.discover(URI.create(fixture.rs + "/api"), www);
    assertEquals(URI.create(fixture.rs + "/api"), s.resource());
    assertEquals(fixture.as, s.issuer());
    // oidc-provider serves only the OpenID document: the fallback found it
    assertEquals(URI.create(fixture.as + "/token"), s.tokenEndpoint());
    assertNotNull(s.revocationEndpoint());
    assertNotNull(s.registrationEndpoint());
    assertTrue(s.dpopAlgorithms().contains("ES256"));
    // no path document: the origin-level one, which covers /root-only
    Discovery.Server root = d.discover(URI.create(fixture.rs + "/root-only/items"), null);
    assertEquals(URI.create(fixture.rs + "/root-only"), root.resource());
  }

  @Test
  public void asWithoutS256IsRefused() throws Exception {
    OAuthClient c = client();
    c.register(provider("plain", fixture.rs + "/no-s256"));
    expect("oauth_pkce_unsupported", () -> c.start("plain"));
  }

  @Test
  public void replayedProofIsRefusedByTheResource() throws Exception {
    OAuthClient c = client();
    c.register(provider("replay", fixture.rs + "/api"));
    login(c, "replay");
    URI api = URI.create(fixture.rs + "/api");
    assertEquals(200, c.call("replay", "GET", api).status());
    // someone on the path replays the first proof they saw for the resource
    AtomicReference<String> captured = new AtomicReference<>();
    c.setProofTap(
        p -> {
          CANARIES.secrets.add(p);
          captured.compareAndSet(null, p);
          return captured.get();
        });
    assertEquals(200, c.call("replay", "GET", api).status());
    expect("replay_detected", () -> c.call("replay", "GET", api));
  }

  @Test
  public void refreshTokenRevokedAtTheAsFails() throws Exception {
    OAuthClient c = client();
    c.register(provider("gone", fixture.rs + "/api"));
    login(c, "gone");
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
    expect("credential_revoked", () -> c.refresh("gone"));
    assertEquals(List.of("login:ok", "refresh:failed:credential_revoked"), oauthReceipts("gone"));
  }

  @Test
  public void asDownFailsClosedWithinTheDeadline() throws Exception {
    OAuthClient c = client();
    // nothing listens
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    c.register(provider("down", "http://127.0.0.1:" + closedPort + "/api"));
    expect("oauth_unavailable", () -> c.start("down"));
    // accepts, never answers
    try (ServerSocket hole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> held = new ArrayList<>();
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(hole.accept());
                  }
                } catch (Exception e) {
                  // closed
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      c.register(provider("hang", "http://127.0.0.1:" + hole.getLocalPort() + "/api"));
      long t0 = System.nanoTime();
      expect("oauth_unavailable", () -> c.start("hang"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue("took " + ms + " ms", ms >= DEADLINE.toMillis() - 100);
      assertTrue("took " + ms + " ms", ms < DEADLINE.toMillis() + 1500);
    }
  }

  @Test
  public void badProviderInputGetsStableCodes() throws Exception {
    OAuthClient c = client();
    expect("invalid_provider_id", () -> c.register(provider("bad id", fixture.rs + "/api")));
    expect("invalid_endpoint_url", () -> c.register(provider("x", "http://example.com/api")));
    expect("invalid_endpoint_url", () -> c.register(provider("x", "https://u:p@example.com/api")));
    expect("unknown_provider", () -> c.start("nobody"));
    c.register(provider("scoped", fixture.rs + "/api"));
    expect(
        "oauth_resource_mismatch",
        () -> c.call("scoped", "GET", URI.create(fixture.rs + "/other")));
  }

  // --- helpers ------------------------------------------------------------------------------

  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
