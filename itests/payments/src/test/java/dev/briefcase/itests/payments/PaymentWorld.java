package dev.briefcase.itests.payments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import dev.briefcase.testing.X402Chain;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One chain, one provider process and one agent process: the chain of testing/fixtures ({@link
 * X402Chain}); the reference provider ({@code --feature provider}) pricing its mint with the
 * chain's network, token and amount, settling through the chain's facilitator, one quote per
 * capability (so every quote pays); the agent ({@code --feature connectors}) with the x402 rail
 * allowing the chain's network and token and {@code bin/briefcase-pay} holding the chain's payer
 * key, the provider added with {@code briefcase providers add} behind a {@link FaultProxy}.
 */
final class PaymentWorld implements AutoCloseable {
  static final String PROVIDER = "demo";
  static final String RAIL_BSN = "dev.briefcase.rail.x402";
  static final String EGRESS_PID = "dev.briefcase.egress";

  /**
   * The agent's egress overall timeout ceiling: short enough for scenario (e) to wait it out, long
   * enough that a paid mint on a loaded machine (settlement on anvil included) answers within it.
   */
  static final long EGRESS_TIMEOUT_MS = 8000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final Path work;
  final X402Chain chain;
  final FaultProxy proxy;
  final Distribution provider;
  final Distribution agent;

  /** The x402 rail plugin's bundle id on the agent. */
  long railBundle;

  /** What the operator and the helper's set-up printed (the canary looks at it). */
  final List<String> printed = new CopyOnWriteArrayList<>();

  private PaymentWorld(
      Path work, X402Chain chain, FaultProxy proxy, Distribution provider, Distribution agent) {
    this.work = work;
    this.chain = chain;
    this.proxy = proxy;
    this.provider = provider;
    this.agent = agent;
  }

  static PaymentWorld start() throws Exception {
    Path work = Files.createTempDirectory("briefcase-payments");
    X402Chain chain = X402Chain.start(work.resolve("chain"));
    FaultProxy proxy = null;
    Distribution provider = null;
    Distribution agent = null;
    try {
      int port = freePort();
      proxy = new FaultProxy("http://127.0.0.1:" + port);
      provider = startProvider(work, chain, proxy, port);
      String helper = helper(work, chain);
      agent =
          new Distribution(work.resolve("agent"))
              .startArgs("--feature", agentFeature(work, chain).toString())
              .env("BRIEFCASE_PAYMENT_HELPER", helper);
      PaymentWorld w = new PaymentWorld(work, chain, proxy, provider, agent);
      w.printed.add(Files.readString(work.resolve("helper-setup.out")));
      w.startAgent();
      Distribution.Answer rail =
          agent.postBytes("/v1/plugins", Files.readAllBytes(railJar()), "application/java-archive");
      if (rail.status() != 200) {
        throw new IOException("installing the x402 rail: " + rail.body());
      }
      w.railBundle = rail.json().path("bundle_id").asLong();
      Distribution.CliResult added =
          agent.cli("providers", "add", PROVIDER, proxy.base(), "--scope", "quote");
      w.printed.add(added.stdout() + added.stderr());
      if (added.exit() != 0) {
        throw new IOException("providers add: " + added.stderr());
      }
      Distribution.Answer m =
          agent.post(
              "/v1/tools/quote/manifest",
              "{\"runtime\":\"connector\",\"egress\":{\"allowed_hosts\":[\"127.0.0.1\"],"
                  + "\"allowed_http_path_prefixes\":[\"/api/quote\"]}}");
      if (m.status() != 200) {
        throw new IOException("quote manifest: " + m.body());
      }
      return w;
    } catch (Exception | Error e) {
      closeAll(agent, provider, proxy, chain);
      throw e;
    }
  }

  /** Starts (or restarts after a kill -9) the agent and waits for its credential service. */
  void startAgent() throws Exception {
    agent.start();
    agent.awaitCredentialService(Duration.ofSeconds(60));
  }

  private static Distribution startProvider(Path work, X402Chain chain, FaultProxy proxy, int port)
      throws Exception {
    JsonNode shipped =
        JSON.readTree(Distribution.home().resolve("features/provider.json").toFile());
    ObjectNode gateway =
        ((ObjectNode) shipped.path("configurations").path("dev.briefcase.provider.gateway"))
            .deepCopy();
    gateway.put("x402.network", chain.network());
    gateway.put("x402.asset", chain.token());
    gateway.put("x402.amount", chain.amount().toString());
    // the token's EIP-712 domain name (X402Chain: "USD Coin", version "2")
    gateway.put("x402.name", "USD Coin");
    gateway.put("x402.version", "2");
    // one quote per capability: every quote is a paid mint
    gateway.remove("max.calls:Integer");
    gateway.put("max.calls:Integer", 1);
    ObjectNode f = feature("provider-x402");
    f.putObject("configurations").set("dev.briefcase.provider.gateway", gateway);
    Path feature = Files.writeString(work.resolve("provider-x402.json"), f.toString());
    Distribution d =
        new Distribution(work.resolve("provider"))
            .startArgs("--feature", "provider", "--feature", feature.toString())
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", proxy.base())
            .env("BRIEFCASE_PROVIDER_PRICE_MICROUSD", chain.amount().toString())
            .env("BRIEFCASE_PROVIDER_X402_PAY_TO", chain.payTo().address())
            .env("BRIEFCASE_PROVIDER_X402_FACILITATOR_URL", chain.facilitatorUrl());
    d.start();
    try {
      Poll.await(
          () -> {
            try {
              HttpResponse<String> r =
                  HTTP.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + port + "/.well-known/jwks.json"))
                          .timeout(Duration.ofSeconds(5))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              return r.statusCode() == 200 ? r : null;
            } catch (IOException e) {
              return null;
            }
          },
          "the provider listener serves the JWKS",
          Duration.ofSeconds(60));
    } catch (Exception | Error e) {
      d.close();
      throw e;
    }
    return d;
  }

  /**
   * The agent's feature: features/connectors.json without the x402 rail's bundle (installed as a
   * plugin instead, so that it can be updated: a feature's bundles are core), the provider tool,
   * and the rail's configuration allowing the chain's token.
   */
  private static Path agentFeature(Path work, X402Chain chain) throws IOException {
    ObjectNode f =
        (ObjectNode)
            JSON.readTree(Distribution.home().resolve("features/connectors.json").toFile());
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-agent-x402:0.1.0-SNAPSHOT");
    ArrayNode bundles = f.putArray("bundles");
    JSON.readTree(Distribution.home().resolve("features/connectors.json").toFile())
        .path("bundles")
        .forEach(
            b -> {
              if (!b.path("id").asText().contains(RAIL_BSN + ":")) {
                bundles.add(b);
              }
            });
    ObjectNode c = (ObjectNode) f.path("configurations");
    c.putObject("dev.briefcase.connector.provider~" + PROVIDER)
        .put("connector.id", "provider-" + PROVIDER)
        .put("provider.id", PROVIDER);
    // the egress ceiling on one call's overall time, well below the 10 s default of the
    // provider connector's policy: a paid mint whose answer is held times out in seconds
    c.putObject(EGRESS_PID).put("max.total.timeout.millis:Long", EGRESS_TIMEOUT_MS);
    ObjectNode rail = c.putObject("dev.briefcase.rail.x402");
    rail.put("helper_timeout_ms:Long", 30000);
    rail.putArray("networks:String[]").add(chain.network());
    rail.putArray("assets:String[]").add(chain.network() + "/" + chain.token() + ":6");
    rail.put("max_amount_microusd:Long", 1_000_000);
    return Files.writeString(work.resolve("agent-x402.json"), f.toString());
  }

  /**
   * The helper's configuration and key store ({@code briefcase-pay init}, {@code import-evm-key}
   * with the chain's payer key); returns the {@code BRIEFCASE_PAYMENT_HELPER} value.
   */
  private static String helper(Path work, X402Chain chain) throws Exception {
    Path dir = Files.createDirectories(work.resolve("pay"));
    Path pass = Files.writeString(dir.resolve("passphrase"), "payflow-itest-passphrase\n");
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("key_store", dir.resolve("keys.json").toString());
    cfg.put("journal", dir.resolve("journal").toString());
    ObjectNode limits = cfg.putObject("limits");
    limits.putArray("networks").add(chain.network());
    limits
        .putArray("assets")
        .addObject()
        .put("network", chain.network())
        .put("address", chain.token())
        .put("max_atomic", "1000000");
    Path config = Files.writeString(dir.resolve("pay.json"), cfg.toString());
    Path key = Files.writeString(dir.resolve("payer.hex"), chain.payer().privateKey());
    String pay = Distribution.home().resolve("bin/briefcase-pay").toString();
    List<String> base =
        List.of("sh", pay, "--config", config.toString(), "--passphrase-file", pass.toString());
    StringBuilder out = new StringBuilder();
    run(base, out, "init");
    run(base, out, "import-evm-key", "--key-file", key.toString());
    Files.delete(key);
    Files.writeString(work.resolve("helper-setup.out"), out);
    return pay + " --config " + config + " --passphrase-file " + pass;
  }

  private static void run(List<String> base, StringBuilder out, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(base);
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes());
    out.append(text);
    if (p.waitFor() != 0) {
      throw new IOException("briefcase-pay " + String.join(" ", args) + ": " + text);
    }
  }

  /** The x402 rail's bundle in the distribution. */
  static Path railJar() throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(Distribution.home())) {
      return s.filter(p -> p.getFileName().toString().startsWith(RAIL_BSN + "-"))
          .filter(p -> p.getFileName().toString().endsWith(".jar"))
          .findFirst()
          .orElseThrow(() -> new IOException("no " + RAIL_BSN + " jar in the distribution"));
    }
  }

  private static ObjectNode feature(String name) {
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-" + name + ":0.1.0-SNAPSHOT");
    f.putArray("bundles");
    return f;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** {@code POST /v1/tools/call quote {symbol}} on the agent, with an approval token or not. */
  JsonNode quote(String symbol, String approvalToken) throws Exception {
    String call =
        "{\"call\":{\"tool_id\":\"quote\",\"args\":{\"symbol\":\""
            + symbol
            + "\"}"
            + (approvalToken == null ? "" : ",\"approval_token\":\"" + approvalToken + "\"")
            + "}}";
    Distribution.Answer a = agent.post("/v1/tools/call", call);
    JsonNode j = a.json();
    printed.add(a.body());
    return j;
  }

  /** The token transfers the payer has made on chain. */
  int transfers() throws Exception {
    return chain.transferCount(chain.payer().address());
  }

  /** The EIP-3009 authorisations of the payer the token has used. */
  int authorizations() throws Exception {
    return chain.authorizationsUsed(chain.payer().address());
  }

  /** The agent's receipt events of {@code type}, oldest first. */
  List<JsonNode> receipts(String type) throws Exception {
    Distribution.Answer a = agent.get("/v1/receipts?limit=500&offset=0");
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : a.json().path("receipts")) {
      if (type.equals(r.path("event").path("type").asText())) {
        out.add(0, r.path("event"));
      }
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    closeAll(agent, provider, proxy, chain);
  }

  private static void closeAll(
      Distribution agent, Distribution provider, FaultProxy proxy, X402Chain chain)
      throws InterruptedException {
    try {
      if (agent != null) {
        agent.close();
      }
      if (provider != null) {
        provider.close();
      }
      if (proxy != null) {
        proxy.close();
      }
    } finally {
      chain.close();
    }
  }
}
