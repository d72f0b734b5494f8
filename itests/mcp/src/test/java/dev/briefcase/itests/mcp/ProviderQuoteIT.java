package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Two Briefcase processes: the reference provider ({@code --feature provider}) and an agent-side
 * Briefcase whose MCP agent (Java SDK) calls {@code quote} of the provider connector. Between them
 * a tap (the provider's public base URL) that records routes and the capability each quote carried.
 * An unauthenticated mint after the provider's DPoP nonce, reuse of the capability, a provider-side
 * jti revoke answered by one re-mint, the provider's 429 after max_calls answered by one re-mint,
 * and no capability in any result, receipt, log or data file of the agent side.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ProviderQuoteIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ADMIN_SECRET = "provider-admin-" + UUID.randomUUID();

  private static int providerPort;
  private static TapProxy tap;
  private static Distribution provider;
  private static Gateway g;
  private static McpSyncClient agent;
  private static final List<McpSchema.CallToolResult> SEEN_BY_AGENT = new ArrayList<>();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeClass
  public static void start() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      providerPort = s.getLocalPort();
    }
    tap = new TapProxy("http://127.0.0.1:" + providerPort);
    provider =
        new Distribution(Files.createTempDirectory("briefcase-provider-side"))
            .startArgs("--feature", "provider")
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + providerPort)
            .env("BRIEFCASE_PROVIDER_BASE_URL", tap.base())
            .start();
    Poll.await(
        () -> {
          try {
            HttpResponse<String> r =
                HTTP.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:" + providerPort + "/.well-known/jwks.json"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r : null;
          } catch (java.io.IOException e) {
            return null;
          }
        },
        "the provider listener serves the JWKS",
        Duration.ofSeconds(60));
    Distribution.Answer secret =
        provider.post(
            "/v1/secrets/provider.admin_secret",
            JSON.createObjectNode()
                .put(
                    "value_b64",
                    Base64.getEncoder()
                        .encodeToString(ADMIN_SECRET.getBytes(StandardCharsets.UTF_8)))
                .toString());
    assertEquals(secret.body(), 200, secret.status());

    Path work = Files.createTempDirectory("briefcase-agent-side");
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-provider-quote:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    f.putObject("configurations")
        .putObject("dev.briefcase.connector.provider~demo")
        .put("connector.id", "provider-demo")
        .put("provider.id", "demo");
    Path feature = Files.writeString(work.resolve("provider-quote.json"), f.toString());
    g =
        Gateway.start(
            "provider-quote",
            Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"),
            "--feature",
            "connectors",
            "--feature",
            feature.toString());
    // the MCP gateway may serve before the OAuth bundle registers the credential service
    Distribution.Answer added =
        Poll.await(
            () -> {
              try {
                Distribution.Answer r =
                    g.dist.post(
                        "/v1/providers", "{\"id\":\"demo\",\"base_url\":\"" + tap.base() + "\"}");
                return r.status() == 503 ? null : r;
              } catch (Exception e) {
                return null;
              }
            },
            "the credential service answers",
            Duration.ofSeconds(30));
    assertEquals(added.body(), 201, added.status());
    Distribution.Answer m =
        g.dist.post(
            "/v1/tools/quote/manifest",
            "{\"runtime\":\"connector\",\"egress\":{\"allowed_hosts\":[\"127.0.0.1\"],"
                + "\"allowed_http_path_prefixes\":[\"/api/quote\"]}}");
    assertEquals(m.body(), 200, m.status());
    agent = client(g);
    agent.initialize();
  }

  @AfterClass
  public static void stop() throws Exception {
    try {
      if (agent != null) {
        agent.close();
      }
      if (g != null) {
        g.close();
      }
      if (provider != null) {
        provider.close();
      }
    } finally {
      if (tap != null) {
        tap.close();
      }
    }
  }

  @Test
  public void a_anUnauthenticatedMintAfterTheNonceThenQuotesOnOneCapability() throws Exception {
    quoteOk("ABC");
    quoteOk("XYZ");
    List<String> routes = routes(0);
    assertEquals(
        "mint after the provider's nonce, then two quotes on one capability: " + routes,
        List.of("POST /token 400", "POST /token 200", "GET /api/quote 200", "GET /api/quote 200"),
        routes);
    List<TapProxy.Seen> quotes = quotes(0);
    assertEquals(quotes.get(0).capability(), quotes.get(1).capability());
  }

  /** SPEC §8.2 acceptance 4, §15 acceptance 4: a provider-side jti revoke → a fresh jti. */
  @Test
  public void b_aJtiRevokedAtTheProviderIsReplacedByOneReMint() throws Exception {
    int before = tap.seen.size();
    String current = quotes(0).get(quotes(0).size() - 1).capability();
    HttpResponse<String> revoked =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + providerPort + "/api/revoke"))
                .header("x-aag-admin-secret", ADMIN_SECRET)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.createObjectNode().put("token", current).toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(revoked.body(), 200, revoked.statusCode());
    quoteOk("ABC");
    List<String> routes = withoutNonceRounds(routes(before));
    assertEquals(
        "refused as revoked, one re-mint, then served: " + routes,
        List.of("GET /api/quote 403", "POST /token 200", "GET /api/quote 200"),
        routes);
    List<TapProxy.Seen> quotes = quotes(before);
    assertNotEquals(current, quotes.get(quotes.size() - 1).capability());
  }

  /** SPEC §8.2 acceptance 7: the call after max_calls → 429, then a re-mint. */
  @Test
  public void c_theCallAfterMaxCallsIs429ThenAReMint() throws Exception {
    // the agent counts calls itself; only a mint answer claiming more than the provider allows
    // lets a call reach the provider's own limit
    tap.mintAnswer = a -> a.replaceAll("\"max_calls\"\\s*:\\s*\\d+", "\"max_calls\":1000");
    Distribution.CliResult dropped = g.dist.cli("revoke", "capability", "demo");
    assertEquals(dropped.stderr(), 0, dropped.exit());
    int before = tap.seen.size();
    int limitHit = -1;
    for (int i = 0; i < 60 && limitHit < 0; i++) {
      quoteOk("LIM");
      for (int j = before; j < tap.seen.size(); j++) {
        if (tap.seen.get(j).status() == 429) {
          limitHit = j;
        }
      }
    }
    assertTrue("the provider's limit was reached", limitHit >= 0);
    List<String> after = withoutNonceRounds(routes(limitHit));
    assertEquals(
        "429, one re-mint, then served: " + after,
        List.of("GET /api/quote 429", "POST /token 200", "GET /api/quote 200"),
        after);
  }

  @Test
  public void z_noCapabilityInWhatTheAgentOrItsOperatorSees() throws Exception {
    List<String> capabilities =
        tap.seen.stream().map(TapProxy.Seen::capability).filter(c -> c != null).distinct().toList();
    assertTrue("capabilities were used", capabilities.size() >= 3);
    List<String> places = new ArrayList<>();
    for (McpSchema.CallToolResult r : SEEN_BY_AGENT) {
      places.add("agent view " + r);
    }
    places.add("receipts export " + g.dist.get("/v1/receipts/export?after_id=0").body());
    places.add("daemon log " + Files.readString(g.dist.logFile));
    try (Stream<Path> files = Files.walk(g.dist.dataDir)) {
      for (Path file :
          files
              .filter(Files::isRegularFile)
              .filter(p -> !p.startsWith(g.dist.dataDir.resolve("felix-cache")))
              .toList()) {
        places.add(file + " " + Files.readString(file, StandardCharsets.ISO_8859_1));
      }
    }
    for (String place : places) {
      String where = place.substring(0, Math.min(80, place.length()));
      for (String c : capabilities) {
        assertFalse("a capability in " + where, place.contains(c));
      }
      assertFalse("a JWT in " + where, place.contains("eyJ"));
    }
  }

  private static void quoteOk(String symbol) {
    McpSchema.CallToolResult r =
        agent.callTool(new McpSchema.CallToolRequest("quote", Map.of("symbol", symbol)));
    SEEN_BY_AGENT.add(r);
    assertEquals("quote " + symbol + ": " + r, Boolean.FALSE, r.isError());
    assertNotNull(r.structuredContent());
    assertTrue(
        String.valueOf(r.structuredContent()),
        String.valueOf(r.structuredContent()).contains(symbol));
  }

  private static List<String> routes(int from) {
    return tap.seen.subList(from, tap.seen.size()).stream()
        .map(s -> s.route() + " " + s.status())
        .collect(Collectors.toList());
  }

  /** The provider rotates its nonce: a mint may take one extra 400 round first. */
  private static List<String> withoutNonceRounds(List<String> routes) {
    return routes.stream().filter(r -> !r.equals("POST /token 400")).toList();
  }

  private static List<TapProxy.Seen> quotes(int from) {
    return tap.seen.subList(from, tap.seen.size()).stream()
        .filter(s -> s.route().equals("GET /api/quote"))
        .toList();
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
}
