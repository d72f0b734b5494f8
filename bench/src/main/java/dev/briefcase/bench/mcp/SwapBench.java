package dev.briefcase.bench.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A plugin swapped under load, measured (PERFORMANCE.md: "a plugin swapped under load: 0 failed
 * calls, serving &lt; 500 ms after the file lands"; issue 4: p99 during a swap within 2× of p99
 * without one).
 *
 * <p>The built distribution serves the example word-count connector from {@code deploy/}; T
 * closed-loop MCP clients (one session, T keep-alive connections) call its tool {@code text_stats}
 * — the very plugin being swapped. Rounds alternate a <em>steady</em> window (no change) and a
 * <em>swap</em> window (a new build, with its own Bundle-Version, lands in {@code deploy/} every S
 * ms). Printed: calls/s, p50, p99, max and failures per window (medians over rounds), the p99 ratio
 * swap/steady (target ≤ 2), and per swap the time from the file landing (atomic move) to the first
 * call answered by the new build (median and max; target &lt; 500 ms). Nothing is asserted.
 *
 * <p>Run after {@code mvn -B -q -f bench/pom.xml package} (needs {@code runtime} and {@code
 * connector-bundles/examples/wordcount} built):
 *
 * <pre>
 * java -cp "bench/target/dev.briefcase.bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/classpath.txt)" \
 *     dev.briefcase.bench.mcp.SwapBench [--quick] [--threads 8] [--measure 8] [--rounds 3] \
 *     [--swap-every-ms 1000] [--warmup 10] [--dist DIR] [--jar FILE]
 * </pre>
 */
public final class SwapBench {
  static final double TARGET_P99_RATIO = 2.0;
  static final double TARGET_DROP_TO_SERVED_MS = 500;
  private static final String TOOL = "text_stats";
  private static final String ARGS = "{\"text\":\"to be or not to be\"}";

  private int threads = 8;
  private int warmupSeconds = 10;
  private int measureSeconds = 8;
  private int rounds = 3;
  private long swapEveryMs = 1000;
  private int installs = 5;
  private String dist;
  private String jar =
      "connector-bundles/examples/wordcount/target/"
          + "dev.briefcase.examples.wordcount-0.1.0-SNAPSHOT.jar";

  private byte[] original;
  private int builds;
  private final Map<String, Long> firstServed = new ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    SwapBench b = new SwapBench();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> {
          b.warmupSeconds = 3;
          b.measureSeconds = 4;
          b.rounds = 1;
          b.installs = 2;
        }
        case "--threads" -> b.threads = Integer.parseInt(args[++i]);
        case "--warmup" -> b.warmupSeconds = Integer.parseInt(args[++i]);
        case "--measure" -> b.measureSeconds = Integer.parseInt(args[++i]);
        case "--rounds" -> b.rounds = Integer.parseInt(args[++i]);
        case "--swap-every-ms" -> b.swapEveryMs = Long.parseLong(args[++i]);
        case "--installs" -> b.installs = Integer.parseInt(args[++i]);
        case "--dist" -> b.dist = args[++i];
        case "--jar" -> b.jar = args[++i];
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    b.run();
  }

  /** One measured window. */
  record Window(double callsPerSecond, double p50, double p99, double max, long failed) {}

  private void run() throws Exception {
    Path home = McpLoadBench.locateDistribution(dist);
    if (home == null) {
      throw new IllegalStateException("no distribution: build runtime first (or --dist DIR)");
    }
    Path jarFile = Path.of(jar).toAbsolutePath();
    if (!Files.isRegularFile(jarFile)) {
      throw new IllegalStateException("no connector jar " + jarFile + " (build the example)");
    }
    original = Files.readAllBytes(jarFile);
    Path base = Files.createTempDirectory("briefcase-swapbench");
    Path dataDir = base.resolve("data");
    Path deploy = dataDir.resolve("deploy");
    try (ServerProcess server =
        ServerProcess.briefcase(home, dataDir, null, base.resolve("briefcase.log"))) {
      URI url = server.awaitUrl(Duration.ofSeconds(90));
      Files.createDirectories(deploy);
      List<Double> installMs = new ArrayList<>();
      try (McpSession session =
          new McpSession(
              url, server.gatewayAuthorization(), threads, McpSession.Client.RAW, 30_000)) {
        session.open();
        // the first install: poll with one caller until the tool answers
        String v0 = nextVersion();
        long t0 = System.nanoTime();
        drop(deploy, v0);
        while (!v0.equals(version(session.toolCall(TOOL, ARGS)))) {
          Thread.sleep(1);
        }
        installMs.add((System.nanoTime() - t0) / 1e6);
        session.resetConnections(); // forget the unknown-tool answers from before the install

        System.out.printf(
            Locale.ROOT,
            "swap bench: %d threads, warm-up %d s, %d rounds of %d s steady + %d s swapping"
                + " (a new build every %d ms), tool %s of %s%n",
            threads,
            warmupSeconds,
            rounds,
            measureSeconds,
            measureSeconds,
            swapEveryMs,
            TOOL,
            jarFile.getFileName());
        measure(session, deploy, warmupSeconds, false, null);

        List<Window> steady = new ArrayList<>();
        List<Window> swapping = new ArrayList<>();
        List<Double> dropToServed = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          // alternate the order, so drift of a shared machine favours neither
          if (r % 2 == 0) {
            steady.add(measure(session, deploy, measureSeconds, false, null));
            swapping.add(measure(session, deploy, measureSeconds, true, dropToServed));
          } else {
            swapping.add(measure(session, deploy, measureSeconds, true, dropToServed));
            steady.add(measure(session, deploy, measureSeconds, false, null));
          }
        }
        String failure = session.firstFailure();
        // fresh installs: remove the plugin, then time the drop of a new file to its first answer
        Path target = deploy.resolve("example-wordcount.jar");
        for (int i = 0; i < installs; i++) {
          Files.delete(target);
          while (version(session.toolCall(TOOL, ARGS)) != null) {
            Thread.sleep(1);
          }
          String v = nextVersion();
          long t = System.nanoTime();
          drop(deploy, v);
          while (!v.equals(version(session.toolCall(TOOL, ARGS)))) {
            Thread.sleep(1);
          }
          installMs.add((System.nanoTime() - t) / 1e6);
        }
        print(steady, swapping, dropToServed, installMs, failure);
      }
    }
  }

  private String nextVersion() {
    return "2.0." + (++builds);
  }

  private Window measure(
      McpSession session, Path deploy, int seconds, boolean swap, List<Double> dropToServed)
      throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    AtomicLong failed = new AtomicLong();
    List<long[]> perThread = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    int[] counts = new int[threads];
    for (int t = 0; t < threads; t++) {
      long[] lat = new long[400_000];
      perThread.add(lat);
      int index = t;
      Thread th =
          new Thread(
              () -> {
                int n = 0;
                while (System.nanoTime() < end) {
                  long s = System.nanoTime();
                  try {
                    JsonNode result = session.toolCall(TOOL, ARGS);
                    long done = System.nanoTime();
                    String v = version(result);
                    if (v == null) {
                      failed.incrementAndGet();
                    } else {
                      firstServed.putIfAbsent(v, done);
                    }
                    if (n < lat.length) {
                      lat[n++] = done - s;
                    }
                  } catch (IOException | RuntimeException e) {
                    failed.incrementAndGet();
                  }
                }
                counts[index] = n;
              },
              "swap-bench-" + t);
      th.start();
      callers.add(th);
    }
    long started = System.nanoTime();
    if (swap) {
      while (System.nanoTime() + swapEveryMs * 1_000_000L < end) {
        long next = System.nanoTime() + swapEveryMs * 1_000_000L;
        String v = nextVersion();
        long t0 = System.nanoTime();
        drop(deploy, v);
        while (!firstServed.containsKey(v) && System.nanoTime() < end + 5_000_000_000L) {
          Thread.sleep(1);
        }
        Long served = firstServed.get(v);
        if (served != null) {
          dropToServed.add((served - t0) / 1e6);
        }
        long sleep = (next - System.nanoTime()) / 1_000_000;
        if (sleep > 0) {
          Thread.sleep(sleep);
        }
      }
    }
    for (Thread th : callers) {
      th.join();
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(perThread.get(t), 0, all, at, counts[t]);
      at += counts[t];
    }
    Arrays.sort(all);
    return new Window(
        total / elapsed,
        pct(all, 0.50),
        pct(all, 0.99),
        all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6,
        failed.get());
  }

  /** The version a successful {@code text_stats} answer names, or {@code null} for a failure. */
  private static String version(JsonNode result) {
    if (result == null || result.path("isError").asBoolean(false)) {
      return null;
    }
    JsonNode v = result.path("structuredContent").path("version");
    return v.isTextual() ? v.asText() : null;
  }

  private void drop(Path deploy, String version) throws IOException {
    Path tmp = deploy.resolveSibling("swap-bench.jar.tmp");
    Files.write(tmp, rebuild(original, version));
    Files.move(
        tmp,
        deploy.resolve("example-wordcount.jar"),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  /** The same classes with another Bundle-Version: the tool reports it in every answer. */
  static byte[] rebuild(byte[] jar, String version) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
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

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  private static void print(
      List<Window> steady,
      List<Window> swapping,
      List<Double> dropToServed,
      List<Double> installMs,
      String firstFailure) {
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "%-10s %10s %9s %9s %9s %8s%n",
        "window",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "failed");
    for (int i = 0; i < steady.size(); i++) {
      row("steady " + (i + 1), steady.get(i));
      row("swap " + (i + 1), swapping.get(i));
    }
    Window s = medians(steady);
    Window w = medians(swapping);
    row("steady med", s);
    row("swap med", w);
    double ratio = w.p99() / s.p99();
    double[] d = dropToServed.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double dMed = McpLoadBench.median(d);
    double dMax = d.length == 0 ? Double.NaN : d[d.length - 1];
    long failures =
        steady.stream().mapToLong(Window::failed).sum()
            + swapping.stream().mapToLong(Window::failed).sum();
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "p99 during swaps / p99 steady: %.2f (target <= %.1f) %s%n",
        ratio,
        TARGET_P99_RATIO,
        ratio <= TARGET_P99_RATIO ? "met" : "NOT met");
    System.out.printf(
        Locale.ROOT,
        "file lands in deploy/ -> first call served by the new build: median %.0f ms, max %.0f ms"
            + " over %d updates under load (target < %.0f ms) %s%n",
        dMed,
        dMax,
        d.length,
        TARGET_DROP_TO_SERVED_MS,
        dMax < TARGET_DROP_TO_SERVED_MS
            ? "met"
            : dMed < TARGET_DROP_TO_SERVED_MS ? "median met" : "NOT met");
    double[] in = installMs.stream().mapToDouble(Double::doubleValue).toArray();
    double[] later = Arrays.copyOfRange(in, Math.min(1, in.length), in.length);
    System.out.printf(
        Locale.ROOT,
        "file lands in deploy/ -> first served call, fresh install: first %.0f ms (cold), then"
            + " median %.0f ms over %d re-installs; all: %s%n",
        in.length == 0 ? Double.NaN : in[0],
        McpLoadBench.median(later),
        later.length,
        Arrays.toString(Arrays.stream(in).mapToLong(Math::round).toArray()));
    System.out.printf(Locale.ROOT, "failed calls in measured windows: %d (target 0)%n", failures);
    if (firstFailure != null) {
      System.out.println("first failed exchange:\n" + firstFailure);
    }
  }

  private static void row(String name, Window w) {
    System.out.printf(
        Locale.ROOT,
        "%-10s %10.0f %9.2f %9.2f %9.1f %8d%n",
        name,
        w.callsPerSecond(),
        w.p50(),
        w.p99(),
        w.max(),
        w.failed());
  }

  private static Window medians(List<Window> ws) {
    return new Window(
        McpLoadBench.median(ws.stream().mapToDouble(Window::callsPerSecond).toArray()),
        McpLoadBench.median(ws.stream().mapToDouble(Window::p50).toArray()),
        McpLoadBench.median(ws.stream().mapToDouble(Window::p99).toArray()),
        McpLoadBench.median(ws.stream().mapToDouble(Window::max).toArray()),
        (long) McpLoadBench.median(ws.stream().mapToDouble(Window::failed).toArray()));
  }
}
