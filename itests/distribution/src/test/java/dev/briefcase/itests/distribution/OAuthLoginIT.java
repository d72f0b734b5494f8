package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.oauth.internal.HeadlessLogin;
import dev.briefcase.oauth.internal.OAuthFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * {@code briefcase providers} and {@code briefcase login} through the built distribution against
 * the real authorization server (bundles/oauth's oidc-provider fixture): the CLI listens on a
 * loopback redirect, the login is driven headlessly, a forged callback with another {@code state}
 * is refused and does not end the login, the daemon stores a refresh token that {@code providers
 * status} reports without its value, {@code revoke oauth} revokes at the AS; bad ids and base URLs,
 * an unknown provider and a login nobody completes end with their codes. Afterwards the daemon's
 * log, every CLI output and the receipts are searched for the code and for any JWT (access tokens
 * and DPoP proofs are JWTs).
 */
public class OAuthLoginIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static OAuthFixture fixture;
  private static Distribution d;
  private static final List<String> OUTPUTS = new ArrayList<>();

  @BeforeClass
  public static void start() throws Exception {
    System.setProperty(
        "briefcase.oauth.js",
        FeatureBundles.root().resolve("bundles/oauth/src/test/js").toString());
    fixture = OAuthFixture.start();
    d = new Distribution(Files.createTempDirectory("briefcase-oauth")).start();
  }

  @AfterClass
  public static void stop() throws Exception {
    try {
      if (d != null) {
        d.close();
      }
    } finally {
      if (fixture != null) {
        fixture.close();
      }
    }
  }

  private static Distribution.CliResult cli(String... args) throws Exception {
    Distribution.CliResult r = d.cli(args);
    OUTPUTS.add(r.stdout());
    OUTPUTS.add(r.stderr());
    return r;
  }

  @Test
  public void badInputAndUnknownProvidersHaveTheirCodes() throws Exception {
    Distribution.CliResult r = cli("providers", "add", "bad/id", fixture.rs);
    assertEquals(1, r.exit());
    assertTrue(r.stderr(), r.stderr().contains("invalid_provider_id"));
    r = cli("providers", "add", "x".repeat(59), fixture.rs);
    assertTrue(r.stderr(), r.stderr().contains("invalid_provider_id"));
    for (String url :
        new String[] {
          "ftp://127.0.0.1",
          "http://example.com",
          "https://user:pw@example.com",
          "https://example.com/path",
          "https://example.com?q=1",
          "https://example.com#f",
          "nope"
        }) {
      r = cli("providers", "add", "p", url);
      assertEquals(url, 1, r.exit());
      assertTrue(url + ": " + r.stderr(), r.stderr().contains("invalid_base_url"));
    }
    r = cli("providers", "add", "p", fixture.rs, "--resource-url", "https://other.example/api");
    assertTrue(r.stderr(), r.stderr().contains("invalid_endpoint_url"));
    r = cli("providers", "status", "nobody");
    assertEquals(1, r.exit());
    assertTrue(r.stderr(), r.stderr().contains("unknown_provider"));
    r = cli("login", "nobody", "--timeout", "5");
    assertTrue(r.stderr(), r.stderr().contains("unknown_provider"));
    r = cli("revoke", "oauth", "nobody");
    assertTrue(r.stderr(), r.stderr().contains("unknown_provider"));
    for (Distribution.Answer a :
        new Distribution.Answer[] {
          d.get("/v1/providers/nobody"),
          d.post("/v1/providers/nobody/oauth/start", "{}"),
          d.post("/v1/providers/nobody/oauth/revoke", ""),
          d.post("/v1/revocations/oauth/nobody", ""),
          d.post("/v1/providers/nobody/revoke", ""),
          d.send(
              HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/providers/nobody")).DELETE(),
              true)
        }) {
      assertEquals(a.body(), 404, a.status());
      assertEquals("unknown_provider", a.json().path("code").asText());
    }
    Distribution.Answer kind = d.post("/v1/revocations/carrier-pigeon/nobody", "");
    assertEquals(kind.body(), 404, kind.status());
    assertEquals("unknown_revocation_kind", kind.json().path("code").asText());
    Distribution.Answer bad = d.post("/v1/providers", "{\"id\":\"p\",\"base_url\":\"http://x\"}");
    assertEquals(400, bad.status());
    assertEquals("invalid_base_url", bad.json().path("code").asText());
    JsonNode list = JSON.readTree(cli("providers", "list", "--json").stdout());
    for (JsonNode p : list.path("providers")) {
      assertFalse("a refused add left an entry", p.path("id").asText().equals("p"));
    }
  }

  @Test
  public void loginStatusRevokeAndRemoveWithoutValues() throws Exception {
    Distribution.CliResult added =
        cli(
            "providers",
            "add",
            "api",
            fixture.rs,
            "--resource-url",
            fixture.rs + "/api",
            "--scope",
            "api:read");
    assertEquals(added.stderr(), 0, added.exit());
    Distribution.CliResult dup = cli("providers", "add", "api", fixture.rs);
    assertTrue(dup.stderr(), dup.stderr().contains("provider_exists"));

    Login login = new Login("api", 60);
    String url = login.line(l -> l.startsWith(fixture.as + "/auth?"));
    String waiting = login.line(l -> l.startsWith("Waiting up to"));
    String redirect = waiting.substring(waiting.indexOf("http://127.0.0.1:"));
    assertTrue(redirect, redirect.matches("http://127\\.0\\.0\\.1:\\d+/callback"));
    assertTrue(url, url.contains("code_challenge_method=S256"));
    URI callback = HeadlessLogin.login(URI.create(url), redirect, "frank");
    String code = HeadlessLogin.param(callback, "code");
    assertNotNull(code);

    // a forged redirect with another state is refused and the login carries on
    HttpResponse<String> forged = get(redirect + "?code=forged&state=" + "0".repeat(36));
    assertEquals(400, forged.statusCode());
    assertTrue(forged.body(), forged.body().contains("state mismatch"));
    HttpResponse<String> real = get(callback.toString());
    assertEquals(real.body(), 200, real.statusCode());
    assertTrue(real.body(), real.body().contains("You can close this tab"));
    Distribution.CliResult done = login.await();
    assertEquals(done.stdout() + done.stderr(), 0, done.exit());
    assertTrue(done.stdout(), done.stdout().contains("logged in to api: refresh token stored"));

    Distribution.CliResult status = cli("providers", "status", "api");
    assertEquals(status.stderr(), 0, status.exit());
    assertTrue(status.stdout(), status.stdout().contains("refresh token:  stored"));
    JsonNode st = JSON.readTree(cli("providers", "status", "api", "--json").stdout());
    assertTrue(st.path("has_oauth_refresh").asBoolean());
    assertTrue(st.path("access_token_expires_at").isTextual());
    JsonNode list = JSON.readTree(cli("providers", "list", "--json").stdout());
    assertEquals(1, list.path("providers").size());

    // the code is used once: replaying it through the API is refused
    Distribution.Answer replay =
        d.post("/v1/providers/api/oauth/exchange", "{\"code\":\"" + code + "\",\"state\":\"x\"}");
    assertEquals(400, replay.status());
    assertEquals("unknown_oauth_state", replay.json().path("code").asText());

    Distribution.CliResult revoked = cli("revoke", "oauth", "api");
    assertEquals(revoked.stderr(), 0, revoked.exit());
    assertTrue(revoked.stdout(), revoked.stdout().contains("refresh token deleted"));
    assertTrue(revoked.stdout(), revoked.stdout().contains("revoked at the AS"));
    status = cli("providers", "status", "api");
    assertTrue(status.stdout(), status.stdout().contains("refresh token:  none"));
    Distribution.Answer again = d.post("/v1/revocations/oauth/api", "");
    assertEquals(200, again.status());
    assertFalse(again.json().path("had_refresh_token").asBoolean(true));

    // nobody completes this login: it ends with its code once the time is up
    Distribution.CliResult timedOut = cli("login", "api", "--timeout", "2");
    assertEquals(1, timedOut.exit());
    assertTrue(timedOut.stderr(), timedOut.stderr().contains("oauth_login_timeout"));
    Distribution.CliResult tooLong = cli("login", "api", "--timeout", "181");
    assertEquals(2, tooLong.exit());

    Distribution.CliResult removed = cli("providers", "remove", "api");
    assertEquals(removed.stderr(), 0, removed.exit());
    assertTrue(cli("providers", "status", "api").stderr().contains("unknown_provider"));

    // the canaries: neither the code nor any JWT appears in any output, log or receipt
    String receipts = d.get("/v1/receipts/export?after_id=0").body();
    assertTrue(receipts, receipts.contains("\"type\":\"oauth\""));
    assertTrue(receipts, receipts.contains("\"action\":\"login\""));
    List<String> haystacks = new ArrayList<>(OUTPUTS);
    haystacks.add(receipts);
    haystacks.add(Files.readString(d.logFile));
    try (Stream<Path> files = Files.walk(d.dataDir.resolve("logs"))) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        haystacks.add(Files.readString(f));
      }
    } catch (java.nio.file.NoSuchFileException e) {
      // the foreground daemon logs only to its output
    }
    for (String h : haystacks) {
      assertFalse("the authorization code leaked", h.contains(code));
      assertFalse("a JWT (token or proof) leaked: " + h, h.contains("eyJ"));
    }
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .build()
        .send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** {@code briefcase login} running in the background, its output read line by line. */
  private static final class Login {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder stdout = new StringBuilder();
    private final Path err;

    Login(String provider, int timeoutSeconds) throws IOException {
      err = Files.createTempFile("briefcase-login", ".err");
      ProcessBuilder pb =
          new ProcessBuilder(
                  "sh",
                  d.home.resolve("bin/briefcase").toString(),
                  "login",
                  provider,
                  "--timeout",
                  String.valueOf(timeoutSeconds),
                  // the test is the browser: a developer's desktop must not open one too
                  "--no-browser")
              .redirectError(err.toFile());
      pb.environment().put("BRIEFCASE_DATA_DIR", d.dataDir.toString());
      process = pb.start();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String l;
                  while ((l = r.readLine()) != null) {
                    synchronized (stdout) {
                      stdout.append(l).append('\n');
                    }
                    lines.add(l);
                  }
                } catch (IOException e) {
                  // the process ended
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    String line(java.util.function.Predicate<String> wanted) throws Exception {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < end) {
        String l = lines.poll(1, TimeUnit.SECONDS);
        if (l != null && wanted.test(l)) {
          return l;
        }
      }
      throw new AssertionError("login printed no such line: " + stdout + Files.readString(err));
    }

    Distribution.CliResult await() throws Exception {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("login did not finish");
      }
      Thread.sleep(200);
      String out;
      synchronized (stdout) {
        out = stdout.toString();
      }
      Distribution.CliResult r =
          new Distribution.CliResult(process.exitValue(), out, Files.readString(err));
      OUTPUTS.add(r.stdout());
      OUTPUTS.add(r.stderr());
      return r;
    }
  }
}
