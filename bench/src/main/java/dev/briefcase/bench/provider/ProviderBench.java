package dev.briefcase.bench.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.bench.Load;
import dev.briefcase.itests.common.Distribution;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * The reference provider and the agent's {@code quote} under load (SPEC §8.2, §15), two processes
 * of the built distribution in one run.
 *
 * <p>Part 1, the provider alone ({@code briefcase start --feature provider}), T closed-loop threads
 * of a third-party DPoP client ({@link DpopClient}): (a) {@code GET /.well-known/jwks.json}, the
 * baseline (listener, filters, servlet, no crypto); (b) the unauthenticated capability mint {@code
 * POST /token} with a fresh proof (proof verified, nonce, capability signed with Ed25519); (c) the
 * DPoP-verified quote {@code GET /api/quote} (capability signature, revocation lookup, proof
 * verified with {@code ath}, replay cache, usage count). Quotes draw on capabilities minted before
 * the phase (50 calls each), so (c) holds no mint. Rounds alternate the order; medians.
 *
 * <p>Part 2, an agent-side Briefcase (connectors feature, the provider registered) calling {@code
 * quote} through {@code POST /v1/tools/call}, one thread, variants interleaved in a fresh random
 * order per iteration: (d) echo, the pipeline's own floor; (e) quote on a cached capability; (f)
 * quote after the cached capability was dropped ({@code POST /v1/revocations/capability/demo}, off
 * the clock): a fresh mint inside the call; (g) the same quote sent directly by the bench's client,
 * the provider's part of (e).
 */
public final class ProviderBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OK = "\"status\":\"ok\"";

  record Options(
      int threads,
      double warmup,
      double measure,
      int rounds,
      int pool,
      int agentCalls,
      int agentWarmup,
      String dist) {
    static Options parse(String[] args) {
      int threads = 4;
      double warmup = 5;
      double measure = 8;
      int rounds = 3;
      int pool = 600;
      int agentCalls = 400;
      int agentWarmup = 100;
      String dist = null;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--threads" -> threads = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Double.parseDouble(args[++i]);
          case "--measure" -> measure = Double.parseDouble(args[++i]);
          case "--rounds" -> rounds = Integer.parseInt(args[++i]);
          case "--pool" -> pool = Integer.parseInt(args[++i]);
          case "--agent-calls" -> agentCalls = Integer.parseInt(args[++i]);
          case "--agent-warmup" -> agentWarmup = Integer.parseInt(args[++i]);
          case "--dist" -> dist = args[++i];
          case "--quick" -> {
            warmup = 2;
            measure = 3;
            rounds = 1;
            pool = 250;
            agentCalls = 100;
            agentWarmup = 30;
          }
          default ->
              throw new IllegalArgumentException(
                  "unknown option "
                      + args[i]
                      + " (--threads N --warmup S --measure S --rounds N --pool N --agent-calls N"
                      + " --agent-warmup N --dist DIR --quick)");
        }
      }
      return new Options(threads, warmup, measure, rounds, pool, agentCalls, agentWarmup, dist);
    }
  }

  private ProviderBench() {}

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    PrintStream out = System.out;
    Path home = locate(o.dist());
    if (home == null) {
      out.println("no distribution at runtime/target/briefcase (build runtime, or --dist DIR)");
      System.exit(2);
    }
    out.printf(
        Locale.ROOT,
        "provider bench: %d threads, %.0f s warm-up, %.0f s measured, %d rounds; load average %s%n",
        o.threads(),
        o.warmup(),
        o.measure(),
        o.rounds(),
        loadAverage());
    Path dir = Files.createTempDirectory("briefcase-provider-bench-");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String base = "http://127.0.0.1:" + port;
    try (Distribution provider =
        new Distribution(home, dir.resolve("provider"))
            .startArgs("--feature", "provider")
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", base)
            // sized for the bench's peak proof rate (a proof stays acceptable for ~240 s), so
            // the figures measure the provider, not a full replay cache
            .env("BRIEFCASE_PROVIDER_DPOP_REPLAY_CAPACITY", "480000")) {
      provider.start(Duration.ofSeconds(120));
      DpopClient client = new DpopClient(base);
      awaitOk(client::jwks, "the provider's JWKS");
      providerPart(out, o, client);
      agentPart(out, o, home, dir, base, client);
    } finally {
      deleteTree(dir);
    }
    out.printf(Locale.ROOT, "load average at end: %s%n", loadAverage());
  }

  // ------------------------------------------------------------------ part 1: the provider

  private static void providerPart(PrintStream out, Options o, DpopClient client) throws Exception {
    ConcurrentLinkedQueue<DpopClient.Capability> pool = new ConcurrentLinkedQueue<>();
    AtomicLong inlineMints = new AtomicLong();
    ThreadLocal<long[]> left = ThreadLocal.withInitial(() -> new long[1]);
    ThreadLocal<String[]> held = ThreadLocal.withInitial(() -> new String[1]);
    Load.Call jwks = client::jwks;
    Load.Call mint =
        () -> {
          client.mint();
          return true;
        };
    Load.Call quote =
        () -> {
          long[] n = left.get();
          String[] cap = held.get();
          if (n[0] <= 0) {
            DpopClient.Capability c = pool.poll();
            if (c == null) {
              inlineMints.incrementAndGet();
              c = client.mint();
            }
            cap[0] = c.token();
            n[0] = c.maxCalls();
          }
          n[0]--;
          return client.quote(cap[0]);
        };
    String[] labels = {
      "(a) GET jwks.json (baseline)", "(b) POST /token mint", "(c) GET /api/quote"
    };
    Load.Call[] calls = {jwks, mint, quote};
    List<List<Load.Result>> results = new ArrayList<>();
    for (int i = 0; i < calls.length; i++) {
      results.add(new ArrayList<>());
    }
    Load load = new Load(o.threads(), 1 << 20);
    for (int round = 0; round < o.rounds(); round++) {
      List<Integer> order = new ArrayList<>(List.of(0, 1, 2));
      if (round % 2 == 1) {
        Collections.reverse(order);
      }
      for (int v : order) {
        client.reset();
        if (v == 2) {
          premint(client, pool, o.pool(), o.threads());
        }
        double warm = round == 0 ? o.warmup() : 1;
        Load.Result r = load.run(labels[v], calls[v], warm, o.measure());
        results.get(v).add(r);
        out.printf(
            Locale.ROOT,
            "  round %d %-30s %,9.0f calls/s  p50 %6.3f ms  p99 %7.3f ms  errors %d%s%n",
            round + 1,
            labels[v],
            r.callsPerSecond(),
            r.p50Nanos() / 1e6,
            r.p99Nanos() / 1e6,
            r.errors(),
            r.firstError() == null ? "" : " (" + r.firstError() + ")");
      }
    }
    out.println();
    out.printf(
        Locale.ROOT,
        "Part 1 - the provider process, %d threads, medians of %d rounds%n",
        o.threads(),
        o.rounds());
    out.printf(
        Locale.ROOT,
        "%-30s %12s %10s %10s %10s%n",
        "variant",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "x base");
    double baseRate = median(results.get(0), Load.Result::callsPerSecond);
    for (int v = 0; v < calls.length; v++) {
      double rate = median(results.get(v), Load.Result::callsPerSecond);
      out.printf(
          Locale.ROOT,
          "%-30s %,12.0f %10.3f %10.3f %10.2f%n",
          labels[v],
          rate,
          median(results.get(v), r -> r.p50Nanos() / 1e6),
          median(results.get(v), r -> r.p99Nanos() / 1e6),
          rate / baseRate);
    }
    out.printf(
        Locale.ROOT,
        "quotes drew on capabilities minted before each phase (50 calls each); %d inline mints%n",
        inlineMints.get());
    long[] sign = new long[2000];
    for (int i = 0; i < sign.length; i++) {
      long t0 = System.nanoTime();
      client.proof("GET", "http://127.0.0.1/api/quote", "x.y.z");
      sign[i] = System.nanoTime() - t0;
    }
    Arrays.sort(sign);
    out.printf(
        Locale.ROOT,
        "the client's own proof (JDK Ed25519) inside every (b) and (c) call: p50 %.3f ms%n",
        Load.percentile(sign, 0.5) / 1e6);
  }

  private static void premint(
      DpopClient client, ConcurrentLinkedQueue<DpopClient.Capability> pool, int n, int threads)
      throws Exception {
    pool.clear();
    List<Thread> workers = new ArrayList<>();
    AtomicLong failed = new AtomicLong();
    for (int t = 0; t < threads; t++) {
      Thread w =
          new Thread(
              () -> {
                while (pool.size() < n && failed.get() < 10) {
                  try {
                    pool.add(client.mint());
                  } catch (Exception e) {
                    failed.incrementAndGet();
                  }
                }
              });
      w.start();
      workers.add(w);
    }
    for (Thread w : workers) {
      w.join();
    }
  }

  // ------------------------------------------------------------------ part 2: the agent

  private static void agentPart(
      PrintStream out, Options o, Path home, Path dir, String base, DpopClient client)
      throws Exception {
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.bench-provider-quote:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    f.putObject("configurations")
        .putObject("dev.briefcase.connector.provider~demo")
        .put("connector.id", "provider-demo")
        .put("provider.id", "demo");
    Path feature = Files.writeString(dir.resolve("provider-quote.json"), f.toString());
    try (Distribution agent =
        new Distribution(home, dir.resolve("agent"))
            .startArgs("--feature", "connectors", "--feature", feature.toString())) {
      agent.start(Duration.ofSeconds(120));
      expect(agent.post("/v1/providers", "{\"id\":\"demo\",\"base_url\":\"" + base + "\"}"), 201);
      expect(
          agent.post(
              "/v1/tools/quote/manifest",
              "{\"runtime\":\"connector\",\"egress\":{\"allowed_hosts\":[\"127.0.0.1\"],"
                  + "\"allowed_http_path_prefixes\":[\"/api/quote\"]}}"),
          200);
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      HttpRequest echo = toolCall(agent, "echo", "{\"text\":\"hi\"}");
      HttpRequest quote = toolCall(agent, "quote", "{\"symbol\":\"ABC\"}");
      HttpRequest drop =
          HttpRequest.newBuilder(URI.create(agent.baseUrl() + "/v1/revocations/capability/demo"))
              .header("Authorization", "Bearer " + agent.token())
              .timeout(Duration.ofSeconds(10))
              .POST(HttpRequest.BodyPublishers.noBody())
              .build();
      awaitOk(() -> ok(http, quote), "a quote through the agent");
      DpopClient.Capability[] direct = {client.mint()};
      int[] directLeft = {direct[0].maxCalls()};
      String[] labels = {
        "(d) agent echo (pipeline floor)",
        "(e) agent quote, cached capability",
        "(f) agent quote, fresh mint",
        "(g) direct quote (bench client)"
      };
      Load.Call[] calls = {
        () -> ok(http, echo),
        () -> ok(http, quote),
        () -> ok(http, quote),
        () -> {
          if (directLeft[0]-- <= 0) {
            direct[0] = client.mint();
            directLeft[0] = direct[0].maxCalls() - 1;
          }
          return client.quote(direct[0].token());
        }
      };
      long[][] samples = new long[calls.length][o.agentCalls()];
      Random rnd = new Random(42);
      List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
      for (int i = -o.agentWarmup(); i < o.agentCalls(); i++) {
        Collections.shuffle(order, rnd);
        for (int v : order) {
          if (v == 2) {
            HttpResponse<String> d = http.send(drop, HttpResponse.BodyHandlers.ofString());
            if (d.statusCode() != 200) {
              throw new IOException("drop: HTTP " + d.statusCode());
            }
          }
          long t0 = System.nanoTime();
          if (!calls[v].run()) {
            throw new IOException(labels[v] + " failed");
          }
          long d = System.nanoTime() - t0;
          if (i >= 0) {
            samples[v][i] = d;
          }
        }
      }
      out.println();
      out.printf(
          Locale.ROOT,
          "Part 2 - the agent's quote (POST /v1/tools/call), one thread, %d calls per variant"
              + " after %d warm-up, interleaved%n",
          o.agentCalls(),
          o.agentWarmup());
      out.printf(Locale.ROOT, "%-38s %10s %10s %12s%n", "variant", "p50 ms", "p99 ms", "p50 x (d)");
      double[] p50 = new double[calls.length];
      for (int v = 0; v < calls.length; v++) {
        Arrays.sort(samples[v]);
        p50[v] = Load.percentile(samples[v], 0.5) / 1e6;
        out.printf(
            Locale.ROOT,
            "%-38s %10.3f %10.3f %12.2f%n",
            labels[v],
            p50[v],
            Load.percentile(samples[v], 0.99) / 1e6,
            p50[v] / p50[0]);
      }
      out.printf(
          Locale.ROOT,
          "fresh mint vs. cached: %+.3f ms p50 (%.2fx); cached quote vs. echo: %+.3f ms p50%n",
          p50[2] - p50[1],
          p50[2] / p50[1],
          p50[1] - p50[0]);
      out.println(
          "(e) mints once every max_calls (50) calls inside the measured calls; p50 is the cached"
              + " path");
    }
  }

  private static HttpRequest toolCall(Distribution d, String tool, String args) {
    return HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/tools/call"))
        .header("Authorization", "Bearer " + d.token())
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(10))
        .POST(
            HttpRequest.BodyPublishers.ofString(
                "{\"call\":{\"tool_id\":\"" + tool + "\",\"args\":" + args + "}}"))
        .build();
  }

  private static boolean ok(HttpClient http, HttpRequest request) throws Exception {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 || !r.body().contains(OK)) {
      throw new IllegalStateException(
          "HTTP " + r.statusCode() + " " + r.body().substring(0, Math.min(300, r.body().length())));
    }
    return true;
  }

  private static void expect(Distribution.Answer a, int status) throws IOException {
    if (a.status() != status) {
      throw new IOException("HTTP " + a.status() + " " + a.body());
    }
  }

  private static void awaitOk(Load.Call call, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        if (call.run()) {
          return;
        }
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IOException(what + " never succeeded: " + e.getMessage(), e);
        }
      }
      Thread.sleep(200);
    }
  }

  private static double median(List<Load.Result> rs, ToDoubleFunction<Load.Result> f) {
    double[] v = rs.stream().mapToDouble(f).sorted().toArray();
    return v.length == 0 ? Double.NaN : v[v.length / 2];
  }

  private static Path locate(String hint) {
    for (String candidate :
        hint != null
            ? new String[] {hint}
            : new String[] {"runtime/target/briefcase", "../runtime/target/briefcase"}) {
      Path p = Path.of(candidate).toAbsolutePath().normalize();
      if (Files.isRegularFile(p.resolve("bin/briefcase"))) {
        return p;
      }
    }
    return null;
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is not worth failing the report for
    }
  }
}
