package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.internal.AsTestKeys;
import dev.briefcase.provider.oauth.internal.AsFixture;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.MemoryReceiptLog;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.BundleContext;

/**
 * Briefcase's own OAuth client (bundles/oauth: Discovery, registration, PKCE login, DPoP exchange,
 * rotating refresh, revocation) against the reference AS, unchanged: what {@code briefcase login}
 * does against the reference provider, without OSGi. The test sits in the client's package because
 * its constructor is package-private.
 */
public class BriefcaseClientLoginTest {
  private static final String REDIRECT = "http://127.0.0.1:47613/callback";

  private SecretStore secrets;
  private KeyDirectory keys;
  private final MemoryReceiptLog receipts = new MemoryReceiptLog();

  @Before
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("briefcase-oauth-client");
    BundleContext context = BundleContexts.withoutProperties();
    secrets = new MemorySecretStore(context);
    keys =
        AsTestKeys.create(
            new SqliteStore(dir.resolve("briefcase.db")),
            receipts,
            new SoftwareSigner(secrets, context));
  }

  @Test
  public void briefcaseLogsInRefreshesAndRevokes() throws Exception {
    try (AsFixture as = AsFixture.start("auto", false)) {
      loginRefreshRevoke(as);
    }
  }

  @Test
  public void briefcaseFollowsTheServerNonce() throws Exception {
    try (AsFixture as = AsFixture.start("auto", true)) {
      loginRefreshRevoke(as);
    }
  }

  private void loginRefreshRevoke(AsFixture as) throws Exception {
    OAuthClient client =
        new OAuthClient(
            new HttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(5), 1 << 20),
            keys,
            secrets,
            receipts,
            Clock.systemUTC());
    client.register(new OAuthClient.Provider("demo", as.base, null, URI.create(REDIRECT), "quote"));
    OAuthClient.LoginStart start = client.start("demo");
    assertTrue(start.authorizationUrl().toString().startsWith(as.url("/oauth/authorize?")));

    // consent auto: the authorization endpoint redirects at once (a browser would follow it)
    HTTPRequest authorize = new HTTPRequest(HTTPRequest.Method.GET, start.authorizationUrl());
    authorize.setFollowRedirects(false);
    HTTPResponse res = authorize.send();
    assertEquals(302, res.getStatusCode());
    URI callback = URI.create(res.getHeaderValue("Location"));
    assertTrue(callback.toString().startsWith(REDIRECT + "?"));
    Map<String, String> q = HeadlessParams.of(callback);
    assertEquals(start.state(), q.get("state"));
    client.exchange("demo", q.get("code"), q.get("state"), q.get("iss"));

    URI quote = URI.create(as.url("/api/quote"));
    OAuthClient.Authorization auth = client.authorize("demo", "GET", quote);
    assertTrue(auth.authorization().startsWith("DPoP "));
    assertNotNull(auth.proof());
    SignedJWT at = SignedJWT.parse(auth.authorization().substring("DPoP ".length()));
    String slot = secret(OAuthClient.dpopSlotId("demo"), OAuthClient.dpopServer("demo"));
    String jkt = keys.get(KeyDirectory.DPOP_PREFIX + slot).orElseThrow().thumbprint();
    assertEquals(jkt, at.getJWTClaimsSet().getJSONObjectClaim("cnf").get("jkt"));
    assertEquals("quote", at.getJWTClaimsSet().getStringClaim("scope"));
    assertEquals(as.base.toString(), at.getJWTClaimsSet().getIssuer());

    String refresh1 = secret(OAuthClient.refreshTokenId("demo"), null);
    client.refresh("demo");
    String refresh2 = secret(OAuthClient.refreshTokenId("demo"), null);
    assertNotEquals("the refresh token rotated", refresh1, refresh2);

    OAuthClient.RevokeResult revoked = client.revoke("demo");
    assertTrue(revoked.remoteRevocationAttempted());
    assertTrue(revoked.remoteRevocationSucceeded());
    assertEquals("the AS revoked the grant family", 1, as.revokedGrants());
  }

  private String secret(String id, String fallback) throws Exception {
    return secrets
        .get(id)
        .map(s -> new String(s.reveal(), StandardCharsets.UTF_8))
        .orElse(fallback);
  }

  /** The query parameters of a callback URL. */
  private static final class HeadlessParams {
    static Map<String, String> of(URI callback) {
      Map<String, String> out = new java.util.LinkedHashMap<>();
      for (String pair : callback.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        out.put(
            pair.substring(0, eq),
            java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
      return out;
    }
  }
}
