package dev.briefcase.itests.kernel;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.manifests.ManifestService;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The credential strategy family's hot swap with the real Felix SCR: while four threads call {@code
 * extra_keyed} (an {@code api_key} need, served by {@code dev.briefcase.credential.secrets})
 * without pause, the strategy bundle is updated twice. No call may fail: the kernel leases the
 * strategy for each call, an update drains the calls on the old instance, and the next call waits
 * out the swap grace for the new one. Stopping the bundle then makes the next call fail fast with
 * {@code backend_unavailable}; starting it again serves again. Every answer carries a digest of the
 * right secret and never the secret.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CredentialSwapIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CANARY = "CANARY-swap-key-93b1";
  private static final String STRATEGY_BUNDLE = "dev.briefcase.credential.secrets";
  // the test connector's internals are not visible to the probe: its KeyedTools names these
  private static final String SECRET_ID = "itest.key";

  @Inject ToolCallService tools;
  @Inject SecretStore secrets;
  @Inject ManifestService manifests;
  @Inject BundleContext context;

  @Configuration
  public Option[] config() {
    return RuntimeOptions.coreWithTestConnector(HotSwapIT.EXTRA_JAR);
  }

  @Test
  public void strategyUpdateUnderLoadDropsNoCall() throws Exception {
    Path jar = Path.of(System.getProperty(HotSwapIT.EXTRA_JAR));
    assertTrue("test connector not built: " + jar, Files.isRegularFile(jar));
    Bundle extra;
    try (InputStream in = Files.newInputStream(jar)) {
      extra = context.installBundle("itest:extra-keyed", in);
    }
    extra.start();
    waitFor(() -> hasTool("extra_keyed"), "extra_keyed to appear");
    secrets.put(SECRET_ID, Sensitive.of(CANARY.getBytes(StandardCharsets.UTF_8)));
    manifests.put(
        new ToolManifest(
            "extra_keyed",
            "builtin",
            List.of("api.example.com"),
            List.of("/v1/"),
            List.of(),
            1 << 20),
        "itest");
    ToolCallOutcome first = call();
    assertEquals(String.valueOf(first.message()), ToolCallOutcome.Status.OK, first.status());
    String digest = first.content().path("headers").path("X-Api-Key").asText();
    assertEquals(sha256Prefix(CANARY), digest);

    Bundle strategies = SwapLoad.bundle(context, STRATEGY_BUNDLE);
    assertNotNull(STRATEGY_BUNDLE + " is part of core", strategies);
    long beforeSwaps;
    long afterSwaps;
    SwapLoad load =
        SwapLoad.start(
            4,
            "keyed",
            this::call,
            r -> {
              String seen = r.content() == null ? "" : r.content().toString();
              return r.status() == ToolCallOutcome.Status.OK
                  && seen.contains(digest)
                  && !seen.contains(CANARY);
            },
            Duration.ofSeconds(10));
    try {
      waitFor(() -> load.ok() > 200, "keyed calls to succeed");
      beforeSwaps = load.ok();
      for (int update = 0; update < 2; update++) {
        strategies.update();
        long mark = load.ok();
        waitFor(() -> load.ok() > mark + 200, "keyed calls to go on after update " + update);
      }
      afterSwaps = load.ok();
    } finally {
      load.close();
    }
    Map<String, Long> failures = load.failures();
    System.out.printf(
        "credential strategy swap: %d calls ok (%d before the updates, %d after), failures %s%n",
        load.ok(), beforeSwaps, afterSwaps, failures);
    assertEquals("failed calls during two strategy updates: " + failures, 0, failures.size());

    // a strategy that is gone: the next call fails fast after the swap grace, never unknown
    strategies.stop();
    ToolCallOutcome gone = call();
    assertEquals(ToolCallOutcome.Status.ERROR, gone.status());
    assertTrue(gone.message(), gone.message().startsWith("backend_unavailable"));
    strategies.start();
    waitFor(() -> call().status() == ToolCallOutcome.Status.OK, "keyed calls after a restart");
    assertFalse(JSON.writeValueAsString(call().content()).contains(CANARY));
    extra.uninstall();
  }

  /** As the test connector's KeyedTools reports a header value: a SHA-256 prefix. */
  private static String sha256Prefix(String value) throws Exception {
    byte[] d =
        java.security.MessageDigest.getInstance("SHA-256")
            .digest(value.getBytes(StandardCharsets.UTF_8));
    return java.util.HexFormat.of().formatHex(d).substring(0, 16);
  }

  private boolean hasTool(String id) {
    return tools.listTools().stream().map(ToolSpec::id).anyMatch(id::equals);
  }

  private ToolCallOutcome call() {
    return tools.call(
        new ToolCallRequest(
            "extra_keyed",
            JSON.createObjectNode(),
            new CallContext(UUID.randomUUID().toString(), null, null, "itest"),
            null));
  }

  private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    SwapLoad.waitFor(condition, what, Duration.ofSeconds(30));
  }
}
