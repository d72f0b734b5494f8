package dev.briefcase.bench.payments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.bench.Load;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.X402Chain;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Paid calls end to end on a local chain (SPEC §14): what paying costs an agent's call, measured
 * against the same call unpaid, in one run.
 *
 * <p>Processes: {@link X402Chain} (anvil, the EIP-3009 token, the facilitator on {@code
 * @x402/evm}); two reference providers of the built distribution ({@code --feature provider}), one
 * priced (x402 offer on the chain's network and token, {@code payTo} and facilitator from the
 * chain) and one free, both with {@code max.calls} 1 so that every quote needs a fresh mint; an
 * agent Briefcase ({@code --feature connectors}, a provider connector for each, the x402 rail on
 * the chain's network and token) whose rails pay through {@code bin/briefcase-pay}
 * ({@code BRIEFCASE_PAYMENT_HELPER}, a key store holding the chain's payer key).
 *
 * <p>Variants, through {@code POST /v1/tools/call} of the agent, T closed-loop threads: (a) {@code
 * free_quote}, a free mint and the quote; (b) {@code paid_quote}: the mint answers 402, the kernel
 * gates and receipts the payment, the helper signs EIP-3009 in its own JVM, the mint is sent again
 * with {@code PAYMENT-SIGNATURE}, the provider verifies and settles through the facilitator on
 * anvil, then the quote. Both mint on every call, so (b) − (a) is the cost of paying. Rounds
 * alternate the order; medians. Then the helper alone (spawn, one {@code x402_v2} request, exit)
 * and the on-chain check: token transfers from the payer == paid calls answered ok.
 */
public final class PaymentBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OK = "\"status\":\"ok\"";
  private static final String PASSPHRASE = "payment bench passphrase, test only";

  record Options(
      int threads,
      double warmup,
      double measure,
      int rounds,
      int helperRuns,
      String dist,
      boolean keep) {
    static Options parse(String[] args) {
      int threads = 1;
      double warmup = 8;
      double measure = 20;
      int rounds = 3;
      int helperRuns = 10;
      String dist = null;
      boolean keep = false;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--threads" -> threads = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Double.parseDouble(args[++i]);
          case "--measure" -> measure = Double.parseDouble(args[++i]);
          case "--rounds" -> rounds = Integer.parseInt(args[++i]);
          case "--helper-runs" -> helperRuns = Integer.parseInt(args[++i]);
          case "--dist" -> dist = args[++i];
          case "--keep" -> keep = true;
          case "--quick" -> {
            warmup = 3;
            measure = 8;
            rounds = 1;
            helperRuns = 3;
          }
          default ->
              throw new IllegalArgumentException(
                  "unknown option "
                      + args[i]
                      + " (--threads N --warmup S --measure S --rounds N --helper-runs N"
                      + " --dist DIR --keep --quick)");
        }
      }
      return new Options(threads, warmup, measure, rounds, helperRuns, dist, keep);
    }
  }

  private PaymentBench() {}

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
        "payment bench: %d thread(s), %.0f s warm-up, %.0f s measured, %d rounds; load average"
            + " %s%n",
        o.threads(),
        o.warmup(),
        o.measure(),
        o.rounds(),
        loadAverage());
    Path dir = Files.createTempDirectory("briefcase-payment-bench-");
    try (X402Chain chain = X402Chain.start(dir.resolve("chain"))) {
      run(out, o, home, dir, chain);
    } finally {
      if (o.keep()) {
        out.println("kept " + dir);
      } else {
        deleteTree(dir);
      }
    }
    out.printf(Locale.ROOT, "load average at end: %s%n", loadAverage());
  }

  private static void run(PrintStream out, Options o, Path home, Path dir, X402Chain chain)
      throws Exception {
    X402Chain.Account payer = chain.payer();
    String amount = chain.amount().toString();
    out.printf(
        Locale.ROOT,
        "chain %s, token %s, price %s atomic units (6 decimals), payer %s%n",
        chain.network(),
        chain.token(),
        amount,
        payer.address());
    Path helperConfig = helper(home, dir.resolve("helper"), chain, payer);
    Path inCallTimes = dir.resolve("helper/in-call-times.txt");
    Path providerFeature = providerFeature(home, dir, chain);
    int paidPort = freePort();
    int freePort = freePort();
    String paidBase = "http://127.0.0.1:" + paidPort;
    String freeBase = "http://127.0.0.1:" + freePort;
    try (Distribution paid =
            provider(home, dir.resolve("provider-paid"), providerFeature, paidPort)
                .env("BRIEFCASE_PROVIDER_PRICE_MICROUSD", amount)
                .env("BRIEFCASE_PROVIDER_X402_PAY_TO", chain.payTo().address())
                .env("BRIEFCASE_PROVIDER_X402_FACILITATOR_URL", chain.facilitatorUrl());
        Distribution free =
            provider(home, dir.resolve("provider-free"), providerFeature, freePort)
                .env("BRIEFCASE_PROVIDER_PRICE_MICROUSD", "0");
        Distribution agent =
            new Distribution(home, dir.resolve("agent"))
                .startArgs(
                    "--feature", "connectors", "--feature", agentFeature(dir, chain).toString())
                .env(
                    "BRIEFCASE_PAYMENT_HELPER",
                    helperCommand(
                        home, helperConfig, dir.resolve("helper/pass.txt"), inCallTimes))) {
      paid.start(Duration.ofSeconds(180));
      free.start(Duration.ofSeconds(180));
      agent.start(Duration.ofSeconds(180));
      agent.awaitCredentialService(Duration.ofSeconds(60));
      register(agent, "paid", paidBase);
      register(agent, "free", freeBase);
      // the paid calls spend from the call's budget category; a bench must not run into the
      // daily limit (read: 3,000,000 µUSD by default)
      for (String category : List.of("read", "write")) {
        expect(agent.post("/v1/budgets/" + category, "{\"daily_limit_microusd\":1000000000000}"));
      }
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      HttpRequest freeQuote = toolCall(agent, "free_quote");
      HttpRequest paidQuote = toolCall(agent, "paid_quote");
      AtomicLong paidOk = new AtomicLong();
      AtomicLong paidFailed = new AtomicLong();
      Load.Call freeCall = () -> ok(http, freeQuote);
      Load.Call paidCall =
          () -> {
            try {
              ok(http, paidQuote);
              paidOk.incrementAndGet();
              return true;
            } catch (Exception e) {
              paidFailed.incrementAndGet();
              throw e;
            }
          };
      first(freeCall, "a free quote through the agent");
      first(paidCall, "a paid quote through the agent");
      out.printf(
          Locale.ROOT,
          "first paid call ok; transfers from the payer so far: %d%n",
          chain.transferCount(payer.address()));

      String[] labels = {"(a) unpaid quote (free mint)", "(b) paid quote (x402 mint)"};
      Load.Call[] calls = {freeCall, paidCall};
      List<List<Load.Result>> results = List.of(new ArrayList<>(), new ArrayList<>());
      Load load = new Load(o.threads(), 1 << 16);
      for (int round = 0; round < o.rounds(); round++) {
        int[] order = round % 2 == 0 ? new int[] {0, 1} : new int[] {1, 0};
        for (int v : order) {
          double warm = round == 0 ? o.warmup() : 1;
          Load.Result r = load.run(labels[v], calls[v], warm, o.measure());
          results.get(v).add(r);
          out.printf(
              Locale.ROOT,
              "  round %d %-30s %8.2f calls/s  p50 %8.1f ms  p99 %8.1f ms  calls %d  errors %d%s%n",
              round + 1,
              labels[v],
              r.callsPerSecond(),
              r.p50Nanos() / 1e6,
              r.p99Nanos() / 1e6,
              r.calls(),
              r.errors(),
              r.firstError() == null ? "" : " (" + r.firstError() + ")");
        }
      }
      Alone alone = helperAlone(home, helperConfig, dir, paidBase, o.helperRuns());
      long[] helperNanos = alone.helperNanos();
      long[] settleNanos = settleDirect(http, chain, alone);
      int transfers = chain.transferCount(payer.address());
      int used = chain.authorizationsUsed(payer.address());

      out.println();
      out.printf(
          Locale.ROOT,
          "Paid vs. unpaid quote through the agent (POST /v1/tools/call), %d thread(s), medians of"
              + " %d rounds; every call mints (max.calls 1 on both providers)%n",
          o.threads(),
          o.rounds());
      out.printf(
          Locale.ROOT,
          "%-32s %10s %10s %10s %12s%n",
          "variant",
          "calls/s",
          "p50 ms",
          "p99 ms",
          "x unpaid");
      double[] rate = new double[2];
      double[] p50 = new double[2];
      double[] p99 = new double[2];
      for (int v = 0; v < 2; v++) {
        rate[v] = median(results.get(v), Load.Result::callsPerSecond);
        p50[v] = median(results.get(v), r -> r.p50Nanos() / 1e6);
        p99[v] = median(results.get(v), r -> r.p99Nanos() / 1e6);
      }
      for (int v = 0; v < 2; v++) {
        out.printf(
            Locale.ROOT,
            "%-32s %10.2f %10.1f %10.1f %12.2f%n",
            labels[v],
            rate[v],
            p50[v],
            p99[v],
            rate[v] / rate[0]);
      }
      Arrays.sort(helperNanos);
      double helperP50 = Load.percentile(helperNanos, 0.5) / 1e6;
      out.printf(
          Locale.ROOT,
          "%-32s %10.2f %10.1f %10s %12s%n",
          "(c) bin/briefcase-pay alone",
          helperNanos.length == 0 ? Double.NaN : 1000 / helperP50,
          helperP50,
          String.format(Locale.ROOT, "max %.1f", helperNanos[helperNanos.length - 1] / 1e6),
          "");
      long[] inCall = inCallNanos(inCallTimes);
      Arrays.sort(inCall);
      double inCallP50 = Load.percentile(inCall, 0.5) / 1e6;
      out.printf(
          Locale.ROOT,
          "%-32s %10s %10.1f %10.1f %12s%n",
          "(b') the helper inside (b)",
          "",
          inCallP50,
          Load.percentile(inCall, 0.99) / 1e6,
          "n " + inCall.length);
      Arrays.sort(settleNanos);
      double settleP50 = Load.percentile(settleNanos, 0.5) / 1e6;
      out.printf(
          Locale.ROOT,
          "%-32s %10.2f %10.1f %10s %12s%n",
          "(d) facilitator verify + settle",
          1000 / settleP50,
          settleP50,
          String.format(Locale.ROOT, "max %.1f", settleNanos[settleNanos.length - 1] / 1e6),
          "");
      double added = p50[1] - p50[0];
      double rest = added - inCallP50 - settleP50;
      out.printf(
          Locale.ROOT,
          "paying adds %+.1f ms p50 (%+.1f ms p99), %.2fx the unpaid call: the helper process"
              + " inside the call %.1f ms (%.0f%%; alone %.1f ms), the facilitator's verify +"
              + " settle %.1f ms (%.0f%%), the rest %+.1f ms (%.0f%%) is the kernel's own (budget"
              + " gate, idempotency key, payment receipt), the rail's checks, the 402 round trip"
              + " and the provider's checks%n",
          added,
          p99[1] - p99[0],
          p50[1] / p50[0],
          inCallP50,
          100 * inCallP50 / added,
          helperP50,
          settleP50,
          100 * settleP50 / added,
          rest,
          100 * rest / added);
      out.printf(
          Locale.ROOT,
          "on chain: %d token transfers and %d EIP-3009 authorizations used by the payer; %d paid"
              + " calls answered ok (%d failed) + %d settled directly -> %s%n",
          transfers,
          used,
          paidOk.get(),
          paidFailed.get(),
          settleNanos.length,
          transfers == paidOk.get() + settleNanos.length
              ? "transfers == paid calls + direct settlements"
              : "MISMATCH");
    }
  }

  // ------------------------------------------------------------------ set-up

  /** The helper's key store (scrypt + AES-GCM) with the chain's payer key, limits on the chain. */
  private static Path helper(Path home, Path dir, X402Chain chain, X402Chain.Account payer)
      throws Exception {
    Files.createDirectories(dir);
    Path pass = Files.writeString(dir.resolve("pass.txt"), PASSPHRASE + "\n");
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("key_store", dir.resolve("wallet.json").toString());
    cfg.put("journal", dir.resolve("journal").toString());
    ObjectNode limits = cfg.putObject("limits");
    limits.putArray("networks").add(chain.network());
    limits
        .putArray("assets")
        .addObject()
        .put("network", chain.network())
        .put("address", chain.token())
        .put("max_atomic", chain.amount().toString());
    Path config = Files.write(dir.resolve("pay.json"), JSON.writeValueAsBytes(cfg));
    Path key = Files.writeString(dir.resolve("key.hex"), payer.privateKey() + "\n");
    try {
      payHelper(home, config, pass, null, "init");
      String address =
          payHelper(home, config, pass, null, "import-evm-key", "--key-file", key.toString());
      if (!address.strip().equalsIgnoreCase(payer.address())) {
        throw new IOException("the key store holds " + address.strip() + ", not the payer");
      }
    } finally {
      Files.delete(key);
    }
    return config;
  }

  /**
   * The helper as the rails run it, behind a shell wrapper that appends the helper's start and end
   * (ns) to {@code times}: the helper's share of each paid call, measured inside that call.
   */
  private static String helperCommand(Path home, Path config, Path pass, Path times)
      throws IOException {
    Path wrapper =
        Files.writeString(
            config.resolveSibling("timed-helper.sh"),
            "#!/bin/sh\n"
                + "s=$(date +%s%N)\n"
                + "\"$@\"\n"
                + "rc=$?\n"
                + "echo \"$s $(date +%s%N)\" >> "
                + quote(times.toString())
                + "\n"
                + "exit $rc\n");
    return "/bin/sh "
        + quote(wrapper.toString())
        + " "
        + quote(home.resolve("bin/briefcase-pay").toString())
        + " --config "
        + quote(config.toString())
        + " --passphrase-file "
        + quote(pass.toString());
  }

  private static long[] inCallNanos(Path times) throws IOException {
    if (!Files.exists(times)) {
      return new long[] {0};
    }
    return Files.readAllLines(times).stream()
        .map(String::strip)
        .filter(l -> l.matches("\\d+ \\d+"))
        .mapToLong(l -> Long.parseLong(l.split(" ")[1]) - Long.parseLong(l.split(" ")[0]))
        .toArray();
  }

  private static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /** Runs {@code bin/briefcase-pay --config … --passphrase-file … args}; stdout on exit 0. */
  private static String payHelper(Path home, Path config, Path pass, byte[] stdin, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(home.resolve("bin/briefcase-pay").toString());
    cmd.addAll(List.of("--config", config.toString(), "--passphrase-file", pass.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin);
    }
    p.getOutputStream().close();
    byte[] stdout = p.getInputStream().readAllBytes();
    p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("briefcase-pay " + String.join(" ", args) + " did not finish");
    }
    String text = new String(stdout, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      // stdout of a failed run is {"error","message"} without secrets; stderr is not shown
      throw new IOException("briefcase-pay " + String.join(" ", args) + ": " + text.strip());
    }
    return text;
  }

  /**
   * A feature replacing the provider gateway's configuration (later features replace a PID as a
   * whole): the shipped one with the chain's network, token and EIP-712 domain name, and one call
   * per capability.
   */
  private static Path providerFeature(Path home, Path dir, X402Chain chain) throws IOException {
    Path shipped = home.resolve("features/provider.json");
    if (!Files.isRegularFile(shipped)) {
      shipped = Path.of("features/provider.json");
    }
    JsonNode provider = JSON.readTree(shipped.toFile());
    ObjectNode gateway =
        (ObjectNode)
            provider.path("configurations").path("dev.briefcase.provider.gateway").deepCopy();
    gateway.put("max.calls:Integer", 1);
    gateway.put("x402.network", chain.network());
    gateway.put("x402.asset", chain.token());
    gateway.put("x402.amount", chain.amount().toString());
    gateway.put("x402.name", "USD Coin");
    gateway.put("x402.version", "2");
    // every call is a fresh mint with a fresh proof; size the replay cache for the run
    gateway.put("dpop.replay.capacity:Integer", 100_000);
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.bench-payment-provider:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    f.putObject("configurations").set("dev.briefcase.provider.gateway", gateway);
    return Files.writeString(dir.resolve("payment-provider.json"), f.toString());
  }

  private static Distribution provider(Path home, Path dataDir, Path feature, int port)
      throws IOException {
    return new Distribution(home, dataDir)
        .startArgs("--feature", "provider", "--feature", feature.toString())
        .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
        .env("BRIEFCASE_PROVIDER_BASE_URL", "http://127.0.0.1:" + port);
  }

  /** The two provider connectors and the x402 rail on the chain's network and token. */
  private static Path agentFeature(Path dir, X402Chain chain) throws IOException {
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.bench-payment-agent:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    ObjectNode configs = f.putObject("configurations");
    for (String id : List.of("paid", "free")) {
      configs
          .putObject("dev.briefcase.connector.provider~" + id)
          .put("connector.id", "provider-" + id)
          .put("provider.id", id)
          .put("tool.prefix", id + "_");
    }
    ObjectNode rail = configs.putObject("dev.briefcase.rail.x402");
    rail.put("helper_timeout_ms:Long", 30000);
    rail.putArray("networks:String[]").add(chain.network());
    rail.putArray("assets:String[]").add(chain.network() + "/" + chain.token() + ":6");
    rail.put("max_amount_microusd:Long", 1_000_000);
    return Files.writeString(dir.resolve("payment-agent.json"), f.toString());
  }

  private static void register(Distribution agent, String id, String base) throws Exception {
    expect(agent.post("/v1/providers", "{\"id\":\"" + id + "\",\"base_url\":\"" + base + "\"}"));
    expect(
        agent.post(
            "/v1/tools/" + id + "_quote/manifest",
            "{\"runtime\":\"connector\",\"egress\":{\"allowed_hosts\":[\"127.0.0.1\"],"
                + "\"allowed_http_path_prefixes\":[\"/api/quote\"]}}"));
  }

  // ------------------------------------------------------------------ the helper alone

  /**
   * Spawns the helper {@code runs} times with one {@code x402_v2} request for the paid provider's
   * real 402 (a fresh idempotency key each): JVM start, key store unlock (scrypt), policy, EIP-3009
   * signature, journal fsync. Nothing is sent to the provider, so nothing settles.
   */
  private static Alone helperAlone(Path home, Path config, Path dir, String base, int runs)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> challenge =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/token"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String required = challenge.headers().firstValue("payment-required").orElse(null);
    if (challenge.statusCode() != 402 || required == null) {
      throw new IOException("the paid provider's mint did not answer 402 with PAYMENT-REQUIRED");
    }
    JsonNode accepted = JSON.readTree(Base64.getDecoder().decode(required)).path("accepts").get(0);
    long[] nanos = new long[runs];
    List<String> signatures = new ArrayList<>();
    Path pass = dir.resolve("helper/pass.txt");
    for (int i = 0; i < runs; i++) {
      ObjectNode request = JSON.createObjectNode();
      request.put("rail", "x402_v2").put("provider_base_url", base);
      request.put("payment_required", required).set("accepted", accepted);
      request.put("max_amount", accepted.path("amount").asText());
      request.put("idempotency_key", "bench-helper-alone-" + System.nanoTime());
      byte[] body = JSON.writeValueAsBytes(request);
      long t0 = System.nanoTime();
      String answer = payHelper(home, config, pass, body);
      nanos[i] = System.nanoTime() - t0;
      JsonNode signature = JSON.readTree(answer).path("payment_signature_b64");
      if (!signature.isTextual()) {
        throw new IOException("the helper's answer has no payment_signature_b64");
      }
      signatures.add(signature.asText());
    }
    return new Alone(nanos, accepted, signatures);
  }

  /** The helper's runs: wall times, the offer, the signatures it made (secret, never printed). */
  private record Alone(long[] helperNanos, JsonNode accepted, List<String> signatures) {}

  /**
   * The provider's settlement step alone: each signature of {@link #helperAlone} sent to the
   * facilitator as the provider sends it ({@code /verify}, then {@code /settle} with {@code
   * {x402Version, paymentPayload, paymentRequirements}}); each settles on anvil once.
   */
  private static long[] settleDirect(HttpClient http, X402Chain chain, Alone alone)
      throws Exception {
    long[] nanos = new long[alone.signatures().size()];
    for (int i = 0; i < nanos.length; i++) {
      ObjectNode body = JSON.createObjectNode();
      body.put("x402Version", 2);
      body.set(
          "paymentPayload", JSON.readTree(Base64.getDecoder().decode(alone.signatures().get(i))));
      body.set("paymentRequirements", alone.accepted());
      byte[] bytes = JSON.writeValueAsBytes(body);
      long t0 = System.nanoTime();
      for (String step : List.of("/verify", "/settle")) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(chain.facilitatorUrl() + step))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode answer = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        boolean good =
            answer != null
                && (step.equals("/verify")
                    ? answer.path("isValid").asBoolean()
                    : answer.path("success").asBoolean());
        if (!good) {
          throw new IOException("facilitator " + step + ": HTTP " + r.statusCode());
        }
      }
      nanos[i] = System.nanoTime() - t0;
    }
    return nanos;
  }

  // ------------------------------------------------------------------ helpers

  private static HttpRequest toolCall(Distribution d, String tool) {
    return HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/tools/call"))
        .header("Authorization", "Bearer " + d.token())
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(60))
        .POST(
            HttpRequest.BodyPublishers.ofString(
                "{\"call\":{\"tool_id\":\"" + tool + "\",\"args\":{\"symbol\":\"ABC\"}}}"))
        .build();
  }

  private static boolean ok(HttpClient http, HttpRequest request) throws Exception {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 || !r.body().contains(OK)) {
      throw new IllegalStateException(
          "HTTP " + r.statusCode() + " " + r.body().substring(0, Math.min(400, r.body().length())));
    }
    return true;
  }

  /** The first call of a variant, retried while the agent's plugins settle; its error shown. */
  private static void first(Load.Call call, String what) throws Exception {
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
        // shown, not hidden: a first call that fails is a finding (the answer holds no secret)
        System.out.println("  " + what + " failed, retrying: " + e.getMessage());
      }
      Thread.sleep(500);
    }
  }

  private static void expect(Distribution.Answer a) throws IOException {
    if (a.status() / 100 != 2) {
      throw new IOException("HTTP " + a.status() + " " + a.body());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
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
