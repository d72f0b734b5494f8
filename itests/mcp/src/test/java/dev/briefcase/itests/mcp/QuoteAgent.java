package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The agent-side Briefcase process: the connectors feature plus a connector-provider factory
 * configuration (tool {@code quote} for provider {@code demo}), the provider registered with {@code
 * briefcase providers add}, the quote manifest, and an MCP agent on the Java SDK. Keeps every tool
 * result and CLI output it produced for the canary.
 */
final class QuoteAgent implements AutoCloseable {
  static final String PROVIDER = "demo";
  private static final ObjectMapper JSON = new ObjectMapper();

  final Gateway g;
  final McpSyncClient mcp;

  /** What the agent and the operator saw: tool results and CLI outputs. */
  final List<String> seen = new CopyOnWriteArrayList<>();

  private QuoteAgent(Gateway g, McpSyncClient mcp) {
    this.g = g;
    this.mcp = mcp;
  }

  static QuoteAgent start(String name, String providerBase) throws Exception {
    return start(name, providerBase, "quote");
  }

  /** As {@link #start(String, String)}, with the scope a login asks for (e.g. {@code quote vc}). */
  static QuoteAgent start(String name, String providerBase, String scope) throws Exception {
    Path work = Files.createTempDirectory("briefcase-agent-side");
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-" + name + ":0.1.0-SNAPSHOT");
    f.putArray("bundles");
    f.putObject("configurations")
        .putObject("dev.briefcase.connector.provider~" + PROVIDER)
        .put("connector.id", "provider-" + PROVIDER)
        .put("provider.id", PROVIDER);
    Path feature = Files.writeString(work.resolve(name + ".json"), f.toString());
    Gateway g =
        Gateway.start(
            name,
            Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"),
            "--feature",
            "connectors",
            "--feature",
            feature.toString());
    try {
      g.dist.awaitCredentialService(Duration.ofSeconds(60));
      Distribution.CliResult added =
          g.dist.cli("providers", "add", PROVIDER, providerBase, "--scope", scope);
      assertEquals(added.stderr(), 0, added.exit());
      Distribution.Answer m =
          g.dist.post(
              "/v1/tools/quote/manifest",
              "{\"runtime\":\"connector\",\"egress\":{\"allowed_hosts\":[\"127.0.0.1\"],"
                  + "\"allowed_http_path_prefixes\":[\"/api/quote\"]}}");
      assertEquals(m.body(), 200, m.status());
      McpSyncClient mcp = client(g);
      mcp.initialize();
      QuoteAgent a = new QuoteAgent(g, mcp);
      a.seen.add(added.stdout() + added.stderr());
      return a;
    } catch (Exception | Error e) {
      g.close();
      throw e;
    }
  }

  /** {@code tools/call quote {symbol}}. */
  McpSchema.CallToolResult quote(String symbol) {
    McpSchema.CallToolResult r =
        mcp.callTool(new McpSchema.CallToolRequest("quote", Map.of("symbol", symbol)));
    seen.add(String.valueOf(r));
    return r;
  }

  /** A quote that must succeed and name its symbol. */
  McpSchema.CallToolResult quoteOk(String symbol) {
    McpSchema.CallToolResult r = quote(symbol);
    assertEquals("quote " + symbol + ": " + r, Boolean.FALSE, r.isError());
    assertTrue(
        String.valueOf(r.structuredContent()),
        String.valueOf(r.structuredContent()).contains(symbol));
    return r;
  }

  /** Runs the CLI on the agent side and keeps what it printed. */
  Distribution.CliResult cli(String... args) throws IOException, InterruptedException {
    Distribution.CliResult r = g.dist.cli(args);
    seen.add(r.stdout() + r.stderr());
    return r;
  }

  /** The receipt events of {@code type} (e.g. {@code capability}, {@code oauth}), oldest first. */
  List<JsonNode> receipts(String type) throws Exception {
    Distribution.Answer a = g.dist.get("/v1/receipts?limit=500&offset=0");
    assertEquals(a.body(), 200, a.status());
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : a.json().path("receipts")) {
      if (type.equals(r.path("event").path("type").asText())) {
        out.add(0, r.path("event"));
      }
    }
    return out;
  }

  /**
   * {@code briefcase login demo --no-browser} against the provider's AS; the test is the browser
   * (the reference AS consents automatically and redirects to the CLI's loopback listener).
   */
  void login(String providerBase) throws Exception {
    Path out = Files.createTempFile("briefcase-login", ".out");
    ProcessBuilder pb =
        new ProcessBuilder(
                "sh",
                g.dist.home.resolve("bin/briefcase").toString(),
                "login",
                PROVIDER,
                "--timeout",
                "60",
                "--no-browser")
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("BRIEFCASE_DATA_DIR", g.dist.dataDir.toString());
    Process login = pb.start();
    HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    try {
      String url =
          Poll.await(
              () ->
                  Files.readString(out)
                      .lines()
                      .filter(l -> l.startsWith(providerBase + "/oauth/authorize?"))
                      .findFirst()
                      .orElse(null),
              "login printed the authorization URL",
              Duration.ofSeconds(60));
      HttpResponse<String> redirected =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(redirected.body(), 302, redirected.statusCode());
      URI callback = URI.create(redirected.headers().firstValue("Location").orElseThrow());
      HttpResponse<String> landed =
          http.send(
              HttpRequest.newBuilder(callback).timeout(Duration.ofSeconds(15)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(landed.body(), 200, landed.statusCode());
      assertTrue("login did not finish", login.waitFor(60, TimeUnit.SECONDS));
      String printed = Files.readString(out);
      seen.add(printed + landed.body());
      assertEquals(printed, 0, login.exitValue());
      assertTrue(printed, printed.contains("DPoP-bound"));
    } finally {
      login.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }

  /**
   * The canary: none of {@code values} and no JWT in anything the agent or its operator saw, the
   * agent's receipts and log, its data directory, and {@code more} (e.g. the provider's log).
   */
  void assertNoneOf(Collection<String> values, List<String> more) throws Exception {
    assertFalse("credential values were seen", values.isEmpty());
    List<String> places = new ArrayList<>();
    seen.forEach(s -> places.add("agent or operator view " + s));
    places.add("receipts export " + g.dist.get("/v1/receipts/export?after_id=0").body());
    places.add("agent daemon log " + Files.readString(g.dist.logFile));
    try (Stream<Path> files = Files.walk(g.dist.dataDir)) {
      for (Path file :
          files
              .filter(Files::isRegularFile)
              .filter(p -> !p.startsWith(g.dist.dataDir.resolve("felix-cache")))
              .toList()) {
        places.add(file + " " + Files.readString(file, StandardCharsets.ISO_8859_1));
      }
    }
    places.addAll(more);
    for (String place : places) {
      String where = place.substring(0, Math.min(80, place.length()));
      for (String v : values) {
        assertFalse("a credential value in " + where, place.contains(v));
      }
      assertFalse("a JWT in " + where, place.contains("eyJ"));
    }
  }

  private static McpSyncClient client(Gateway g) throws Exception {
    URI u = URI.create(g.url());
    HttpRequest.Builder rb = HttpRequest.newBuilder();
    Optional<String> token = g.token();
    if (token.isPresent()) {
      rb.header("Authorization", "Bearer " + token.get());
    }
    HttpClientStreamableHttpTransport transport =
        HttpClientStreamableHttpTransport.builder(u.getScheme() + "://" + u.getRawAuthority())
            .endpoint(u.getRawPath())
            .requestBuilder(rb)
            .build();
    return McpClient.sync(transport)
        .clientInfo(new McpSchema.Implementation("briefcase-itest-quote-agent", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(30))
        .build();
  }

  @Override
  public void close() throws Exception {
    try {
      mcp.close();
    } finally {
      g.close();
    }
  }
}
