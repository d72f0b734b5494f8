package dev.briefcase.itests.kernel;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.manifests.ManifestService;
import dev.briefcase.oauth.internal.HeadlessLogin;
import dev.briefcase.oauth.internal.OAuthFixture;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWiring;

/**
 * The {@code oauth} credential strategy's hot swap against bundles/oauth's real authorization
 * server and DPoP-checking resource: after a login, four threads call {@code extra_oauth} (the test
 * connector sends {@code GET <rs>/api/swap} with the call's credential) without pause while the
 * {@code dev.briefcase.oauth} bundle is updated twice, then twice more back to back, twice. No call
 * may fail: the access token of the old instance dies with it, and the new instance refreshes once
 * from the stored refresh token (which the AS rotates) while the kernel holds the calls for the
 * swap grace; an update drains the calls on the old instance, so a refresh in flight there stores
 * its rotated token before the next instance reads it. Stopping the bundle then makes the next call
 * fail fast with {@code backend_unavailable}; starting it again serves again.
 *
 * <p>The fixture and the headless login come from bundles/oauth's test-jar on the driver's class
 * path; the system bundle exports their package to this probe only for this class. The oauth bundle
 * keeps its own private copy of {@code dev.briefcase.oauth.internal}: it exports nothing and does
 * not import it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OAuthSwapIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OAUTH_BUNDLE = "dev.briefcase.oauth";
  // the test connector's internals are not visible to the probe: its OAuthTools names this
  private static final String PROVIDER = "itest-oauth";
  private static final String REDIRECT = "http://127.0.0.1:9/callback";

  @Inject ToolCallService tools;
  @Inject CredentialService credentials;
  @Inject ManifestService manifests;
  @Inject ReceiptLog receipts;
  @Inject BundleContext context;

  @Configuration
  public Option[] config() {
    return OptionUtils.combine(
        RuntimeOptions.coreWithTestConnector(HotSwapIT.EXTRA_JAR),
        systemPackages("dev.briefcase.oauth.internal"),
        systemProperty("briefcase.oauth.js")
            .value(FeatureBundles.root().resolve("bundles/oauth/src/test/js").toString()));
  }

  @Test
  public void oauthStrategyUpdateUnderLoadDropsNoCall() throws Exception {
    Bundle oauth = SwapLoad.bundle(context, OAUTH_BUNDLE);
    assertNotNull(OAUTH_BUNDLE + " is part of core", oauth);
    assertTrue(
        "the oauth bundle loads its own internal package, not the system bundle's",
        oauth.loadClass("dev.briefcase.oauth.internal.OAuthCredentials").getClassLoader()
            == oauth.adapt(BundleWiring.class).getClassLoader());
    Path jar = Path.of(System.getProperty(HotSwapIT.EXTRA_JAR));
    assertTrue("test connector not built: " + jar, Files.isRegularFile(jar));
    Bundle extra;
    try (InputStream in = Files.newInputStream(jar)) {
      extra = context.installBundle("itest:extra-oauth", in);
    }
    extra.start();
    waitFor(() -> hasTool("extra_oauth"), "extra_oauth to appear");
    try (OAuthFixture fixture = OAuthFixture.start()) {
      int port = URI.create(fixture.rs).getPort();
      credentials.add(PROVIDER, fixture.rs, fixture.rs + "/api", null, "api:read");
      login();
      manifests.put(
          new ToolManifest(
              "extra_oauth", "builtin", List.of("127.0.0.1"), List.of("/api/"), List.of(), 1 << 20),
          "itest");
      ToolCallOutcome first = call(port);
      assertEquals(String.valueOf(first.message()), ToolCallOutcome.Status.OK, first.status());
      assertEquals(first.content().toString(), 200, first.content().path("status").asInt());
      // the tool sends on its own, but the credential is only issued for what the manifest allows
      for (String path : List.of("/control/hits", "/api/../control/hits")) {
        ToolCallOutcome outside = call(port, path);
        assertEquals(path, ToolCallOutcome.Status.ERROR, outside.status());
        assertTrue(outside.message(), outside.message().startsWith("credential_target_refused"));
      }
      long hitsBefore = apiHits(fixture);
      Map<String, Long> refreshesBefore = refreshes();

      long beforeSwaps;
      long afterSwaps;
      Map<String, Long> refreshedSpaced;
      SwapLoad load =
          SwapLoad.start(
              4,
              "oauth",
              () -> call(port),
              r ->
                  r.status() == ToolCallOutcome.Status.OK
                      && r.content().path("status").asInt() == 200,
              Duration.ofSeconds(15));
      try {
        waitFor(() -> load.ok() > 100, "oauth calls to succeed");
        beforeSwaps = load.ok();
        for (int update = 0; update < 2; update++) {
          oauth.update();
          long mark = load.ok();
          waitFor(() -> load.ok() > mark + 100, "oauth calls to go on after update " + update);
        }
        refreshedSpaced = since(refreshesBefore);
        // back to back: the second update drains calls whose refresh on the first may be in flight
        for (int burst = 0; burst < 2; burst++) {
          oauth.update();
          oauth.update();
          long mark = load.ok();
          waitFor(() -> load.ok() > mark + 50, "oauth calls to go on after burst " + burst);
        }
        afterSwaps = load.ok();
      } finally {
        load.close();
      }
      Map<String, Long> failures = load.failures();
      long hits = apiHits(fixture) - hitsBefore;
      Map<String, Long> refreshed = since(refreshesBefore);
      System.out.printf(
          "oauth strategy swap: %d calls ok (%d before the updates, %d after), resource hits %d,"
              + " refreshes %s (%s over the two spaced updates), failures %s%n",
          load.ok(), beforeSwaps, afterSwaps, hits, refreshed, refreshedSpaced, failures);
      assertEquals("failed calls during six oauth bundle updates: " + failures, 0, failures.size());
      assertTrue("the resource saw the calls: " + hits + " of " + load.ok(), hits >= load.ok());
      // each new instance refreshed once from the rotated refresh token, whatever the callers did
      assertEquals("refreshes: " + refreshedSpaced, Map.of("ok", 2L), refreshedSpaced);
      // no refresh failed or went without rotation, however close the updates came
      assertEquals("refreshes: " + refreshed, Set.of("ok"), refreshed.keySet());

      // a strategy that is gone: the next call fails fast after the swap grace, never unknown
      oauth.stop();
      ToolCallOutcome gone = call(port);
      assertEquals(ToolCallOutcome.Status.ERROR, gone.status());
      assertTrue(gone.message(), gone.message().startsWith("backend_unavailable"));
      oauth.start();
      waitFor(
          () -> {
            ToolCallOutcome r = call(port);
            return r.status() == ToolCallOutcome.Status.OK
                && r.content().path("status").asInt() == 200;
          },
          "oauth calls after a restart");
    } finally {
      extra.uninstall();
    }
  }

  /** Start, the user's login and consent played headlessly at the AS, exchange. */
  private void login() throws Exception {
    LoginStart started = credentials.start(PROVIDER, URI.create(REDIRECT));
    URI callback =
        HeadlessLogin.login(URI.create(started.authorizationUrl()), REDIRECT, "swap-user");
    LoginResult done =
        credentials.exchange(
            PROVIDER,
            HeadlessLogin.param(callback, "code"),
            started.state(),
            HeadlessLogin.param(callback, "iss"));
    assertTrue("a DPoP-bound grant", done.dpopBound());
  }

  /** How many requests the fixture's resource {@code /api} accepted (token and proof checked). */
  private static long apiHits(OAuthFixture fixture) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(fixture.rs + "/control/hits")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(r.body(), 200, r.statusCode());
    return JSON.readTree(r.body()).path("/api").asLong();
  }

  /** The refresh receipts appended since {@code before} was taken, by outcome. */
  private Map<String, Long> since(Map<String, Long> before) {
    Map<String, Long> now = refreshes();
    before.forEach((k, v) -> now.merge(k, -v, Long::sum));
    now.values().removeIf(v -> v == 0);
    return now;
  }

  /** The oauth refresh receipts of this provider by outcome ({@code ok} only when rotated). */
  private Map<String, Long> refreshes() {
    Map<String, Long> out = new java.util.TreeMap<>();
    for (long offset = 0; ; offset += 500) {
      List<Receipt> page = receipts.list(500, offset);
      for (Receipt r : page) {
        if ("oauth".equals(r.event().path("type").asText())
            && "refresh".equals(r.event().path("action").asText())
            && PROVIDER.equals(r.event().path("provider").asText())) {
          String outcome = r.event().path("outcome").asText();
          boolean rotated = r.event().path("rotated").asBoolean();
          out.merge("ok".equals(outcome) && !rotated ? "ok-not-rotated" : outcome, 1L, Long::sum);
        }
      }
      if (page.size() < 500) {
        return out;
      }
    }
  }

  private boolean hasTool(String id) {
    return tools.listTools().stream().map(ToolSpec::id).anyMatch(id::equals);
  }

  /** {@code extra_oauth} on {@code GET <rs>/api/swap}. */
  private ToolCallOutcome call(int port) {
    return call(port, "/api/swap");
  }

  private ToolCallOutcome call(int port, String path) {
    return tools.call(
        new ToolCallRequest(
            "extra_oauth",
            JSON.createObjectNode().put("port", port).put("path", path),
            new CallContext(UUID.randomUUID().toString(), null, null, "itest"),
            null));
  }

  private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    SwapLoad.waitFor(condition, what, Duration.ofSeconds(60));
  }
}
