package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Two Briefcase processes: the reference provider ({@code --feature provider}, free quote) and an
 * agent-side Briefcase whose MCP agent (Java SDK) calls {@code quote} of the provider connector.
 * Between them a tap (the provider's public base URL) that records routes and the capability each
 * quote carried. An unauthenticated mint after the provider's DPoP nonce, reuse of the capability,
 * a provider-side jti revoke answered by one re-mint, the provider's 429 after max_calls answered
 * by one re-mint, {@code briefcase revoke capability}, and no capability in any result, receipt,
 * log or data file of either side. The priced provider and OAuth: {@link ProviderAcceptanceIT}.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ProviderQuoteIT {
  private static ProviderSide provider;
  private static QuoteAgent agent;

  @BeforeClass
  public static void start() throws Exception {
    provider = ProviderSide.start("quote", Map.of());
    agent = QuoteAgent.start("provider-quote", provider.base());
  }

  @AfterClass
  public static void stop() throws Exception {
    try {
      if (agent != null) {
        agent.close();
      }
    } finally {
      if (provider != null) {
        provider.close();
      }
    }
  }

  /** SPEC §8 acceptance 1, free half: no credentials and a free quote → an unauthenticated mint. */
  @Test
  public void a_anUnauthenticatedMintAfterTheNonceThenQuotesOnOneCapability() throws Exception {
    assertTrue(agent.mcp.listTools().tools().stream().anyMatch(t -> t.name().equals("quote")));
    agent.quoteOk("ABC");
    agent.quoteOk("XYZ");
    List<String> routes = routes(0);
    assertEquals(
        "mint after the provider's nonce, then two quotes on one capability: " + routes,
        List.of("POST /token 400", "POST /token 200", "GET /api/quote 200", "GET /api/quote 200"),
        routes);
    List<TapProxy.Seen> quotes = quotes(0);
    assertEquals(quotes.get(0).capability(), quotes.get(1).capability());
    List<JsonNode> mints = mints("ok");
    assertEquals(1, mints.size());
    assertEquals("unauthenticated", mints.get(0).path("minted_via").asText());
    JsonNode allow =
        agent.g.toolCallReceipts().stream()
            .filter(e -> "quote".equals(e.path("tool_id").asText()))
            .filter(e -> "allow".equals(e.path("decision").asText()))
            .findFirst()
            .orElseThrow();
    assertEquals("capability", allow.path("auth_method").asText());
  }

  /** SPEC §8 acceptance 4, §15 acceptance 4: a provider-side jti revoke → a fresh jti. */
  @Test
  public void b_aJtiRevokedAtTheProviderIsReplacedByOneReMint() throws Exception {
    int before = provider.tap.seen.size();
    int mintsBefore = mints("ok").size();
    String current = quotes(0).get(quotes(0).size() - 1).capability();
    HttpResponse<String> revoked = provider.revoke(current);
    assertEquals(revoked.body(), 200, revoked.statusCode());
    agent.quoteOk("ABC");
    List<String> routes = withoutNonceRounds(routes(before));
    assertEquals(
        "refused as revoked, one re-mint, then served: " + routes,
        List.of("GET /api/quote 403", "POST /token 200", "GET /api/quote 200"),
        routes);
    List<TapProxy.Seen> quotes = quotes(before);
    String fresh = quotes.get(quotes.size() - 1).capability();
    assertNotEquals(current, fresh);
    assertNotEquals(ProviderSide.jti(current), ProviderSide.jti(fresh));
    assertEquals(mintsBefore + 1, mints("ok").size());
    assertTrue(
        "the drop is receipted",
        agent.receipts("capability").stream()
            .anyMatch(e -> "drop".equals(e.path("action").asText())));
  }

  /** SPEC §8 acceptance 7: the call after max_calls → 429, then a re-mint. */
  @Test
  public void c_theCallAfterMaxCallsIs429ThenAReMint() throws Exception {
    // the agent counts calls itself; only a mint answer claiming more than the provider allows
    // lets a call reach the provider's own limit
    provider.tap.mintAnswer = a -> a.replaceAll("\"max_calls\"\\s*:\\s*\\d+", "\"max_calls\":1000");
    try {
      Distribution.CliResult dropped = agent.cli("revoke", "capability", QuoteAgent.PROVIDER);
      assertEquals(dropped.stderr(), 0, dropped.exit());
      int before = provider.tap.seen.size();
      int limitHit = -1;
      for (int i = 0; i < 60 && limitHit < 0; i++) {
        agent.quoteOk("LIM");
        for (int j = before; j < provider.tap.seen.size(); j++) {
          if (provider.tap.seen.get(j).status() == 429) {
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
      JsonNode drop =
          agent.receipts("capability").stream()
              .filter(e -> "drop".equals(e.path("action").asText()))
              .reduce((x, y) -> y)
              .orElseThrow();
      assertEquals(429, drop.path("status").asInt());
    } finally {
      provider.tap.mintAnswer = java.util.function.UnaryOperator.identity();
    }
  }

  @Test
  public void d_revokeCapabilityDropsTheCachedOneAndABadSymbolSendsNothing() throws Exception {
    Distribution.CliResult r = agent.cli("revoke", "capability", QuoteAgent.PROVIDER);
    assertEquals(r.stderr(), 0, r.exit());
    assertTrue(r.stdout(), r.stdout().contains("cached capability dropped"));
    int before = provider.tap.seen.size();
    agent.quoteOk("ABC");
    assertEquals(
        List.of("POST /token 200", "GET /api/quote 200"), withoutNonceRounds(routes(before)));
    int sent = provider.tap.seen.size();
    McpSchema.CallToolResult bad = agent.quote("abc");
    assertEquals(Boolean.TRUE, bad.isError());
    assertEquals("nothing sent for a bad symbol", sent, provider.tap.seen.size());
    assertTrue(
        agent.receipts("capability").stream()
            .anyMatch(e -> "revoke".equals(e.path("action").asText())));
  }

  @Test
  public void z_noCapabilityInWhatTheAgentOrItsOperatorSees() throws Exception {
    assertTrue("capabilities were used", provider.tap.values.size() >= 3);
    agent.assertNoneOf(
        provider.tap.values,
        List.of(
            "provider daemon log " + Files.readString(provider.dist.logFile),
            "provider receipts " + provider.dist.get("/v1/receipts/export?after_id=0").body()));
  }

  private static List<JsonNode> mints(String outcome) throws Exception {
    return agent.receipts("capability").stream()
        .filter(e -> "mint".equals(e.path("action").asText()))
        .filter(e -> outcome.equals(e.path("outcome").asText()))
        .toList();
  }

  private static List<String> routes(int from) {
    return provider.tap.seen.subList(from, provider.tap.seen.size()).stream()
        .map(s -> s.route() + " " + s.status())
        .collect(Collectors.toList());
  }

  /** The provider rotates its nonce: a mint may take one extra 400 round first. */
  static List<String> withoutNonceRounds(List<String> routes) {
    return routes.stream().filter(r -> !r.equals("POST /token 400")).toList();
  }

  private static List<TapProxy.Seen> quotes(int from) {
    return provider.tap.seen.subList(from, provider.tap.seen.size()).stream()
        .filter(s -> s.route().equals("GET /api/quote"))
        .toList();
  }
}
