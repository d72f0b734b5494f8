package dev.briefcase.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.connector.builtin.internal.BuiltinTools;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.kernel.internal.KernelTestHook;
import dev.briefcase.policy.ActivePolicy;
import dev.briefcase.policy.PolicyDecision;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.policy.PolicyQuery;
import dev.briefcase.receipts.internal.SqliteReceiptLog;
import dev.briefcase.store.Store;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.Features;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolManifest;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Constructor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Pipeline overhead of the {@code echo} tool, measured against the bare connector call in the same
 * JVM run: in-process (kernel pipeline with durable receipts vs. {@code BuiltinTools.execute}) and
 * over HTTP (the real distribution's admin API vs. a minimal JDK HTTP server calling the
 * connector). Prints calls/s, p50 and p99 per variant (medians over alternating rounds), the
 * latency the kernel adds and the throughput ratio. Numbers are reported, never asserted.
 */
public final class PipelineBench {
  static final double TARGET_ADDED_P50_MICROS = 300;
  static final double TARGET_ADDED_P99_MICROS = 1_000;
  static final double TARGET_CALLS_PER_SECOND = 5_000;
  static final String NODELAY = "sun.net.httpserver.nodelay";

  /** Linux delays an ACK up to 40 ms; a loopback p50 above this is that timer, not work. */
  static final double NAGLE_FLOOR_MICROS = 35_000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] OK_MARKER = "\"status\":\"ok\"".getBytes(StandardCharsets.UTF_8);
  private static final String BODY = "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"hi\"}}}";

  /** Command-line settings. */
  static final class Options {
    int threads = 4;
    double warmup = 8;
    double measure = 8;
    double settle = 1;
    int rounds = 3;
    int httpWorkers = 16;
    int samples = 1 << 22;
    String part = "all";
    String dist;
    String dir = System.getProperty("java.io.tmpdir");
    boolean keep;
    boolean quick;
    // the runtime ships with TCP_NODELAY on (the launcher sets it), so the baseline does too
    boolean httpNoDelay = true;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--quick" -> {
            o.quick = true;
            o.warmup = 2;
            o.measure = 2;
            o.settle = 0.5;
            o.rounds = 2;
          }
          case "--threads" -> o.threads = Integer.parseInt(args[++i]);
          case "--warmup" -> o.warmup = Double.parseDouble(args[++i]);
          case "--measure" -> o.measure = Double.parseDouble(args[++i]);
          case "--settle" -> o.settle = Double.parseDouble(args[++i]);
          case "--rounds" -> o.rounds = Integer.parseInt(args[++i]);
          case "--http-workers" -> o.httpWorkers = Integer.parseInt(args[++i]);
          case "--part" -> o.part = args[++i];
          case "--dist" -> o.dist = args[++i];
          case "--dir" -> o.dir = args[++i];
          case "--keep" -> o.keep = true;
          case "--http-nodelay" -> o.httpNoDelay = true;
          case "--http-nagle" -> o.httpNoDelay = false;
          case "-h", "--help" -> {
            usage(System.out);
            System.exit(0);
          }
          default -> {
            usage(System.err);
            System.exit(2);
          }
        }
      }
      if (o.threads < 1 || o.threads > 256 || o.rounds < 1 || o.rounds > 15) {
        throw new IllegalArgumentException("threads must be 1..256 and rounds 1..15");
      }
      if (o.warmup < 0 || o.measure <= 0 || o.measure > 600 || o.warmup > 600) {
        throw new IllegalArgumentException("warm-up 0..600 s and measure (0..600] s");
      }
      if (!List.of("all", "inproc", "http").contains(o.part)) {
        throw new IllegalArgumentException("--part must be all, inproc or http");
      }
      o.settle = Math.min(o.settle, o.warmup);
      return o;
    }

    static void usage(PrintStream out) {
      out.println(
          "usage: PipelineBench [--quick] [--threads N] [--warmup S] [--measure S] [--settle S]\n"
              + "                     [--rounds N] [--http-workers N] [--part all|inproc|http]\n"
              + "                     [--dist DIR] [--dir TMPDIR] [--keep] [--http-nagle]\n"
              + "  defaults: 4 threads, 8 s warm-up (first round), 1 s settle (later rounds),\n"
              + "  8 s measured per phase, 3 rounds; --quick: 2 s / 0.5 s / 2 s, 2 rounds\n"
              + "  both HTTP servers run with -Dsun.net.httpserver.nodelay=true, as the runtime\n"
              + "  ships; --http-nagle measures the JDK default (Nagle on) instead");
    }
  }

  private PipelineBench() {}

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o.httpNoDelay) {
      // read once when the JDK HTTP server classes initialise, which has not happened yet
      System.setProperty(NODELAY, "true");
    }
    Path base = Files.createTempDirectory(Path.of(o.dir), "briefcase-bench-");
    PrintStream out = System.out;
    try {
      header(out, o, base);
      Load load = new Load(o.threads, o.samples);
      if (!o.part.equals("http")) {
        inProcess(out, o, load, base.resolve("inproc"));
      }
      if (!o.part.equals("inproc")) {
        overHttp(out, o, load, base);
      }
      out.printf(Locale.ROOT, "%nload average at end: %.2f%n", loadAverage());
    } finally {
      if (!o.keep) {
        deleteTree(base);
      } else {
        out.println("kept data in " + base);
      }
    }
  }

  // ---------------------------------------------------------------- part 1: in-process

  private static void inProcess(PrintStream out, Options o, Load load, Path dir) throws Exception {
    Files.createDirectories(dir);
    SqliteStore store = new SqliteStore(dir.resolve("briefcase.db"));
    SqliteReceiptLog receipts =
        new SqliteReceiptLog(
            store, SqliteReceiptLog.DEFAULT_MAX_BATCH, SqliteReceiptLog.DEFAULT_APPEND_TIMEOUT_MS);
    try {
      String[] policyName = new String[1];
      PolicyEngine policy = policyEngine(store, policyName);
      BuiltinTools tools = new BuiltinTools(store);
      ToolCallService pipeline = KernelTestHook.pipeline(store, receipts, policy, tools, "builtin");
      out.println("policy engine (in-process): " + policyName[0]);
      out.println();

      JsonNode args = JSON.readTree("{\"text\":\"hi\"}");
      Map<String, Object> plainArgs = Map.of("text", "hi");
      ToolManifest manifest = ToolManifest.denyAll("echo", "builtin");
      CallContext ctx = new CallContext("bench", null, null, "bench");
      Load.Call bare =
          () -> {
            ToolResult r = tools.execute(new ToolInvocation("echo", plainArgs, manifest, ctx));
            return r.content() != null;
          };
      LongAccumulator lastReceipt = new LongAccumulator(Long::max, 0);
      Load.Call kernel =
          () -> {
            ToolCallOutcome r =
                pipeline.call(
                    new ToolCallRequest(
                        "echo",
                        args,
                        new CallContext(UUID.randomUUID().toString(), null, null, "bench"),
                        null));
            if (r.status() != ToolCallOutcome.Status.OK) {
              throw new IllegalStateException(
                  "outcome " + r.status().wire() + " " + r.reason() + " " + r.message());
            }
            lastReceipt.accumulate(r.receiptId());
            return true;
          };
      // one call each first, so a wiring mistake fails fast instead of after the warm-up
      bare.run();
      kernel.run();

      Comparison c =
          compare(
              o,
              load,
              new Variant("(a) bare BuiltinTools.execute", bare, () -> {}),
              new Variant("(b) kernel ToolCallPipeline.call", kernel, () -> {}));
      report(
          out,
          "Part 1 - in-process, echo, " + o.threads + " threads",
          c,
          "kernel adds (b - a)",
          "b/a");
      out.printf(
          Locale.ROOT,
          "durable receipts: last receipt id %d (one per kernel call, warm-up included)%n",
          lastReceipt.get());
    } finally {
      receipts.close();
      store.close();
    }
  }

  /** The real Cedar engine when it is on the class path, else an allow-read stand-in. */
  public static PolicyEngine policyEngine(Store store, String[] name) {
    String cls = "dev.briefcase.policy.cedar.internal.CedarPolicyEngine";
    try {
      Class<?> engine = Class.forName(cls);
      Class<?> config = Class.forName(cls + "$Config");
      // a DS-style configuration: every attribute at its declared default
      Object cfg = Configs.defaults(config);
      Constructor<?> ctor = engine.getConstructor(Store.class, config);
      PolicyEngine p = (PolicyEngine) ctor.newInstance(store, cfg);
      ActivePolicy active = p.active();
      name[0] =
          "Cedar (real CedarPolicyEngine, default policy "
              + active.policyHashHex().substring(0, 12)
              + ")";
      return p;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      name[0] =
          "STAND-IN allow-read engine (CedarPolicyEngine unavailable: "
              + cause.getClass().getSimpleName()
              + ": "
              + cause.getMessage()
              + ")";
      return new AllowReadPolicy();
    }
  }

  /** Used only when the Cedar bundle is missing: ALLOW for read tools, approval otherwise. */
  static final class AllowReadPolicy implements PolicyEngine {
    @Override
    public PolicyDecision decide(PolicyQuery q) {
      return "read".equals(q.category())
          ? PolicyDecision.ALLOW
          : PolicyDecision.requireApproval("local");
    }

    @Override
    public ActivePolicy active() {
      return new ActivePolicy("bench-allow-read", "0", Instant.EPOCH);
    }

    @Override
    public void validate(String policyText) {}

    @Override
    public ActivePolicy apply(String policyText, String source) {
      return active();
    }
  }

  // ---------------------------------------------------------------- part 2: over HTTP

  private static void overHttp(PrintStream out, Options o, Load load, Path base) throws Exception {
    out.println();
    Path home = locateDistribution(o.dist);
    if (home == null) {
      out.println(
          "Part 2 - over HTTP: SKIPPED, no distribution found"
              + (o.dist == null ? " at runtime/target/briefcase" : " at " + o.dist)
              + " (build the runtime module, or pass --dist DIR)");
      return;
    }
    Path storeDir = base.resolve("http-baseline");
    Files.createDirectories(storeDir);
    SqliteStore store = new SqliteStore(storeDir.resolve("briefcase.db"));
    try (Distribution dist = asShipped(new Distribution(home, base.resolve("dist-data")))) {
      if (o.httpNoDelay) {
        String opts = System.getenv().getOrDefault("BRIEFCASE_JAVA_OPTS", "");
        dist.env("BRIEFCASE_JAVA_OPTS", (opts + " -D" + NODELAY + "=true").strip());
      }
      long t0 = System.nanoTime();
      dist.start(Duration.ofSeconds(90));
      out.printf(
          Locale.ROOT,
          "distribution: %s (ready in %.1f s, admin API %s)%n",
          home,
          (System.nanoTime() - t0) / 1e9,
          dist.baseUrl());
      String token = UUID.randomUUID().toString();
      BuiltinTools tools = new BuiltinTools(store);
      try (EchoHttpServer server = new EchoHttpServer(tools, token, o.httpWorkers)) {
        HttpCall bare = new HttpCall(server.baseUrl(), token);
        HttpCall admin = new HttpCall(dist.baseUrl(), dist.token());
        bare.run();
        awaitFirstOk(admin, Duration.ofSeconds(30), dist);
        out.println();
        Comparison c =
            compare(
                o,
                load,
                new Variant("(c) JDK HttpServer + execute", bare, bare::reset),
                new Variant("(d) distribution admin API", admin, admin::reset));
        report(
            out,
            "Part 2 - over HTTP (POST /v1/tools/call, keep-alive), echo, " + o.threads + " threads",
            c,
            "admin API adds (d - c)",
            "d/c");
        double baseP50Micros = median(c.baseRuns(), r -> r.p50Nanos() / 1e3);
        if (!o.httpNoDelay && baseP50Micros >= NAGLE_FLOOR_MICROS) {
          out.println(
              "WARNING: the baseline sits at the ~40 ms Nagle/delayed-ACK floor of the JDK"
                  + " HttpServer (TCP_NODELAY off), so these HTTP figures measure TCP, not the"
                  + " pipeline; compare with --http-nodelay.");
        }
        out.println(
            "(c) runs inside the bench JVM with "
                + o.httpWorkers
                + " workers; (d) is the distribution's own JVM (admin API, 16 workers by default)");
      }
    } finally {
      store.close();
    }
  }

  /**
   * A bearer-authenticated {@code POST /v1/tools/call} of echo. Each phase gets a fresh client:
   * connections left idle while the other variant runs may have been closed by the server's idle
   * timer, and a POST on such a connection fails instead of being retried.
   */
  static final class HttpCall implements Load.Call {
    private final HttpRequest request;
    private volatile HttpClient client;

    HttpCall(String baseUrl, String token) {
      request =
          HttpRequest.newBuilder(URI.create(baseUrl + "/v1/tools/call"))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json")
              .timeout(Duration.ofSeconds(10))
              .POST(HttpRequest.BodyPublishers.ofString(BODY))
              .build();
      reset();
    }

    void reset() {
      client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
    }

    @Override
    public boolean run() throws Exception {
      HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200 || !contains(r.body(), OK_MARKER)) {
        throw new IllegalStateException(
            "HTTP "
                + r.statusCode()
                + " "
                + new String(r.body(), 0, Math.min(200, r.body().length), StandardCharsets.UTF_8));
      }
      return true;
    }
  }

  /** The distribution home below {@code hint}, or the usual build output, or {@code null}. */
  static Path locateDistribution(String hint) {
    if (hint != null) {
      Path p = Path.of(hint).toAbsolutePath();
      return Files.isRegularFile(p.resolve("bin/briefcase")) ? p : null;
    }
    for (String candidate :
        new String[] {"runtime/target/briefcase", "../runtime/target/briefcase"}) {
      Path p = Path.of(candidate).toAbsolutePath().normalize();
      if (Files.isRegularFile(p.resolve("bin/briefcase"))) {
        return p;
      }
    }
    return null;
  }

  /**
   * Receipt checkpoints at the cadence the product ships with (features/core.json): the test driver
   * turns them off so receipt heads stay put, but their signing is part of what the pipeline costs.
   */
  private static Distribution asShipped(Distribution dist) throws IOException {
    Map<String, String> vars = Features.variables("core");
    return dist.env(
            "BRIEFCASE_RECEIPT_CHECKPOINT_EVERY", vars.get("briefcase.receipt.checkpoint.every"))
        .env(
            "BRIEFCASE_RECEIPT_CHECKPOINT_INTERVAL_SECONDS",
            vars.get("briefcase.receipt.checkpoint.interval.seconds"));
  }

  /** The admin API can be ready before the builtin connector is bound: wait for an ok echo. */
  private static void awaitFirstOk(Load.Call call, Duration timeout, Distribution dist)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        call.run();
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "echo through the admin API never succeeded: "
                  + e.getMessage()
                  + "; see "
                  + dist.logFile,
              e);
        }
        Thread.sleep(200);
      }
    }
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- measuring and reporting

  /** One side of a comparison; {@code beforePhase} runs ahead of each of its phases. */
  record Variant(String label, Load.Call call, Runnable beforePhase) {}

  record Comparison(
      Variant base, Variant test, List<Load.Result> baseRuns, List<Load.Result> testRuns) {}

  /** Alternates the two variants (A B, B A, A B, ...) so drift on a shared machine evens out. */
  private static Comparison compare(Options o, Load load, Variant base, Variant test)
      throws InterruptedException {
    List<Load.Result> baseRuns = new ArrayList<>();
    List<Load.Result> testRuns = new ArrayList<>();
    for (int r = 0; r < o.rounds; r++) {
      double warm = r == 0 ? o.warmup : o.settle;
      Variant[] order = r % 2 == 0 ? new Variant[] {base, test} : new Variant[] {test, base};
      for (Variant v : order) {
        System.err.printf(
            Locale.ROOT,
            "  round %d/%d: %s (%.1f s warm-up, %.1f s measured)%n",
            r + 1,
            o.rounds,
            v.label(),
            warm,
            o.measure);
        v.beforePhase().run();
        Load.Result res = load.run(v.label(), v.call(), warm, o.measure);
        (v == base ? baseRuns : testRuns).add(res);
      }
    }
    return new Comparison(base, test, baseRuns, testRuns);
  }

  private static void report(
      PrintStream out, String title, Comparison c, String addedLabel, String ratioLabel) {
    int n = c.baseRuns().size();
    out.println("== " + title + " (medians of " + n + " round" + (n == 1 ? "" : "s") + ") ==");
    out.printf(
        Locale.ROOT,
        "%-36s %12s %10s %10s %12s %8s%n",
        "variant",
        "calls/s",
        "p50 us",
        "p99 us",
        "calls",
        "errors");
    double[] b = row(out, c.base().label(), c.baseRuns());
    double[] t = row(out, c.test().label(), c.testRuns());
    double addP50 = t[1] - b[1];
    double addP99 = t[2] - b[2];
    out.printf(Locale.ROOT, "%-36s %12s %+10.1f %+10.1f%n", addedLabel, "", addP50, addP99);
    out.printf(
        Locale.ROOT,
        "%-36s %12.4f %10.1f %10.1f   (throughput ratio; latency ratios p50, p99)%n",
        "ratio " + ratioLabel,
        t[0] / b[0],
        t[1] / b[1],
        t[2] / b[2]);
    out.printf(
        Locale.ROOT,
        "targets: added p50 <= %.0f us: %s | added p99 <= %.0f us: %s | %s >= %.0f calls/s: %s%n",
        TARGET_ADDED_P50_MICROS,
        verdict(addP50 <= TARGET_ADDED_P50_MICROS),
        TARGET_ADDED_P99_MICROS,
        verdict(addP99 <= TARGET_ADDED_P99_MICROS),
        c.test().label().substring(0, 3),
        TARGET_CALLS_PER_SECOND,
        verdict(t[0] >= TARGET_CALLS_PER_SECOND));
    out.println("per round:");
    List<Load.Result> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(c.baseRuns().get(i));
      all.add(c.testRuns().get(i));
    }
    for (Load.Result r : all) {
      out.printf(
          Locale.ROOT,
          "  %-34s %12.1f %10.1f %10.1f %12d %8d   max %.1f us%s%s%n",
          r.label(),
          r.callsPerSecond(),
          r.p50Nanos() / 1e3,
          r.p99Nanos() / 1e3,
          r.calls(),
          r.errors(),
          r.maxNanos() / 1e3,
          r.sampled() ? " (latencies sampled)" : "",
          r.firstError() == null ? "" : "  first error: " + r.firstError());
    }
    out.println();
  }

  private static String verdict(boolean met) {
    return met ? "met" : "NOT met";
  }

  /** Prints the median row; returns {calls/s, p50 us, p99 us}. */
  private static double[] row(PrintStream out, String label, List<Load.Result> runs) {
    double cps = median(runs, Load.Result::callsPerSecond);
    double p50 = median(runs, r -> r.p50Nanos() / 1e3);
    double p99 = median(runs, r -> r.p99Nanos() / 1e3);
    long calls = runs.stream().mapToLong(Load.Result::calls).sum();
    long errors = runs.stream().mapToLong(Load.Result::errors).sum();
    out.printf(
        Locale.ROOT, "%-36s %12.1f %10.1f %10.1f %12d %8d%n", label, cps, p50, p99, calls, errors);
    return new double[] {cps, p50, p99};
  }

  static double median(List<Load.Result> runs, ToDoubleFunction<Load.Result> f) {
    double[] v = runs.stream().mapToDouble(f).sorted().toArray();
    int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  // ---------------------------------------------------------------- machine and settings

  private static void header(PrintStream out, Options o, Path base) throws IOException {
    Runtime rt = Runtime.getRuntime();
    out.println("Briefcase pipeline bench: echo, kernel and admin API vs. the bare connector call");
    out.printf(
        Locale.ROOT,
        "machine:  %d cores (availableProcessors), %s; %s %s %s; load average %.2f%n",
        rt.availableProcessors(),
        cpuModel(),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        System.getProperty("os.arch"),
        loadAverage());
    out.printf(
        Locale.ROOT,
        "JVM:      %s %s (%s), max heap %d MiB, GC %s%n",
        System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"),
        System.getProperty("java.vm.vendor"),
        rt.maxMemory() >> 20,
        String.join(
            "+",
            ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(g -> g.getName())
                .toList()));
    out.printf(
        Locale.ROOT,
        "settings: %d client threads, warm-up %.1f s (first round) / settle %.1f s (later rounds),"
            + " measured %.1f s per phase, %d rounds alternating, %d HTTP workers%s%n",
        o.threads,
        o.warmup,
        o.settle,
        o.measure,
        o.rounds,
        o.httpWorkers,
        o.quick ? " [--quick]" : "");
    String inherited = System.getenv("BRIEFCASE_JAVA_OPTS");
    out.printf(
        Locale.ROOT,
        "HTTP:     JDK HttpServer TCP_NODELAY %s in both servers%s%n",
        o.httpNoDelay ? "on (as the runtime ships)" : "off (--http-nagle, the JDK default)",
        inherited == null || inherited.isBlank()
            ? ""
            : "; distribution started with BRIEFCASE_JAVA_OPTS=" + inherited);
    out.printf(
        Locale.ROOT,
        "storage:  %s (%s); SQLite WAL synchronous=FULL, receipt group commit (max batch %d)%n",
        base,
        Files.getFileStore(base).type(),
        SqliteReceiptLog.DEFAULT_MAX_BATCH);
    out.println(
        "latency:  wall time per call on the calling thread (System.nanoTime), nearest-rank"
            + " percentiles");
    out.println();
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).strip())
          .findFirst()
          .orElse("unknown CPU");
    } catch (IOException | RuntimeException e) {
      return "unknown CPU";
    }
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort: a temp dir left behind is harmless
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }
}
