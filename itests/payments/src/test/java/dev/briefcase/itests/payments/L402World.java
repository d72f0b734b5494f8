package dev.briefcase.itests.payments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.LightningNodes;
import dev.briefcase.testing.Poll;
import java.io.IOException;
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
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Two Lightning test nodes, one provider process and one agent process, L402 only: the nodes of
 * testing/fixtures ({@link LightningNodes}); the reference provider ({@code --feature provider})
 * pricing its mint at {@link #PRICE_MICROUSD} with invoices from the {@code lnd} node (pinned
 * certificate, macaroon put into its secret store with {@code briefcase secrets set}) and no x402
 * offer (no {@code x402.pay.to}), one quote per capability; the agent ({@code --feature} a copy of
 * features/connectors.json) with the L402 rail allowing regtest invoices and {@code
 * bin/briefcase-pay} paying from the {@code cln} node over its unix socket; the provider added with
 * {@code briefcase providers add} behind an {@link L402Tap}. The provider and tool set-up follows
 * {@link PaymentWorld}'s (a few lines repeated here, the chain and x402 parts left out).
 */
final class L402World implements AutoCloseable {
  static final String PROVIDER = "lnprov";

  /** The mint's price; at the provider's and the rail's 100,000 USD per BTC, as many msat. */
  static final long PRICE_MICROUSD = 5_000;

  static final long PRICE_MSAT = PRICE_MICROUSD;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final Path work;
  final LightningNodes nodes;
  final L402Tap tap;
  final Distribution provider;
  final Distribution agent;

  /** The helper's directory (configuration, key store, journal). */
  final Path pay;

  /** What the operator and the helper's set-up printed (the canary looks at it). */
  final List<String> printed = new CopyOnWriteArrayList<>();

  private L402World(
      Path work,
      LightningNodes nodes,
      L402Tap tap,
      Distribution provider,
      Distribution agent,
      Path pay) {
    this.work = work;
    this.nodes = nodes;
    this.tap = tap;
    this.provider = provider;
    this.agent = agent;
    this.pay = pay;
  }

  static L402World start() throws Exception {
    // short: the CLN node's unix socket lives under it
    Path work = Files.createTempDirectory(Path.of("/tmp"), "bc-l402");
    LightningNodes nodes = LightningNodes.start(work.resolve("ln"));
    L402Tap tap = null;
    Distribution provider = null;
    Distribution agent = null;
    try {
      int port = freePort();
      tap = new L402Tap("http://127.0.0.1:" + port);
      List<String> setup = new ArrayList<>();
      provider = startProvider(work, nodes, tap, port, setup);
      Path pay = Files.createDirectories(work.resolve("pay"));
      String helper = helper(pay, nodes, PRICE_MSAT * 10, setup);
      agent =
          new Distribution(work.resolve("agent"))
              .startArgs("--feature", agentFeature(work, PRICE_MSAT * 10).toString())
              .env("BRIEFCASE_PAYMENT_HELPER", helper);
      L402World w = new L402World(work, nodes, tap, provider, agent, pay);
      w.printed.addAll(setup);
      agent.start();
      agent.awaitCredentialService(Duration.ofSeconds(60));
      Distribution.CliResult added =
          agent.cli("providers", "add", PROVIDER, tap.base(), "--scope", "quote");
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
      Distribution.Answer b = agent.post("/v1/budgets/read", "{\"daily_limit_microusd\":3000000}");
      if (b.status() != 200) {
        throw new IOException("read budget: " + b.body());
      }
      return w;
    } catch (Exception | Error e) {
      closeAll(agent, provider, tap, nodes);
      throw e;
    }
  }

  private static Distribution startProvider(
      Path work, LightningNodes nodes, L402Tap tap, int port, List<String> printed)
      throws Exception {
    JsonNode shipped =
        JSON.readTree(Distribution.home().resolve("features/provider.json").toFile());
    ObjectNode gateway =
        ((ObjectNode) shipped.path("configurations").path("dev.briefcase.provider.gateway"))
            .deepCopy();
    gateway.put("l402.lnd.url", nodes.lndUrl());
    gateway.put("l402.lnd.cert.file", nodes.lndCert().toString());
    // one quote per capability: every quote is a paid mint
    gateway.remove("max.calls:Integer");
    gateway.put("max.calls:Integer", 1);
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-provider-l402:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    f.putObject("configurations").set("dev.briefcase.provider.gateway", gateway);
    Path feature = Files.writeString(work.resolve("provider-l402.json"), f.toString());
    Distribution d =
        new Distribution(work.resolve("provider"))
            .startArgs("--feature", "provider", "--feature", feature.toString())
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", tap.base())
            .env("BRIEFCASE_PROVIDER_PRICE_MICROUSD", Long.toString(PRICE_MICROUSD));
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
      // the LND macaroon goes to the provider's secret store, never into its configuration
      byte[] macaroon = Files.readAllBytes(nodes.lndMacaroon());
      Distribution.CliResult set =
          d.cliWithInput(
              HexFormat.of().formatHex(macaroon).getBytes(StandardCharsets.US_ASCII),
              "secrets",
              "set",
              "provider.lnd_macaroon");
      printed.add(set.stdout() + set.stderr());
      if (set.exit() != 0) {
        throw new IOException("secrets set provider.lnd_macaroon: " + set.stderr());
      }
    } catch (Exception | Error e) {
      d.close();
      throw e;
    }
    return d;
  }

  /**
   * The agent's feature: features/connectors.json (both rails) with the provider tool and the L402
   * rail allowing regtest invoices at the provider's rate.
   */
  private static Path agentFeature(Path work, long railMaxMsat) throws IOException {
    ObjectNode f =
        (ObjectNode)
            JSON.readTree(Distribution.home().resolve("features/connectors.json").toFile());
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-agent-l402:0.1.0-SNAPSHOT");
    ObjectNode c = (ObjectNode) f.path("configurations");
    c.putObject("dev.briefcase.connector.provider~" + PROVIDER)
        .put("connector.id", "provider-" + PROVIDER)
        .put("provider.id", PROVIDER);
    ObjectNode rail = c.putObject("dev.briefcase.rail.l402");
    rail.put("helper_timeout_ms:Long", 30000);
    rail.putArray("networks:String[]").add("bcrt");
    rail.put("max_amount_msat:Long", railMaxMsat);
    rail.put("usd_per_btc:Long", 100000);
    return Files.writeString(work.resolve("agent-l402.json"), f.toString());
  }

  /**
   * The helper's configuration ({@link #writeHelperConfig}) and key store ({@code briefcase-pay
   * init}: it seals the journal); returns the {@code BRIEFCASE_PAYMENT_HELPER} value.
   */
  private static String helper(Path dir, LightningNodes nodes, long maxMsat, List<String> printed)
      throws Exception {
    Path pass = Files.writeString(dir.resolve("passphrase"), "l402flow-itest-passphrase\n");
    Path config = writeHelperConfig(dir, nodes, maxMsat);
    String pay = Distribution.home().resolve("bin/briefcase-pay").toString();
    List<String> cmd =
        List.of(
            "sh", pay, "--config", config.toString(), "--passphrase-file", pass.toString(), "init");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    printed.add(text);
    if (p.waitFor() != 0) {
      throw new IOException("briefcase-pay init: " + text);
    }
    return pay + " --config " + config + " --passphrase-file " + pass;
  }

  /**
   * (Re)writes the helper's configuration: paying from the CLN node, regtest invoices of at most
   * {@code maxMsat}. The helper reads it on every payment.
   */
  static Path writeHelperConfig(Path dir, LightningNodes nodes, long maxMsat) throws IOException {
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("key_store", dir.resolve("keys.json").toString());
    cfg.put("journal", dir.resolve("journal").toString());
    ObjectNode limits = cfg.putObject("limits");
    limits.putArray("networks");
    limits.putArray("assets");
    limits.put("max_amount_msat", maxMsat);
    limits.putArray("l402_networks").add("bcrt");
    cfg.putObject("cln").put("socket", nodes.clnSocket().toString());
    return Files.writeString(dir.resolve("pay.json"), cfg.toString());
  }

  /** Sets the helper's own limit for the next payments. */
  void helperLimit(long maxMsat) throws IOException {
    writeHelperConfig(pay, nodes, maxMsat);
  }

  /**
   * Restarts the agent with the L402 rail's {@code max_amount_msat} set to {@code railMaxMsat} (the
   * feature file is read at every start; the rail's tokens of earlier payments are forgotten).
   */
  void restartAgentWithRailMax(long railMaxMsat) throws Exception {
    agent.stop();
    agentFeature(work, railMaxMsat);
    agent.start();
    agent.awaitCredentialService(Duration.ofSeconds(60));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** {@code POST /v1/tools/call quote {symbol}} on the agent. */
  JsonNode quote(String symbol) throws Exception {
    Distribution.Answer a =
        agent.post(
            "/v1/tools/call",
            "{\"call\":{\"tool_id\":\"quote\",\"args\":{\"symbol\":\"" + symbol + "\"}}}");
    printed.add(a.body());
    return a.json();
  }

  /** Payments the CLN node (the agent's wallet) has made. */
  int payments() throws IOException {
    return nodes.payments(LightningNodes.CLN);
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
    closeAll(agent, provider, tap, nodes);
  }

  private static void closeAll(
      Distribution agent, Distribution provider, L402Tap tap, LightningNodes nodes)
      throws InterruptedException {
    try {
      if (agent != null) {
        agent.close();
      }
      if (provider != null) {
        provider.close();
      }
      if (tap != null) {
        tap.close();
      }
    } finally {
      nodes.close();
    }
  }
}
