package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * An agent on the Java MCP SDK calls the provider tool {@code quote} (connector-provider,
 * configured by a feature file) against a loopback stand-in of the reference provider that verifies
 * every DPoP proof: an unauthenticated mint bound to the key directory's {@code dpop:cap.demo} key,
 * reuse of the capability, a provider-side revoke answered by one re-mint, a capability out of
 * calls (429) answered by one re-mint, and {@code briefcase revoke capability}. The stand-in echoes
 * the capability in its answer; neither a capability nor a proof is in a tool result, a receipt,
 * the log or the data directory. Tests run in name order; the last searches what the others left.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class CapabilityQuoteIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static StandInProvider provider;
  private static Gateway g;
  private static McpSyncClient agent;
  private static final List<McpSchema.CallToolResult> SEEN_BY_AGENT = new ArrayList<>();

  @BeforeClass
  public static void start() throws Exception {
    provider = new StandInProvider();
    Path work = Files.createTempDirectory("briefcase-capability-quote");
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-provider:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    f.putObject("configurations")
        .putObject("dev.briefcase.connector.provider~demo")
        .put("connector.id", "provider-demo")
        .put("provider.id", "demo");
    Path feature = Files.writeString(work.resolve("provider-itest.json"), f.toString());
    g =
        Gateway.start(
            "capability-quote",
            Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"),
            "--feature",
            "connectors",
            "--feature",
            feature.toString());
    Distribution.Answer added =
        g.dist.post("/v1/providers", "{\"id\":\"demo\",\"base_url\":\"" + provider.base() + "\"}");
    assertEquals(added.body(), 201, added.status());
    String manifest =
        "{\"runtime\":\"connector\",\"egress\":{\"allowed_hosts\":[\"127.0.0.1\"],"
            + "\"allowed_http_path_prefixes\":[\"/api/quote\"]}}";
    Distribution.Answer m = g.dist.post("/v1/tools/quote/manifest", manifest);
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
    } finally {
      if (provider != null) {
        provider.close();
      }
    }
  }

  @Test
  public void a_aQuoteMintsOnceWithAVerifiedProofAndReusesTheCapability() throws Exception {
    assertTrue(agent.listTools().tools().stream().anyMatch(t -> t.name().equals("quote")));
    assertQuote(call("ABC"), "ABC");
    assertQuote(call("XYZ"), "XYZ");
    assertEquals("one mint for two quotes", 1, provider.mints.get());
    assertEquals(List.of("POST /token 200", "GET /api/quote 200", "GET /api/quote 200"), seen(0));
    JsonNode allow =
        g.toolCallReceipts().stream()
            .filter(e -> "quote".equals(e.path("tool_id").asText()))
            .filter(e -> "allow".equals(e.path("decision").asText()))
            .findFirst()
            .orElseThrow();
    assertEquals("capability", allow.path("auth_method").asText());
  }

  /** SPEC §8.2 acceptance 4 / §15 acceptance 4: a provider-side revoke → a fresh jti. */
  @Test
  public void b_aCapabilityRevokedAtTheProviderIsReplacedOnce() throws Exception {
    int before = provider.seen.size();
    provider.revokeAll();
    assertQuote(call("ABC"), "ABC");
    assertEquals(
        List.of("GET /api/quote 403", "POST /token 200", "GET /api/quote 200"), seen(before));
    assertEquals(2, provider.mints.get());
  }

  /** SPEC §8.2 acceptance 7: the call after max_calls → 429, then a re-mint. */
  @Test
  public void c_theCallAfterMaxCallsIs429ThenAReMint() throws Exception {
    int before = provider.seen.size();
    provider.exhaustNewest();
    assertQuote(call("QQQ"), "QQQ");
    assertEquals(
        List.of("GET /api/quote 429", "POST /token 200", "GET /api/quote 200"), seen(before));
  }

  @Test
  public void d_revokeCapabilityDropsTheCachedOne() throws Exception {
    Distribution.CliResult r = g.dist.cli("revoke", "capability", "demo");
    assertEquals(r.stderr(), 0, r.exit());
    assertTrue(r.stdout(), r.stdout().contains("cached capability dropped"));
    int before = provider.seen.size();
    assertQuote(call("ABC"), "ABC");
    assertEquals(List.of("POST /token 200", "GET /api/quote 200"), seen(before));
    McpSchema.CallToolResult bad = call("abc");
    assertEquals(Boolean.TRUE, bad.isError());
    assertEquals("nothing sent for a bad symbol", before + 2, provider.seen.size());
  }

  @Test
  public void z_noCapabilityOrProofInWhatTheAgentOrTheOperatorSees() throws Exception {
    assertFalse(provider.minted.isEmpty());
    List<String> secrets = new ArrayList<>(provider.minted);
    secrets.addAll(provider.proofs);
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
      for (String secret : secrets) {
        assertFalse("a capability or proof in " + where, place.contains(secret));
      }
      assertFalse("a capability in " + where, place.contains("cap-itest-"));
    }
  }

  private static void assertQuote(McpSchema.CallToolResult r, String symbol) {
    assertEquals("quote: " + r, Boolean.FALSE, r.isError());
    Map<?, ?> content = (Map<?, ?>) r.structuredContent();
    assertEquals(symbol, content.get("symbol"));
    assertTrue(
        "the echoed capability is cut: " + content,
        String.valueOf(content.get("seen_authorization")).contains("[REDACTED"));
  }

  private static List<String> seen(int from) {
    return provider.seen.subList(from, provider.seen.size()).stream()
        .map(s -> s.route() + " " + s.status())
        .collect(Collectors.toList());
  }

  private static McpSchema.CallToolResult call(String symbol) {
    McpSchema.CallToolResult r =
        agent.callTool(new McpSchema.CallToolRequest("quote", Map.of("symbol", symbol)));
    SEEN_BY_AGENT.add(r);
    return r;
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
        .clientInfo(new McpSchema.Implementation("briefcase-itest-provider-agent", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(30))
        .build();
  }
}
