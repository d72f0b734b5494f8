package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.credentials.AccessCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.credentials.RevokeResult;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.internal.OAuthTestKeys;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.MemoryReceiptLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.osgi.framework.BundleContext;

/**
 * The credential service over the store-backed registry, against the real AS and DPoP-checking
 * resource: SPEC §8.1 rules with their codes, persistence across a restart of the component, a
 * login with a per-login loopback redirect, a fresh access credential the resource accepts, status
 * without values, revoke and remove.
 */
public class OAuthCredentialsTest {
  private static OAuthFixture fixture;

  private final MemoryReceiptLog receipts = new MemoryReceiptLog();
  private SqliteStore store;
  private SecretStore secrets;
  private KeyDirectory keys;

  @BeforeClass
  public static void startFixture() throws Exception {
    fixture = OAuthFixture.start();
  }

  @AfterClass
  public static void stopFixture() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Before
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("briefcase-oauth-credentials");
    BundleContext context = BundleContexts.withoutProperties();
    store = new SqliteStore(dir.resolve("briefcase.db"));
    secrets = new MemorySecretStore(context);
    keys = OAuthTestKeys.create(store, receipts, new SoftwareSigner(secrets, context));
  }

  private OAuthCredentials service() {
    return new OAuthCredentials(
        new ProviderTable(store),
        new OAuthClient(
            new HttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(3), 1 << 20),
            keys,
            secrets,
            receipts,
            Clock.systemUTC()),
        receipts,
        Clock.systemUTC());
  }

  @Test
  public void registryRulesHaveTheirCodes() {
    OAuthCredentials s = service();
    String rs = fixture.rs;
    expect("invalid_provider_id", () -> s.add("", rs, null, null, null));
    expect("invalid_provider_id", () -> s.add("bad/id", rs, null, null, null));
    expect("invalid_provider_id", () -> s.add("a".repeat(59), rs, null, null, null));
    expect("invalid_provider_id", () -> s.add(null, rs, null, null, null));
    expect("invalid_base_url", () -> s.add("p", "ftp://127.0.0.1", null, null, null));
    expect("invalid_base_url", () -> s.add("p", "http://example.com", null, null, null));
    expect("invalid_base_url", () -> s.add("p", "https://u:pw@example.com", null, null, null));
    expect("invalid_base_url", () -> s.add("p", "https://example.com/path", null, null, null));
    expect("invalid_base_url", () -> s.add("p", "https://example.com/?q=1", null, null, null));
    expect("invalid_base_url", () -> s.add("p", "https://example.com/#f", null, null, null));
    expect("invalid_base_url", () -> s.add("p", "not a url", null, null, null));
    expect("invalid_base_url", () -> s.add("p", null, null, null, null));
    expect(
        "invalid_endpoint_url",
        () -> s.add("p", "https://example.com", "https://other.example/api", null, null));
    expect(
        "invalid_endpoint_url",
        () -> s.add("p", "https://example.com", "https://example.com/api?x=1", null, null));
    expect("invalid_scope", () -> s.add("p", rs, null, null, "a\"b"));
    expect("invalid_client_id", () -> s.add("p", rs, null, "a\nb", null));
    assertEquals(List.of(), s.list());
    expect("unknown_provider", () -> s.status("nobody"));
    expect("unknown_provider", () -> s.start("nobody", null));
    expect("unknown_provider", () -> s.revoke("nobody"));
    expect("unknown_provider", () -> s.remove("nobody"));

    ProviderStatus added = s.add("ok", "https://example.com/", null, null, null);
    assertEquals("https://example.com", added.provider().baseUrl());
    assertEquals("https://example.com", added.provider().resourceUrl());
    expect("provider_exists", () -> s.add("ok", rs, null, null, null));
    assertEquals(
        1,
        receipts.events().stream().filter(r -> r.path("type").asText().equals("provider")).count());
  }

  @Test
  public void aRowThatNoLongerPassesIsNeverUsed() {
    OAuthCredentials s = service();
    s.add("tampered", fixture.rs, fixture.rs + "/api", null, null);
    store.write(
        c ->
            c.createStatement()
                .executeUpdate("UPDATE oauth_providers SET base_url = 'http://evil.example'"));
    expect("invalid_base_url", () -> s.status("tampered"));
    expect("invalid_base_url", () -> s.start("tampered", null));
    assertEquals(List.of(), s.list());
    // it can still be removed: forgotten locally, the tampered URL is never contacted
    RevokeResult removed = s.remove("tampered");
    assertFalse(removed.remoteRevocationAttempted());
    expect("unknown_provider", () -> s.status("tampered"));
    assertTrue(
        store.read(
            c -> {
              try (var rs =
                  c.createStatement().executeQuery("SELECT count(*) FROM oauth_providers")) {
                return rs.next() && rs.getInt(1) == 0;
              }
            }));
  }

  @Test
  public void loginStatusCredentialRevokeAndRemove() throws Exception {
    OAuthCredentials s = service();
    s.add("api", fixture.rs, fixture.rs + "/api", null, "api:read");
    // a restart: the entry comes back from the store
    s = service();
    assertEquals("api", s.list().get(0).provider().id());
    assertFalse(s.status("api").hasRefreshToken());

    URI redirect = URI.create("http://127.0.0.1:51234/callback");
    expect(
        "invalid_redirect_uri", () -> service().start("api", URI.create("http://evil.example/cb")));
    LoginStart start = s.start("api", redirect);
    assertTrue(
        start.authorizationUrl(),
        start
            .authorizationUrl()
            .contains(
                "redirect_uri="
                    + java.net.URLEncoder.encode(redirect.toString(), StandardCharsets.UTF_8)));
    URI callback =
        HeadlessLogin.login(URI.create(start.authorizationUrl()), redirect.toString(), "erin");
    assertEquals(start.state(), HeadlessLogin.param(callback, "state"));
    String code = HeadlessLogin.param(callback, "code");
    OAuthCredentials s2 = s;
    expect("unknown_oauth_state", () -> s2.exchange("api", code, "no-such-state", null));
    LoginResult result =
        s.exchange("api", code, start.state(), HeadlessLogin.param(callback, "iss"));
    assertTrue(result.dpopBound());
    assertTrue(result.accessTokenExpiresAt().isAfter(Instant.now()));

    ProviderStatus status = s.status("api");
    assertTrue(status.hasRefreshToken());
    assertNotNull(status.accessTokenExpiresAt());
    String refresh =
        new String(
            secrets.get(OAuthClient.refreshTokenId("api")).orElseThrow().reveal(),
            StandardCharsets.UTF_8);
    assertFalse(status.toString().contains(refresh));

    // the credential for one request: the resource checks the token, cnf.jkt, htm, htu and ath
    URI target = URI.create(fixture.rs + "/api");
    AccessCredential cred = s.accessCredential("api", "GET", target);
    assertFalse(cred.toString().contains(cred.authorization().reveal().substring(5)));
    HttpResponse<String> res =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(target)
                    .header("Authorization", cred.authorization().reveal())
                    .header("DPoP", cred.dpopProof().reveal())
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(res.body(), 200, res.statusCode());
    expect(
        "oauth_resource_mismatch",
        () -> s2.accessCredential("api", "GET", URI.create(fixture.rs + "/other")));
    expect("invalid_request", () -> s2.accessCredential("api", "get me", target));

    RevokeResult revoked = s.revoke("api");
    assertTrue(revoked.hadRefreshToken());
    assertTrue(revoked.remoteRevocationAttempted());
    assertTrue(revoked.remoteRevocationSucceeded());
    assertFalse(s.status("api").hasRefreshToken());
    assertNull(s.status("api").accessTokenExpiresAt());
    expect("credential_revoked", () -> s2.accessCredential("api", "GET", target));

    RevokeResult removed = s.remove("api");
    assertFalse(removed.hadRefreshToken());
    expect("unknown_provider", () -> s2.status("api"));
    assertTrue(secrets.get(OAuthClient.clientIdId("api")).isEmpty());
    assertEquals(List.of(), service().list());
    String all = receipts.events().toString();
    assertFalse("a token in a receipt", all.contains(refresh));
    assertFalse("a code in a receipt", all.contains(code));
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void expect(String code, Step step) {
    try {
      step.run();
    } catch (CredentialException e) {
      assertEquals(e.getMessage(), code, e.code());
      return;
    } catch (Exception e) {
      throw new AssertionError("expected " + code + ", got " + e, e);
    }
    fail("expected " + code);
  }
}
