package dev.briefcase.bench.mcp;

import dev.briefcase.bench.Load;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Whole-process MCP load: {@code tools/call echo} over loopback streamable HTTP against Briefcase's
 * agent-facing gateway (the built distribution, {@code bin/briefcase start}) and against baselines
 * started in the same run — a plain MCP server on the official Java SDK + Jetty 12 ({@link
 * SdkEchoServer}) and a trivial HTTP server ({@link FloorServer}) — each its own child process. One
 * MCP session per target on N keep-alive connections, closed loop, every answer checked; warm-up,
 * then rounds that alternate the targets; medians, ratios against the SDK baseline, cold start to
 * the first answered call, RSS. Optionally the same load through {@code wrk}. Numbers are printed,
 * never asserted.
 */
public final class McpLoadBench {
  static final double TARGET_THROUGHPUT_RATIO = 2.0 / 3.0;
  static final double TARGET_ADDED_P50_MS = 0.3;
  static final double TARGET_ADDED_P99_MS = 1.0;
  static final double TARGET_COLD_START_MS = 1_500;
  static final long TARGET_RSS_MIB = 256;
  static final List<String> KINDS = List.of("floor", "sdk", "briefcase");

  /** Command-line settings. */
  static final class Options {
    int connections = 8;
    double warmup = 20;
    double settle = 2;
    double measure = 10;
    int rounds = 3;
    int coldStarts = 3;
    List<String> targets = KINDS;
    McpSession.Client client = McpSession.Client.RAW;
    double startTimeout = 60;
    int callTimeoutMillis = 10_000;
    int samples = 1 << 22;
    String dist;
    String baselineLib;
    String serverJavaOpts = "";
    String authorization;
    String dir = System.getProperty("java.io.tmpdir");
    boolean keep;
    boolean wrk = true;
    String wrkScript;
    int wrkThreads = 2;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--quick" -> {
            o.warmup = 3;
            o.settle = 1;
            o.measure = 3;
            o.rounds = 2;
            o.coldStarts = 1;
          }
          case "--connections" -> o.connections = Integer.parseInt(args[++i]);
          case "--warmup" -> o.warmup = Double.parseDouble(args[++i]);
          case "--settle" -> o.settle = Double.parseDouble(args[++i]);
          case "--measure" -> o.measure = Double.parseDouble(args[++i]);
          case "--rounds" -> o.rounds = Integer.parseInt(args[++i]);
          case "--cold-starts" -> o.coldStarts = Integer.parseInt(args[++i]);
          case "--targets" -> o.targets = List.of(args[++i].split(","));
          case "--client" ->
              o.client = McpSession.Client.valueOf(args[++i].toUpperCase(Locale.ROOT));
          case "--start-timeout" -> o.startTimeout = Double.parseDouble(args[++i]);
          case "--call-timeout" ->
              o.callTimeoutMillis = (int) (Double.parseDouble(args[++i]) * 1000);
          case "--dist" -> o.dist = args[++i];
          case "--baseline-lib" -> o.baselineLib = args[++i];
          case "--server-java-opts" -> o.serverJavaOpts = args[++i];
          case "--authorization" -> o.authorization = args[++i];
          case "--dir" -> o.dir = args[++i];
          case "--keep" -> o.keep = true;
          case "--no-wrk" -> o.wrk = false;
          case "--wrk-script" -> o.wrkScript = args[++i];
          case "--wrk-threads" -> o.wrkThreads = Integer.parseInt(args[++i]);
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
      if (o.connections < 1 || o.connections > 256 || o.rounds < 1 || o.rounds > 15) {
        throw new IllegalArgumentException("connections 1..256, rounds 1..15");
      }
      if (o.warmup < 0 || o.warmup > 600 || o.measure <= 0 || o.measure > 600) {
        throw new IllegalArgumentException("warm-up 0..600 s, measure (0..600] s");
      }
      if (o.coldStarts < 0 || o.coldStarts > 15 || o.startTimeout <= 0 || o.startTimeout > 600) {
        throw new IllegalArgumentException("cold starts 0..15, start timeout (0..600] s");
      }
      if (o.callTimeoutMillis < 100 || o.callTimeoutMillis > 120_000) {
        throw new IllegalArgumentException("call timeout 0.1..120 s");
      }
      for (String t : o.targets) {
        if (!KINDS.contains(t)) {
          throw new IllegalArgumentException("unknown target " + t + "; known: " + KINDS);
        }
      }
      o.settle = Math.min(o.settle, o.warmup);
      return o;
    }

    static void usage(PrintStream out) {
      out.println(
          "usage: McpLoadBench [--quick] [--connections N] [--warmup S] [--settle S] [--measure S]\n"
              + "                    [--rounds N] [--cold-starts N] [--targets floor,sdk,briefcase]\n"
              + "                    [--client raw|jdk] [--start-timeout S] [--call-timeout S]\n"
              + "                    [--dist DIR] [--baseline-lib DIR] [--server-java-opts OPTS]\n"
              + "                    [--authorization VALUE] [--dir TMPDIR] [--keep]\n"
              + "                    [--no-wrk] [--wrk-script FILE] [--wrk-threads N]\n"
              + "  defaults: 8 connections, 20 s warm-up before a target's first round, 2 s settle\n"
              + "  before later ones, 10 s measured, 3 rounds, 3 cold starts per server, raw-socket\n"
              + "  client, wrk when it is on the PATH; --quick: 3 s / 1 s / 3 s, 2 rounds, 1 cold start");
    }
  }

  /** One server under load. */
  private record Target(
      String kind, ServerProcess process, URI url, McpSession session, long idleRssKib) {}

  /** One cold start: spawn to MCP URL, spawn to first checked echo, RSS right after. */
  private record ColdStart(double urlMillis, double firstCallMillis, long rssKib) {}

  /** One wrk run. */
  private record WrkResult(double callsPerSecond, double p50Ms, double p99Ms, String checked) {}

  private final Options o;
  private final PrintStream out;
  private final Path base;
  private final Path home;
  private int spawned;

  private McpLoadBench(Options o, PrintStream out, Path base) {
    this.o = o;
    this.out = out;
    this.base = base;
    this.home = locateDistribution(o.dist);
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Path base = Files.createTempDirectory(Path.of(o.dir), "briefcase-mcp-bench-");
    McpLoadBench bench = new McpLoadBench(o, System.out, base);
    try {
      bench.run();
    } finally {
      if (o.keep) {
        System.out.println("kept data and server logs in " + base);
      } else {
        deleteTree(base);
      }
    }
  }

  private void run() throws Exception {
    header();
    List<String> kinds = new ArrayList<>(o.targets);
    if (kinds.contains("briefcase") && home == null) {
      out.println(
          "briefcase: SKIPPED, no distribution at "
              + (o.dist == null ? "runtime/target/briefcase" : o.dist)
              + " (build it, or pass --dist DIR)");
      kinds.remove("briefcase");
    }
    Map<String, List<ColdStart>> cold = coldStarts(kinds);
    load(kinds, cold);
    out.printf(Locale.ROOT, "%nload average at end: %.2f%n", loadAverage());
  }

  private void header() {
    out.println("MCP load bench: tools/call echo over loopback streamable HTTP (MCP 2025-11-25)");
    out.printf(
        Locale.ROOT,
        "cpus %d, driver JVM %s, %s client, %d keep-alive connections, one session per target%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        o.client.name().toLowerCase(Locale.ROOT),
        o.connections);
    out.printf(
        Locale.ROOT,
        "warm-up %.0f s before a target's first round, settle %.0f s, measure %.0f s, %d rounds"
            + " (alternating), %d cold start(s) per server%n",
        o.warmup,
        o.settle,
        o.measure,
        o.rounds,
        o.coldStarts);
    out.println("distribution: " + (home == null ? "(none)" : home));
    out.printf(
        Locale.ROOT,
        "load average at start: %.2f (other work on the machine shares the same cores)%n",
        loadAverage());
    out.println("command: " + String.join(" ", commandLine()));
    out.println();
  }

  // ---------------------------------------------------------------- cold start

  private Map<String, List<ColdStart>> coldStarts(List<String> kinds) throws Exception {
    Map<String, List<ColdStart>> all = new LinkedHashMap<>();
    List<String> timed = kinds.stream().filter(k -> !k.equals("floor")).toList();
    if (o.coldStarts == 0 || timed.isEmpty()) {
      return all;
    }
    out.println("Cold start: process spawn -> first checked tools/call echo (fresh data dir each)");
    for (int i = 0; i < o.coldStarts; i++) {
      // alternate the order, so neither server always starts on a freshly warmed page cache
      List<String> order = new ArrayList<>(timed);
      if (i % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      for (String kind : order) {
        try {
          ColdStart c = coldStart(kind);
          all.computeIfAbsent(kind, k -> new ArrayList<>()).add(c);
          out.printf(
              Locale.ROOT,
              "  %-10s #%d  first call %7.0f ms   (MCP URL after %6.0f ms)   RSS right after %s%n",
              kind,
              i + 1,
              c.firstCallMillis(),
              c.urlMillis(),
              mib(c.rssKib()));
        } catch (IOException e) {
          out.printf(Locale.ROOT, "  %-10s #%d  FAILED: %s%n", kind, i + 1, e.getMessage());
          out.println(indent(logTail(kind, "cold")));
        }
      }
    }
    for (var e : all.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(ColdStart::firstCallMillis).toArray();
      out.printf(
          Locale.ROOT,
          "  %-10s median %7.0f ms  (runs: %s)%s%n",
          e.getKey(),
          median(v),
          Arrays.stream(v)
              .mapToObj(x -> String.format(Locale.ROOT, "%.0f", x))
              .reduce((a, b) -> a + ", " + b)
              .orElse(""),
          e.getKey().equals("briefcase")
              ? String.format(
                  Locale.ROOT,
                  "   target < %.0f ms: %s",
                  TARGET_COLD_START_MS,
                  median(v) < TARGET_COLD_START_MS ? "met" : "NOT met")
              : "");
    }
    out.println();
    return all;
  }

  private ColdStart coldStart(String kind) throws Exception {
    try (ServerProcess p = spawn(kind, "cold")) {
      URI url = p.awaitUrl(Duration.ofMillis((long) (o.startTimeout * 1000)));
      double urlMs = (System.nanoTime() - p.spawnedNanos()) / 1e6;
      try (McpSession s = openSession(p, url, 1)) {
        double firstMs = (System.nanoTime() - p.spawnedNanos()) / 1e6;
        return new ColdStart(urlMs, firstMs, p.rssKib("VmRSS"));
      }
    }
  }

  /**
   * A session whose first {@code echo} answered correctly, retrying from {@code initialize} while
   * the server is still coming up (refused connection, not-ready answers) until the start timeout.
   */
  private McpSession openSession(ServerProcess p, URI url, int connections) throws Exception {
    long deadline = p.spawnedNanos() + (long) (o.startTimeout * 1e9);
    String last = null;
    while (true) {
      String auth = o.authorization != null ? o.authorization : p.gatewayAuthorization();
      McpSession s = new McpSession(url, auth, connections, o.client, o.callTimeoutMillis);
      try {
        s.open();
        if (s.echo()) {
          return s;
        }
        last = s.firstFailure();
      } catch (IOException e) {
        last = s.firstFailure() != null ? s.firstFailure() : e.getMessage();
      }
      s.close();
      if (!p.isAlive()) {
        throw new IOException(p.name() + " exited; see " + p.log());
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            p.name() + ": no correct tools/call echo before the start timeout; last:\n" + last);
      }
      Thread.sleep(5);
    }
  }

  // ---------------------------------------------------------------- load

  private void load(List<String> kinds, Map<String, List<ColdStart>> cold) throws Exception {
    List<Target> targets = new ArrayList<>();
    try {
      out.println("Servers under load:");
      for (String kind : kinds) {
        ServerProcess p = spawn(kind, "load");
        try {
          URI url = p.awaitUrl(Duration.ofMillis((long) (o.startTimeout * 1000)));
          McpSession s = openSession(p, url, o.connections);
          // a moment for start-up work to finish before "idle" is read
          Thread.sleep(1_000);
          long idle = p.rssKib("VmRSS");
          targets.add(new Target(kind, p, url, s, idle));
          out.printf(
              Locale.ROOT,
              "  %-10s %s  session %s, protocol %s, bearer token %s, idle RSS %s (pid %d)%n"
                  + "             $ %s%n",
              kind,
              url,
              s.sessionId() == null ? "(none)" : s.sessionId(),
              s.protocolVersion(),
              s.authorization() == null ? "no" : "yes",
              mib(idle),
              pidOf(p),
              String.join(" ", p.command()));
        } catch (IOException e) {
          out.printf(Locale.ROOT, "  %-10s SKIPPED: %s%n", kind, e.getMessage());
          p.close();
          out.println(indent(logTail(kind, "load")));
        }
      }
      if (targets.isEmpty()) {
        return;
      }
      out.println();
      Map<String, List<Load.Result>> results = new LinkedHashMap<>();
      Load load = new Load(o.connections, o.samples);
      out.printf(
          Locale.ROOT,
          "%-6s %-10s %10s %9s %9s %9s %8s%n",
          "round",
          "target",
          "calls/s",
          "p50 ms",
          "p99 ms",
          "max ms",
          "errors");
      for (int r = 0; r < o.rounds; r++) {
        List<Target> order = new ArrayList<>(targets);
        if (r % 2 == 1) {
          java.util.Collections.reverse(order);
        }
        for (Target t : order) {
          boolean first = !results.containsKey(t.kind());
          t.session().resetConnections();
          Load.Result res =
              load.run(t.kind(), t.session()::echo, first ? o.warmup : o.settle, o.measure);
          results.computeIfAbsent(t.kind(), k -> new ArrayList<>()).add(res);
          out.printf(
              Locale.ROOT,
              "%-6d %-10s %10.0f %9.3f %9.3f %9.2f %8d%s%n",
              r + 1,
              t.kind(),
              res.callsPerSecond(),
              res.p50Nanos() / 1e6,
              res.p99Nanos() / 1e6,
              res.maxNanos() / 1e6,
              res.errors(),
              res.firstError() == null ? "" : "  first error: " + res.firstError());
          if (res.errors() > 0 && t.session().firstFailure() != null) {
            out.println("    first failed exchange (" + t.kind() + "):");
            out.println(indent(t.session().firstFailure()));
          }
        }
      }
      Map<String, long[]> rss = new LinkedHashMap<>();
      for (Target t : targets) {
        rss.put(t.kind(), new long[] {t.process().rssKib("VmRSS"), t.process().rssKib("VmHWM")});
      }
      Map<String, List<WrkResult>> wrk = o.wrk ? wrk(targets) : Map.of();
      summary(targets, results, rss, cold, wrk);
    } finally {
      for (Target t : targets) {
        t.session().close();
        t.process().close();
      }
    }
  }

  private void summary(
      List<Target> targets,
      Map<String, List<Load.Result>> results,
      Map<String, long[]> rss,
      Map<String, List<ColdStart>> cold,
      Map<String, List<WrkResult>> wrk) {
    out.println();
    out.printf(
        Locale.ROOT,
        "Summary (Java driver, medians of %d rounds; %d connections, one session each)%n",
        o.rounds,
        o.connections);
    out.printf(
        Locale.ROOT,
        "%-10s %10s %9s %9s %8s %12s %12s %12s %14s%n",
        "target",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "idle RSS",
        "RSS (load)",
        "peak RSS",
        "cold start");
    for (Target t : targets) {
      List<Load.Result> rs = results.get(t.kind());
      long[] mem = rss.get(t.kind());
      List<ColdStart> cs = cold.get(t.kind());
      out.printf(
          Locale.ROOT,
          "%-10s %10.0f %9.3f %9.3f %8d %12s %12s %12s %14s%n",
          t.kind(),
          med(rs, Load.Result::callsPerSecond),
          med(rs, r -> r.p50Nanos() / 1e6),
          med(rs, r -> r.p99Nanos() / 1e6),
          rs.stream().mapToLong(Load.Result::errors).sum(),
          mib(t.idleRssKib()),
          mib(mem[0]),
          mib(mem[1]),
          cs == null
              ? "-"
              : String.format(
                  Locale.ROOT,
                  "%.0f ms",
                  median(cs.stream().mapToDouble(ColdStart::firstCallMillis).toArray())));
    }
    ratios(
        results.get("briefcase"),
        results.get("sdk"),
        rss.get("briefcase"),
        r -> r.callsPerSecond(),
        r -> r.p50Nanos() / 1e6,
        r -> r.p99Nanos() / 1e6);
    if (results.containsKey("floor")) {
      double floor = med(results.get("floor"), Load.Result::callsPerSecond);
      for (String k : List.of("sdk", "briefcase")) {
        if (results.containsKey(k)) {
          out.printf(
              Locale.ROOT,
              "%s / floor throughput: %.2f%n",
              k,
              med(results.get(k), Load.Result::callsPerSecond) / floor);
        }
      }
    }
    if (!wrk.isEmpty()) {
      out.println();
      out.printf(
          Locale.ROOT,
          "wrk (-t%d -c%d -d%.0fs, bench/wrk/mcp-echo.lua; medians of %d runs)%n",
          o.wrkThreads,
          o.connections,
          o.measure,
          o.rounds);
      out.printf(
          Locale.ROOT,
          "%-10s %10s %9s %9s   %s%n",
          "target",
          "calls/s",
          "p50 ms",
          "p99 ms",
          "checked (last run)");
      for (var e : wrk.entrySet()) {
        List<WrkResult> w = e.getValue();
        out.printf(
            Locale.ROOT,
            "%-10s %10.0f %9.3f %9.3f   %s%n",
            e.getKey(),
            median(w.stream().mapToDouble(WrkResult::callsPerSecond).toArray()),
            median(w.stream().mapToDouble(WrkResult::p50Ms).toArray()),
            median(w.stream().mapToDouble(WrkResult::p99Ms).toArray()),
            w.get(w.size() - 1).checked());
      }
      if (wrk.containsKey("briefcase") && wrk.containsKey("sdk")) {
        double b =
            median(wrk.get("briefcase").stream().mapToDouble(WrkResult::callsPerSecond).toArray());
        double s = median(wrk.get("sdk").stream().mapToDouble(WrkResult::callsPerSecond).toArray());
        double bp50 = median(wrk.get("briefcase").stream().mapToDouble(WrkResult::p50Ms).toArray());
        double sp50 = median(wrk.get("sdk").stream().mapToDouble(WrkResult::p50Ms).toArray());
        double bp99 = median(wrk.get("briefcase").stream().mapToDouble(WrkResult::p99Ms).toArray());
        double sp99 = median(wrk.get("sdk").stream().mapToDouble(WrkResult::p99Ms).toArray());
        out.printf(
            Locale.ROOT,
            "wrk: briefcase / sdk throughput %.2f, added p50 %+.3f ms, added p99 %+.3f ms%n",
            b / s,
            bp50 - sp50,
            bp99 - sp99);
      }
    }
  }

  private void ratios(
      List<Load.Result> bc,
      List<Load.Result> sdk,
      long[] bcRss,
      ToDoubleFunction<Load.Result> tput,
      ToDoubleFunction<Load.Result> p50,
      ToDoubleFunction<Load.Result> p99) {
    out.println();
    if (bc == null || sdk == null) {
      out.println("briefcase vs sdk: not available (both targets are needed)");
      return;
    }
    double ratio = med(bc, tput) / med(sdk, tput);
    double addP50 = med(bc, p50) - med(sdk, p50);
    double addP99 = med(bc, p99) - med(sdk, p99);
    out.printf(
        Locale.ROOT,
        "briefcase / sdk throughput  %6.2f   (target >= %.2f: %s)%n",
        ratio,
        TARGET_THROUGHPUT_RATIO,
        ratio >= TARGET_THROUGHPUT_RATIO ? "met" : "NOT met");
    out.printf(
        Locale.ROOT,
        "briefcase adds at p50      %+7.3f ms (target <= %.1f ms: %s)%n",
        addP50,
        TARGET_ADDED_P50_MS,
        addP50 <= TARGET_ADDED_P50_MS ? "met" : "NOT met");
    out.printf(
        Locale.ROOT,
        "briefcase adds at p99      %+7.3f ms (target <= %.1f ms: %s)%n",
        addP99,
        TARGET_ADDED_P99_MS,
        addP99 <= TARGET_ADDED_P99_MS ? "met" : "NOT met");
    if (bcRss != null) {
      out.printf(
          Locale.ROOT,
          "briefcase RSS after load   %s (target < %d MiB: %s)%n",
          mib(bcRss[0]),
          TARGET_RSS_MIB,
          bcRss[0] >= 0 && bcRss[0] < TARGET_RSS_MIB * 1024 ? "met" : "NOT met");
    }
  }

  // ---------------------------------------------------------------- wrk

  private Map<String, List<WrkResult>> wrk(List<Target> targets) throws Exception {
    Map<String, List<WrkResult>> all = new LinkedHashMap<>();
    Path script = wrkScript();
    Path wrk = onPath("wrk");
    out.println();
    if (wrk == null || script == null) {
      out.println(
          "wrk: SKIPPED ("
              + (wrk == null ? "wrk not on the PATH" : "bench/wrk/mcp-echo.lua not found")
              + ")");
      return all;
    }
    out.println("wrk runs (same servers and sessions, already warm):");
    for (int r = 0; r < o.rounds; r++) {
      List<Target> order = new ArrayList<>(targets);
      if (r % 2 == 1) {
        java.util.Collections.reverse(order);
      }
      for (Target t : order) {
        List<String> cmd =
            new ArrayList<>(
                List.of(
                    wrk.toString(),
                    "-t" + Math.min(o.wrkThreads, o.connections),
                    "-c" + o.connections,
                    String.format(Locale.ROOT, "-d%.0fs", Math.max(1, o.measure)),
                    "--latency",
                    "--timeout",
                    Math.max(1, o.callTimeoutMillis / 1000) + "s",
                    "-s",
                    script.toString(),
                    t.url().toString(),
                    "--",
                    t.session().sessionId() == null ? "-" : t.session().sessionId(),
                    t.session().protocolVersion()));
        if (r == 0) {
          out.println(
              "  $ "
                  + String.join(" ", cmd)
                  + (t.session().authorization() == null ? "" : " 'Bearer [REDACTED]'"));
        }
        if (t.session().authorization() != null) {
          cmd.add(t.session().authorization());
        }
        String text = runBounded(cmd, (long) (o.measure * 1000) + 30_000);
        WrkResult w = parseWrk(text);
        if (w == null) {
          out.printf(
              Locale.ROOT, "  %-10s wrk output not understood:%n%s%n", t.kind(), indent(text));
          continue;
        }
        all.computeIfAbsent(t.kind(), k -> new ArrayList<>()).add(w);
        out.printf(
            Locale.ROOT,
            "  round %d %-10s %10.0f calls/s  p50 %7.3f ms  p99 %7.3f ms  %s%n",
            r + 1,
            t.kind(),
            w.callsPerSecond(),
            w.p50Ms(),
            w.p99Ms(),
            w.checked());
      }
    }
    return all;
  }

  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern P50 = Pattern.compile("\\s50%\\s+([0-9.]+)(us|ms|s)");
  private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)");
  private static final Pattern CHECKED = Pattern.compile("checked: .*");
  private static final Pattern NON2XX =
      Pattern.compile("Non-2xx or 3xx responses: \\d+|Socket errors:.*");

  static WrkResult parseWrk(String text) {
    Matcher rps = RPS.matcher(text);
    Matcher p50 = P50.matcher(text);
    Matcher p99 = P99.matcher(text);
    if (!rps.find() || !p50.find() || !p99.find()) {
      return null;
    }
    Matcher c = CHECKED.matcher(text);
    StringBuilder checked = new StringBuilder(c.find() ? c.group() : "checked: ?");
    Matcher n = NON2XX.matcher(text);
    while (n.find()) {
      checked.append("; ").append(n.group().strip());
    }
    return new WrkResult(
        Double.parseDouble(rps.group(1)),
        millis(p50.group(1), p50.group(2)),
        millis(p99.group(1), p99.group(2)),
        checked.toString());
  }

  private static double millis(String v, String unit) {
    double d = Double.parseDouble(v);
    return switch (unit) {
      case "us" -> d / 1000;
      case "s" -> d * 1000;
      default -> d;
    };
  }

  private Path wrkScript() {
    if (o.wrkScript != null) {
      Path p = Path.of(o.wrkScript);
      return Files.isRegularFile(p) ? p.toAbsolutePath() : null;
    }
    for (String c : List.of("bench/wrk/mcp-echo.lua", "wrk/mcp-echo.lua")) {
      Path p = Path.of(c).toAbsolutePath().normalize();
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    Path code = codeLocation();
    // bench/target/classes or bench/target/x.jar -> bench/wrk
    Path p = code.getParent().getParent().resolve("wrk/mcp-echo.lua");
    return Files.isRegularFile(p) ? p : null;
  }

  private static Path onPath(String exe) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, exe))) {
        return Path.of(dir, exe);
      }
    }
    return null;
  }

  private String runBounded(List<String> cmd, long timeoutMillis) throws Exception {
    Path outFile = base.resolve("wrk-" + (spawned++) + ".txt");
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(outFile.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
    return Files.readString(outFile, StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- processes

  private ServerProcess spawn(String kind, String purpose) throws IOException {
    int n = spawned++;
    Path log = base.resolve(kind + "-" + purpose + "-" + n + ".log");
    return switch (kind) {
      case "briefcase" ->
          ServerProcess.briefcase(
              home, base.resolve("briefcase-" + purpose + "-" + n), o.serverJavaOpts, log);
      case "sdk" ->
          ServerProcess.java(
              kind,
              javaCommand(SdkEchoServer.class, codeLocation() + ":" + baselineLib() + "/*"),
              log);
      case "floor" ->
          ServerProcess.java(kind, javaCommand(FloorServer.class, codeLocation().toString()), log);
      default -> throw new IllegalArgumentException(kind);
    };
  }

  private List<String> javaCommand(Class<?> main, String classPath) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (!o.serverJavaOpts.isBlank()) {
      cmd.addAll(Arrays.asList(o.serverJavaOpts.strip().split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(main.getName());
    return cmd;
  }

  private Path baselineLib() throws IOException {
    Path lib =
        o.baselineLib != null
            ? Path.of(o.baselineLib)
            : codeLocation().getParent().resolve("mcp-baseline-lib");
    if (!Files.isDirectory(lib)) {
      throw new IOException(
          lib
              + " missing: run `mvn -B -q -f bench/pom.xml package` (it copies the SDK baseline's"
              + " class path there), or pass --baseline-lib DIR");
    }
    return lib.toAbsolutePath();
  }

  /** The bench's own jar or classes directory. */
  private static Path codeLocation() {
    try {
      return Path.of(McpLoadBench.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toAbsolutePath();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path locateDistribution(String hint) {
    if (hint != null) {
      Path p = Path.of(hint).toAbsolutePath();
      return Files.isRegularFile(p.resolve("bin/briefcase")) ? p : null;
    }
    for (String c : List.of("runtime/target/briefcase", "../runtime/target/briefcase")) {
      Path p = Path.of(c).toAbsolutePath().normalize();
      if (Files.isRegularFile(p.resolve("bin/briefcase"))) {
        return p;
      }
    }
    return null;
  }

  /** The last lines of the newest log of this kind and purpose, for a failure report. */
  private String logTail(String kind, String purpose) {
    try (Stream<Path> logs = Files.list(base)) {
      Path log =
          logs.filter(p -> p.getFileName().toString().startsWith(kind + "-" + purpose + "-"))
              .filter(p -> p.toString().endsWith(".log"))
              .max(Comparator.comparing(p -> p.toFile().lastModified()))
              .orElse(null);
      if (log == null) {
        return "(no log)";
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "last lines of "
          + log.getFileName()
          + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  private static long pidOf(ServerProcess p) {
    return p.pid();
  }

  // ---------------------------------------------------------------- helpers

  private static double med(List<Load.Result> rs, ToDoubleFunction<Load.Result> f) {
    return median(rs.stream().mapToDouble(f).toArray());
  }

  static double median(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static String mib(long kib) {
    return kib < 0 ? "-" : String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
  }

  private static String indent(String s) {
    return "      " + s.replace("\n", "\n      ");
  }

  private static List<String> commandLine() {
    var info = ProcessHandle.current().info();
    List<String> cmd = new ArrayList<>();
    cmd.add(info.command().orElse("java"));
    String[] args = info.arguments().orElse(new String[0]);
    for (int i = 0; i < args.length; i++) {
      cmd.add(args[i]);
      if ((args[i].equals("-cp") || args[i].equals("-classpath")) && i + 1 < args.length) {
        // the class path is long and the README says how it is built
        cmd.add("<" + args[i + 1].split(":").length + " entries>");
        i++;
      }
    }
    return cmd;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
