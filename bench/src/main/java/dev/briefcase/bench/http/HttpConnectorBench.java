package dev.briefcase.bench.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.bench.PipelineBench;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.connector.http.internal.HttpConnector;
import dev.briefcase.credential.secrets.internal.ApiKeyStrategy;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.egress.internal.HttpEgressClient;
import dev.briefcase.kernel.internal.KernelTestHook;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.internal.OAuthTestKeys;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.receipts.internal.SqliteReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.store.Durability;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.Configs;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolManifest;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.ComponentServiceObjects;

/**
 * Issue 13: the latency a connector-http call adds when the kernel attaches a credential, against
 * the same GET sent directly, in one JVM run. One thread calls every variant once per iteration in
 * a shuffled order, so all of them see the same machine load; a few thousand calls each after a
 * warm-up; p50/p99 per variant and the differences. Variants: the GET sent directly with the JDK
 * {@code HttpClient} (keep-alive), on a plain keep-alive socket, and over a fresh connection per
 * request (what egress does); the connector alone; a whole tool call through the kernel pipeline
 * without a credential, with an {@code api_key} from the memory secret store, and with a cached
 * DPoP-bound token plus a fresh proof from the key directory (software P-256); and the pieces of
 * the credential step alone (api_key header, DPoP proof, the key directory's signature, the
 * software signer's signature). Nothing is asserted; no credential value is printed.
 */
public final class HttpConnectorBench {
  static final double TARGET_ADDED_P50_MICROS = 300;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ITEM_PATH = "/items/42";

  /** One variant: its label and one call, which answers whether the call did what it should. */
  record Variant(String label, Call call) {}

  /** One call of a variant. */
  interface Call {
    boolean run() throws Exception;
  }

  /** Command-line settings. */
  record Options(int calls, int warmup, String durability, Path dir) {
    static Options parse(String[] args) {
      int calls = 5_000;
      int warmup = 3_000;
      String durability = "full";
      Path dir = Path.of(System.getProperty("java.io.tmpdir"));
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--quick" -> {
            calls = 1_000;
            warmup = 500;
          }
          case "--calls" -> calls = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Integer.parseInt(args[++i]);
          case "--durability" -> durability = args[++i];
          case "--dir" -> dir = Path.of(args[++i]);
          default -> {
            usage(System.err);
            System.exit(2);
          }
        }
      }
      if (calls < 100 || calls > 200_000 || warmup < 0 || warmup > 200_000) {
        throw new IllegalArgumentException("--calls 100..200000, --warmup 0..200000");
      }
      if (!List.of("full", "process").contains(durability)) {
        throw new IllegalArgumentException("--durability full|process");
      }
      return new Options(calls, warmup, durability, dir);
    }

    static void usage(PrintStream out) {
      out.println(
          "usage: HttpConnectorBench [--quick] [--calls N] [--warmup N]"
              + " [--durability full|process] [--dir TMPDIR]\n"
              + "  defaults: 5000 measured calls per variant after 3000 warm-up calls each;"
              + " --quick: 1000 after 500");
    }
  }

  private HttpConnectorBench() {}

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    // the upstream is a JDK HttpServer: without this it delays ACKs of keep-alive answers (Nagle)
    System.setProperty("sun.net.httpserver.nodelay", "true");
    Path base = Files.createTempDirectory(o.dir(), "briefcase-http-bench-");
    PrintStream out = System.out;
    out.printf(
        Locale.ROOT,
        "http connector bench: %,d calls per variant after %,d warm-up calls, one thread, receipts"
            + " durability %s, load average %s%n",
        o.calls(),
        o.warmup(),
        o.durability(),
        loadAverage());
    try {
      run(out, o, base);
    } finally {
      deleteTree(base);
    }
    out.printf(Locale.ROOT, "load average at end: %s%n", loadAverage());
  }

  private static void run(PrintStream out, Options o, Path dir) throws Exception {
    SqliteStore store = new SqliteStore(dir.resolve("briefcase.db"));
    SqliteReceiptLog receipts =
        o.durability().equals("process")
            ? new SqliteReceiptLog(
                store,
                SqliteReceiptLog.DEFAULT_MAX_BATCH,
                SqliteReceiptLog.DEFAULT_APPEND_TIMEOUT_MS,
                Durability.PROCESS)
            : new SqliteReceiptLog(
                store,
                SqliteReceiptLog.DEFAULT_MAX_BATCH,
                SqliteReceiptLog.DEFAULT_APPEND_TIMEOUT_MS);
    String apiKey = randomToken();
    String accessToken = randomToken();
    MemorySecretStore secrets = new MemorySecretStore(BundleContexts.withoutProperties());
    secrets.put("bench.key", Sensitive.of(apiKey.getBytes(StandardCharsets.UTF_8)));
    SoftwareSigner signer = new SoftwareSigner(secrets, BundleContexts.withoutProperties());
    KeyDirectory keys = OAuthTestKeys.create(store, receipts, signer);
    CredentialStrategy apiKeyStrategy = new ApiKeyStrategy(serviceObjects(secrets));
    CredentialStrategy dpopStrategy = new CachedDpopStrategy(keys, accessToken);
    // the same headers every time, signed once: the DPoP step without its per-request signature
    CredentialStrategy presigned = new PresignedStrategy(dpopStrategy);
    try (LoopbackUpstream upstream = new LoopbackUpstream(apiKey, accessToken)) {
      String[] policyName = new String[1];
      PolicyEngine policy = PipelineBench.policyEngine(store, policyName);
      HttpConnector connector =
          new HttpConnector(
              // no profile property: dev_loopback is allowed, as outside ga
              BundleContexts.withoutProperties(),
              new HttpEgressClient(Configs.defaults(HttpEgressClient.Config.class), null),
              Configs.of(
                  HttpConnector.Config.class,
                  Map.of(
                      "connector_id",
                      "bench-http",
                      "tools_file",
                      toolsFile(dir, upstream.base()).toString(),
                      "dev_loopback",
                      true)));
      List<ToolManifest> manifests =
          Stream.of("item_plain", "item_api_key", "item_dpop", "item_presigned")
              .map(HttpConnectorBench::manifest)
              .toList();
      ToolCallService pipeline =
          KernelTestHook.pipeline(
              store,
              receipts,
              policy,
              connector,
              "bench-http",
              Map.of(
                  CredentialNeed.API_KEY,
                  apiKeyStrategy,
                  CredentialNeed.OAUTH,
                  dpopStrategy,
                  PresignedStrategy.KIND,
                  presigned),
              manifests);
      out.println("policy engine: " + policyName[0]);
      out.println("upstream: JDK HttpServer on " + upstream.base() + " (TCP_NODELAY)");

      URI item = upstream.base().resolve(ITEM_PATH);
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest get = HttpRequest.newBuilder(item).GET().build();
      CredentialNeed keyNeed =
          new CredentialNeed(CredentialNeed.API_KEY, "bench.key", Map.of("header", "X-Api-Key"));
      CredentialNeed dpopNeed = new CredentialNeed(CredentialNeed.OAUTH, CachedDpopStrategy.SERVER);
      CallContext direct = new CallContext("bench", null, null, "bench");
      RawKeepAliveGet raw = new RawKeepAliveGet(upstream.base(), ITEM_PATH);
      byte[] signingInput = new byte[80];
      String dpopRole = KeyDirectory.DPOP_PREFIX + CachedDpopStrategy.SERVER;
      // the proof's key exists once the first DPoP call ran, hence its handle is looked up lazily
      KeyHandle[] dpopKey = new KeyHandle[1];
      List<Variant> variants =
          List.of(
              new Variant(
                  "direct GET, JDK HttpClient keep-alive",
                  () -> {
                    HttpResponse<byte[]> r =
                        client.send(get, HttpResponse.BodyHandlers.ofByteArray());
                    return r.statusCode() == 200 && r.body().length == LoopbackUpstream.BODY.length;
                  }),
              new Variant(
                  "direct GET, plain socket keep-alive",
                  () -> raw.get(LoopbackUpstream.BODY.length)),
              new Variant(
                  "direct GET, new connection per request",
                  () -> freshConnectionGet(upstream.base())),
              new Variant(
                  "connector alone (egress), no credential",
                  () -> {
                    ToolResult r =
                        connector.execute(
                            new ToolInvocation(
                                "item_plain", Map.of("id", "42"), manifests.get(0), direct));
                    return JSON.valueToTree(r.content()).path("status").asInt() == 200;
                  }),
              new Variant("pipeline, tool without credential", () -> call(pipeline, "item_plain")),
              new Variant(
                  "pipeline, api_key (memory secret store)", () -> call(pipeline, "item_api_key")),
              new Variant("pipeline, cached DPoP token + proof", () -> call(pipeline, "item_dpop")),
              new Variant(
                  "pipeline, same DPoP headers, signed once",
                  () -> call(pipeline, "item_presigned")),
              new Variant(
                  "api_key authorize alone",
                  () -> apiKeyStrategy.authorize(keyNeed, "GET", item).headers().size() == 1),
              new Variant(
                  "DPoP authorize alone (proof, software P-256)",
                  () -> dpopStrategy.authorize(dpopNeed, "GET", item).headers().size() == 2),
              new Variant(
                  "software Signer.sign alone (P-256)",
                  () -> {
                    if (dpopKey[0] == null) {
                      dpopKey[0] = keys.get(dpopRole).orElseThrow().handle();
                    }
                    return signer.sign(dpopKey[0], signingInput).length > 0;
                  }),
              new Variant(
                  "key directory sign alone (software P-256)",
                  () -> keys.sign(dpopRole, signingInput).length > 0));
      // one call each first, so a wiring mistake fails before the warm-up
      for (Variant v : variants) {
        if (!v.call().run()) {
          throw new IllegalStateException("first call failed: " + v.label());
        }
      }
      long keyBefore = upstream.withApiKey.sum();
      long dpopBefore = upstream.withDpop.sum();
      long[][] nanos = measure(variants, o.warmup(), o.calls());
      report(out, variants, nanos);
      long rounds = o.warmup() + o.calls();
      out.printf(
          Locale.ROOT,
          "%nupstream saw, after the first calls: %,d requests with the API key (expected %,d), %,d"
              + " with the DPoP token and a proof (expected %,d: signed per request and signed"
              + " once), %,d without a credential%n",
          upstream.withApiKey.sum() - keyBefore,
          rounds,
          upstream.withDpop.sum() - dpopBefore,
          2 * rounds,
          upstream.withNone.sum());
      raw.close();
      out.println(
          "DPoP signing per backend through the Signer alone: see SignBench (bench/README.md);"
              + " software P-256 is measured here through the key directory.");
    } finally {
      receipts.close();
      store.close();
    }
  }

  /**
   * Warm-up, then measured calls; every iteration calls each variant once, in a fresh random order,
   * so no variant always runs right after the same other one (a fixed rotation would hand each
   * variant the after-effects — GC, sockets in TIME_WAIT, caches — of one fixed predecessor).
   */
  private static long[][] measure(List<Variant> variants, int warmup, int calls) throws Exception {
    int n = variants.size();
    long[][] nanos = new long[n][calls];
    int[] order = new int[n];
    for (int j = 0; j < n; j++) {
      order[j] = j;
    }
    SplittableRandom random = new SplittableRandom(13);
    for (int i = 0; i < warmup + calls; i++) {
      for (int j = n - 1; j > 0; j--) {
        int k = random.nextInt(j + 1);
        int t = order[j];
        order[j] = order[k];
        order[k] = t;
      }
      for (int v : order) {
        long t0 = System.nanoTime();
        boolean ok = variants.get(v).call().run();
        long dt = System.nanoTime() - t0;
        if (!ok) {
          throw new IllegalStateException("call " + i + " failed: " + variants.get(v).label());
        }
        if (i >= warmup) {
          nanos[v][i - warmup] = dt;
        }
      }
    }
    return nanos;
  }

  private static boolean call(ToolCallService pipeline, String tool) {
    ToolCallOutcome r =
        pipeline.call(
            new ToolCallRequest(
                tool,
                JSON.createObjectNode().put("id", "42"),
                new CallContext(UUID.randomUUID().toString(), null, null, "bench"),
                null));
    if (r.status() != ToolCallOutcome.Status.OK) {
      throw new IllegalStateException(
          tool + ": " + r.status().wire() + " " + r.reason() + " " + r.message());
    }
    JsonNode content = r.content();
    return content.path("status").asInt() == 200
        && content.path("body").path("in_stock").asBoolean();
  }

  /**
   * The same GET over a new socket with {@code Connection: close}, as egress sends each request.
   */
  private static boolean freshConnectionGet(URI base) throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), base.getPort())) {
      s.setTcpNoDelay(true);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET "
                  + ITEM_PATH
                  + " HTTP/1.1\r\nHost: 127.0.0.1:"
                  + base.getPort()
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] answer = in.readAllBytes();
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      return text.startsWith("HTTP/1.1 200") && text.endsWith("true}");
    }
  }

  private static void report(PrintStream out, List<Variant> variants, long[][] nanos) {
    Map<String, double[]> byLabel = new LinkedHashMap<>();
    out.printf(Locale.ROOT, "%n%-46s %9s %9s %9s%n", "variant", "p50 ms", "p99 ms", "max ms");
    for (int v = 0; v < variants.size(); v++) {
      long[] s = nanos[v].clone();
      java.util.Arrays.sort(s);
      double p50 = millis(s[(int) (s.length * 0.50)]);
      double p99 = millis(s[Math.min(s.length - 1, (int) (s.length * 0.99))]);
      byLabel.put(variants.get(v).label(), new double[] {p50, p99});
      out.printf(
          Locale.ROOT,
          "%-46s %9.3f %9.3f %9.3f%n",
          variants.get(v).label(),
          p50,
          p99,
          millis(s[s.length - 1]));
    }
    List<double[]> rows = new ArrayList<>(byLabel.values());
    double[] keepAlive = rows.get(0);
    double[] rawKeepAlive = rows.get(1);
    double[] fresh = rows.get(2);
    double[] alone = rows.get(3);
    double[] plain = rows.get(4);
    double[] key = rows.get(5);
    double[] dpop = rows.get(6);
    double[] unsigned = rows.get(7);
    out.printf(
        Locale.ROOT,
        "%n%-62s %9s %9s%n",
        "added latency (difference of percentiles)",
        "p50 ms",
        "p99 ms");
    added(out, "pipeline + cached DPoP  vs. direct keep-alive (issue 13)", dpop, keepAlive);
    added(out, "pipeline + api_key      vs. direct keep-alive", key, keepAlive);
    added(out, "pipeline, no credential vs. direct keep-alive", plain, keepAlive);
    added(out, "pipeline + cached DPoP  vs. plain socket keep-alive", dpop, rawKeepAlive);
    added(out, "  JDK HttpClient vs. plain socket, both keep-alive", keepAlive, rawKeepAlive);
    added(out, "  new connection per request vs. plain socket keep-alive", fresh, rawKeepAlive);
    added(out, "  connector + egress vs. direct new connection", alone, fresh);
    added(out, "  kernel pipeline (no credential) vs. connector alone", plain, alone);
    added(out, "  credential step: api_key vs. no credential", key, plain);
    added(out, "  credential step: cached DPoP vs. no credential", dpop, plain);
    added(out, "    of which the per-request proof (vs. signed once)", dpop, unsigned);
    added(out, "    the rest: DPoP headers signed once vs. no credential", unsigned, plain);
    double dpopStep = dpop[0] - plain[0];
    double keyStep = key[0] - plain[0];
    out.printf(
        Locale.ROOT,
        "%ntarget <= +%.1f ms p50 for the credential (software key): api_key %+.3f ms, DPoP %+.3f"
            + " ms (credential step, pipeline with vs. without)%n",
        TARGET_ADDED_P50_MICROS / 1000,
        keyStep,
        dpopStep);
  }

  private static void added(PrintStream out, String label, double[] a, double[] b) {
    out.printf(Locale.ROOT, "%-62s %+9.3f %+9.3f%n", label, a[0] - b[0], a[1] - b[1]);
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static ToolManifest manifest(String toolId) {
    return new ToolManifest(
        toolId, "builtin", List.of("127.0.0.1"), List.of("/items/"), List.of(), 1 << 20);
  }

  private static Path toolsFile(Path dir, URI base) throws Exception {
    String schema =
        "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},"
            + "\"required\":[\"id\"],\"additionalProperties\":false}";
    String tool =
        "{\"id\":\"%s\",\"method\":\"GET\",\"path\":\"/items/{id}\",\"input_schema\":"
            + schema
            + ",\"credential\":%s}";
    String text =
        "{\"base_url\":\""
            + base
            + "\",\"tools\":["
            + String.format(Locale.ROOT, tool, "item_plain", "null")
            + ","
            + String.format(
                Locale.ROOT,
                tool,
                "item_api_key",
                "{\"strategy\":\"api_key\",\"reference\":\"bench.key\","
                    + "\"options\":{\"header\":\"X-Api-Key\"}}")
            + ","
            + String.format(
                Locale.ROOT,
                tool,
                "item_dpop",
                "{\"strategy\":\"oauth\",\"reference\":\"" + CachedDpopStrategy.SERVER + "\"}")
            + ","
            + String.format(
                Locale.ROOT,
                tool,
                "item_presigned",
                "{\"strategy\":\""
                    + PresignedStrategy.KIND
                    + "\",\"reference\":\""
                    + CachedDpopStrategy.SERVER
                    + "\"}")
            + "]}";
    return Files.writeString(dir.resolve("bench-tools.json"), text);
  }

  /** A random value standing in for an API key and an access token; never printed. */
  private static String randomToken() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The DS service objects the api_key strategy's public constructor takes, over one store. */
  private static ComponentServiceObjects<SecretStore> serviceObjects(SecretStore store) {
    return new ComponentServiceObjects<>() {
      @Override
      public SecretStore getService() {
        return store;
      }

      @Override
      public void ungetService(SecretStore service) {}

      @Override
      public ServiceReference<SecretStore> getServiceReference() {
        return null;
      }
    };
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "?";
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception e) {
      // a temporary directory left behind is not worth failing the report for
    }
  }
}
