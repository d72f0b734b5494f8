package dev.briefcase.itests.mcp;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The connector family swapped under load through the MCP gateway (issue 4): several MCP clients
 * (one streamable HTTP session each, {@code java.net.http}) call {@code text_stats} of the example
 * word-count connector without pause while that connector is installed, updated twice and
 * uninstalled — once through {@code deploy/} (File Install) and once through {@code /v1/plugins}.
 * Each build has its own Bundle-Version, and the tool answers with it, so the test can tell which
 * build served each call.
 *
 * <p>Asserted: once the first call was served, no call fails until the uninstall, except with the
 * documented {@code backend_unavailable} after it; after an update returned (admin API) no call is
 * served by the old build, and after a call was served by a new build no later call goes back
 * (deploy/); after the uninstall every call ends with {@code backend_unavailable}, never a hang.
 * Printed: calls ok / failed by code, the achieved rate, and for each step the time from the drop
 * (or the admin request) to the first call served by the new build. Timings are printed, not
 * asserted.
 */
public class ConnectorSwapLoadIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CLIENTS = 6;
  private static final String TOOL = "text_stats";

  /** How long each step keeps the load on after it took effect. */
  private static final long HOLD_MS = 1500;

  private static Gateway gateway;
  private static List<byte[]> builds;

  @BeforeClass
  public static void start() throws Exception {
    Path jar =
        FeatureBundles.root()
            .resolve(
                "connector-bundles/examples/wordcount/target/"
                    + "dev.briefcase.examples.wordcount-0.1.0-SNAPSHOT.jar");
    assertTrue("example connector not built: " + jar, Files.isRegularFile(jar));
    byte[] original = Files.readAllBytes(jar);
    builds =
        List.of(rebuild(original, "1.0.1"), rebuild(original, "1.0.2"), rebuild(original, "1.0.3"));
    gateway = Gateway.start("swap-load", Map.of());
  }

  @AfterClass
  public static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  /** What the clients saw, by the version that served a call or the error code. */
  static final class Tally {
    final AtomicLong ok = new AtomicLong();
    final Map<String, AtomicLong> failedByCode = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
    final AtomicReference<String> firstUnexpected = new AtomicReference<>();

    /** The newest version served so far, and when (nanos) a call that got it completed. */
    final AtomicReference<String> latest = new AtomicReference<>("");

    final AtomicLong latestAt = new AtomicLong();
    final AtomicInteger regressions = new AtomicInteger();

    /** A version that no call started after {@link #forbiddenAfter} may get. */
    volatile String forbidden;

    volatile long forbiddenAfter = Long.MAX_VALUE;
    final AtomicInteger servedByForbidden = new AtomicInteger();

    /** Calls are "expected" to fail with this code only (null: none may fail). */
    volatile String allowedCode;

    final AtomicLong unexpected = new AtomicLong();

    void fail(String code, String detail) {
      failedByCode.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
      if (!code.equals(allowedCode)) {
        unexpected.incrementAndGet();
        firstUnexpected.compareAndSet(null, code + ": " + detail);
      }
    }
  }

  @Test
  public void connectorInstalledUpdatedTwiceAndUninstalledUnderLoad() throws Exception {
    Tally tally = new Tally();
    tally.allowedCode = "unknown_tool"; // before the first install the tool does not exist yet
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> clients = new ArrayList<>();
    URI url = URI.create(gateway.url());
    Optional<String> token = gateway.token();
    for (int i = 0; i < CLIENTS; i++) {
      Client c = new Client(url, token);
      c.open();
      Thread t = new Thread(() -> c.loop(running, tally), "mcp-client-" + i);
      t.setDaemon(true);
      clients.add(t);
    }
    long started = System.nanoTime();
    clients.forEach(Thread::start);
    List<String> report = new ArrayList<>();
    Path deploy = gateway.dist.dataDir.resolve("deploy");
    try {
      // Round 1: deploy/ (File Install).
      Path target = deploy.resolve("example-wordcount.jar");
      report.add(step(tally, "deploy/ install 1.0.1", "1.0.1", () -> drop(deploy, target, 0)));
      tally.allowedCode = null; // from now on until the uninstall: nothing may fail
      report.add(step(tally, "deploy/ update  1.0.2", "1.0.2", () -> drop(deploy, target, 1)));
      report.add(step(tally, "deploy/ update  1.0.3", "1.0.3", () -> drop(deploy, target, 2)));
      tally.allowedCode = "backend_unavailable";
      report.add(uninstall(tally, "deploy/ uninstall", () -> Files.delete(target)));

      // Round 2: the admin API (/v1/plugins), as `briefcase plugins` does it.
      synchronized (tally) {
        tally.latest.set("");
        tally.latestAt.set(0);
      }
      AtomicLong bundleId = new AtomicLong();
      report.add(
          step(
              tally,
              "/v1/plugins install 1.0.1",
              "1.0.1",
              () -> bundleId.set(admin("/v1/plugins", builds.get(0)).get("bundle_id").asLong())));
      tally.allowedCode = null;
      for (int v = 1; v <= 2; v++) {
        int build = v;
        String version = "1.0." + (v + 1);
        String old = "1.0." + v;
        report.add(
            step(
                tally,
                "/v1/plugins update  " + version,
                version,
                () -> {
                  admin("/v1/plugins/" + bundleId.get() + "/update", builds.get(build));
                  // the update returned: a call that starts now must not reach the old build
                  tally.forbidden = old;
                  tally.forbiddenAfter = System.nanoTime();
                }));
      }
      tally.allowedCode = "backend_unavailable";
      report.add(
          uninstall(
              tally,
              "/v1/plugins uninstall",
              () -> {
                Distribution.Answer a =
                    gateway.dist.post("/v1/plugins/" + bundleId.get() + "/uninstall", "");
                assertEquals(a.body(), 200, a.status());
              }));
    } finally {
      running.set(false);
      for (Thread t : clients) {
        t.join(30_000);
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    long failed = tally.failedByCode.values().stream().mapToLong(AtomicLong::get).sum();
    double rate = (tally.ok.get() + failed) / seconds;
    System.out.println(
        "[swap-load] connector family through the MCP gateway, " + CLIENTS + " clients");
    report.forEach(line -> System.out.println("[swap-load]   " + line));
    System.out.printf(
        "[swap-load] calls ok %d, failed %s, served by %s, %.0f calls/s over %.1f s%n",
        tally.ok.get(),
        new TreeMap<>(tally.failedByCode),
        new TreeMap<>(tally.servedBy),
        rate,
        seconds);
    if (rate < 200) {
      System.out.println(
          "[swap-load] NOTE: under 200 calls/s on this (shared, 2-core) machine; not asserted");
    }

    assertEquals(
        "calls failed other than backend_unavailable after an uninstall (first: "
            + tally.firstUnexpected.get()
            + ")",
        0,
        tally.unexpected.get());
    assertEquals(
        "a call went back to an older build after a newer one served", 0, tally.regressions.get());
    assertEquals(
        "a call reached the old build after its update returned", 0, tally.servedByForbidden.get());
    assertTrue("calls were served", tally.ok.get() > 100);
    for (String v : List.of("1.0.1", "1.0.2", "1.0.3")) {
      assertTrue("served by " + v, tally.servedBy.containsKey(v));
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  /** Runs the action, waits for the first call served by {@code version}, keeps the load on. */
  private static String step(Tally tally, String name, String version, Action action)
      throws Exception {
    long okBefore = tally.ok.get();
    long t0 = System.nanoTime();
    action.run();
    waitFor(() -> version.equals(tally.latest.get()), name + ": a call served by " + version);
    long firstServed = tally.latestAt.get();
    hold();
    return String.format(
        "%-28s drop -> first served call by %s: %4d ms (ok calls in step: %d)",
        name, version, Math.max(0, (firstServed - t0) / 1_000_000), tally.ok.get() - okBefore);
  }

  private static String uninstall(Tally tally, String name, Action action) throws Exception {
    long unavailableBefore = count(tally, "backend_unavailable");
    long t0 = System.nanoTime();
    action.run();
    waitFor(
        () -> count(tally, "backend_unavailable") > unavailableBefore,
        name + ": a call answered backend_unavailable");
    long first = System.nanoTime();
    hold();
    long okAfterHold = tally.ok.get();
    hold();
    assertEquals(name + ": nothing is served after the uninstall", okAfterHold, tally.ok.get());
    return String.format(
        "%-28s removal -> first backend_unavailable: %4d ms (then %d fast failures)",
        name, (first - t0) / 1_000_000, count(tally, "backend_unavailable") - unavailableBefore);
  }

  private static long count(Tally tally, String code) {
    AtomicLong n = tally.failedByCode.get(code);
    return n == null ? 0 : n.get();
  }

  private static void hold() throws InterruptedException {
    Thread.sleep(HOLD_MS); // load runs meanwhile; nothing is decided by this time
  }

  /** Writes the build next to deploy/ and moves it in at once, so File Install sees whole jars. */
  private static void drop(Path deploy, Path target, int build) throws IOException {
    Path tmp = deploy.resolveSibling("example-wordcount.jar.tmp");
    Files.write(tmp, builds.get(build));
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static JsonNode admin(String path, byte[] jar) throws Exception {
    Distribution.Answer a = gateway.dist.postBytes(path, jar, "application/java-archive");
    assertEquals(path + ": " + a.body(), 200, a.status());
    return a.json();
  }

  /**
   * The same classes with another Bundle-Version: a new build of the plugin whose tool reports the
   * version, so every answer names the build that served it.
   */
  static byte[] rebuild(byte[] jar, String version) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JarInputStream in = new JarInputStream(new java.io.ByteArrayInputStream(jar))) {
      Manifest manifest = new Manifest(in.getManifest());
      manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
      try (JarOutputStream jo = new JarOutputStream(out, manifest)) {
        JarEntry e;
        while ((e = in.getNextJarEntry()) != null) {
          jo.putNextEntry(new JarEntry(e.getName()));
          in.transferTo(jo);
          jo.closeEntry();
        }
      }
    }
    return out.toByteArray();
  }

  /** One MCP session over streamable HTTP, calling {@code text_stats} in a closed loop. */
  static final class Client {
    private final URI url;
    private final Optional<String> token;
    private final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private String session;
    private long id = 1;

    Client(URI url, Optional<String> token) {
      this.url = url;
      this.token = token;
    }

    void open() throws Exception {
      HttpResponse<String> r = post(RawMcp.initializeBody(1));
      session = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
      post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }

    private HttpResponse<String> post(String body) throws Exception {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(url)
              .timeout(Duration.ofSeconds(30))
              .header("Content-Type", "application/json")
              .header("Accept", "application/json, text/event-stream")
              .POST(HttpRequest.BodyPublishers.ofString(body));
      if (session != null) {
        b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", RawMcp.VERSION);
      }
      token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    void loop(AtomicBoolean running, Tally tally) {
      while (running.get()) {
        long callId = ++id;
        long startedAt = System.nanoTime();
        String body =
            "{\"jsonrpc\":\"2.0\",\"id\":"
                + callId
                + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
                + TOOL
                + "\",\"arguments\":{\"text\":\"to be or not to be\"}}}";
        try {
          HttpResponse<String> r = post(body);
          JsonNode msg = parse(r);
          if (r.statusCode() != 200 || msg == null || msg.path("id").asLong() != callId) {
            tally.fail("http_" + r.statusCode(), r.body());
            continue;
          }
          if (msg.has("error")) {
            int code = msg.path("error").path("code").asInt();
            tally.fail(code == -32602 ? "unknown_tool" : "jsonrpc_" + code, msg.toString());
            continue;
          }
          JsonNode result = msg.path("result");
          if (result.path("isError").asBoolean()) {
            String text = result.path("content").path(0).path("text").asText();
            String code =
                text.startsWith("Error: backend_unavailable") ? "backend_unavailable" : text;
            tally.fail(code, text);
            continue;
          }
          String version = result.path("structuredContent").path("version").asText();
          if (result.path("structuredContent").path("words").asInt() != 6) {
            tally.fail("wrong_answer", result.toString());
            continue;
          }
          tally.ok.incrementAndGet();
          tally.servedBy.computeIfAbsent(version, k -> new AtomicLong()).incrementAndGet();
          if (version.equals(tally.forbidden) && startedAt > tally.forbiddenAfter) {
            tally.servedByForbidden.incrementAndGet();
          }
          observe(tally, version, startedAt);
        } catch (Exception e) {
          if (running.get()) {
            tally.fail("io_" + e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
          }
        }
      }
    }

    /** Versions only move forward: a call that started after a newer answer arrived is newer. */
    private static void observe(Tally tally, String version, long startedAt) {
      synchronized (tally) {
        String latest = tally.latest.get();
        int cmp = version.compareTo(latest);
        if (cmp > 0) {
          tally.latest.set(version);
          tally.latestAt.set(System.nanoTime());
        } else if (cmp < 0 && startedAt > tally.latestAt.get() && !latest.isEmpty()) {
          tally.regressions.incrementAndGet();
        }
      }
    }

    private static JsonNode parse(HttpResponse<String> r) throws IOException {
      String type = r.headers().firstValue("Content-Type").orElse("");
      String body = r.body();
      if (type.startsWith("text/event-stream")) {
        StringBuilder data = new StringBuilder();
        for (String line : body.split("\r?\n")) {
          if (line.startsWith("data:")) {
            data.append(line.substring(5).strip());
          } else if (line.isEmpty() && data.length() > 0) {
            break;
          }
        }
        body = data.toString();
      }
      return body.isBlank() ? null : JSON.readTree(body);
    }
  }
}
