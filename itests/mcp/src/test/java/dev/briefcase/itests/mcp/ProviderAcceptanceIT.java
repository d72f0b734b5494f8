package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.briefcase.itests.common.Distribution;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * SPEC §8 and §15 acceptance between two Briefcase processes: the reference provider with a
 * <em>priced</em> quote ({@code BRIEFCASE_PROVIDER_PRICE_MICROUSD}) and the agent side, whose MCP
 * agent (Java SDK) calls {@code quote}. No credential → {@code payment_required}; {@code briefcase
 * login} at the provider's AS → capabilities minted with the access token; a replayed and a
 * foreign-key proof sent straight to the provider are refused; a jti revoked at the provider is
 * replaced; VCs (an unreachable status list asks for an approval, a revoked one falls back to
 * OAuth, a valid one is used); {@code briefcase revoke oauth} with the AS up (revoked there, the
 * next call goes the unauthenticated way) and down (deleted locally, receipted). Every step checks
 * the receipts; the last test greps everything either side wrote or showed for a credential. Tests
 * run in name order. The free quote, max_calls and {@code revoke capability}: {@link
 * ProviderQuoteIT}.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ProviderAcceptanceIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ProviderSide provider;
  private static QuoteAgent agent;

  /** The provider's receipts, exported before the provider is stopped (for the canary). */
  private static String providerReceipts = "";

  @BeforeClass
  public static void start() throws Exception {
    provider =
        ProviderSide.start("acceptance", Map.of("BRIEFCASE_PROVIDER_PRICE_MICROUSD", "1000"));
    agent = QuoteAgent.start("provider-acceptance", provider.base(), "quote vc");
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

  /** SPEC §8 acceptance 1: no credential and a priced quote → payment_required, receipted. */
  @Test
  public void a_noCredentialAndAPricedQuoteEndsWithPaymentRequired() throws Exception {
    int before = provider.tap.seen.size();
    McpSchema.CallToolResult r = agent.quote("ABC");
    assertEquals(String.valueOf(r), Boolean.TRUE, r.isError());
    assertTrue(String.valueOf(r), String.valueOf(r).contains("payment_required"));
    List<String> routes = routes(before);
    assertEquals(
        "a 402 mint and no quote: " + routes,
        List.of("POST /token 402"),
        ProviderQuoteIT.withoutNonceRounds(routes));
    JsonNode failed = last("capability", "mint");
    assertEquals("failed", failed.path("outcome").asText());
    assertEquals("payment_required", failed.path("code").asText());
    JsonNode call = agent.g.toolCallReceipts().get(agent.g.toolCallReceipts().size() - 1);
    assertEquals("quote", call.path("tool_id").asText());
    assertTrue(call.toString(), call.toString().contains("payment_required"));
  }

  /** SPEC §8 acceptance 1, OAuth: after {@code briefcase login} the mint uses the access token. */
  @Test
  public void b_afterLoginTheQuoteMintsWithTheAccessToken() throws Exception {
    agent.login(provider.base());
    JsonNode login = last("oauth", null);
    assertEquals("ok", login.path("outcome").asText());
    int before = provider.tap.seen.size();
    agent.quoteOk("ABC");
    agent.quoteOk("XYZ");
    List<String> routes = ProviderQuoteIT.withoutNonceRounds(routes(before));
    assertEquals(
        "an OAuth mint, no 402, two quotes on one capability: " + routes,
        List.of("POST /token 200", "GET /api/quote 200", "GET /api/quote 200"),
        routes);
    JsonNode mint = last("capability", "mint");
    assertEquals("ok", mint.path("outcome").asText());
    assertEquals("oauth", mint.path("minted_via").asText());
    // the mint carried the DPoP-bound access token, the quotes the capability
    TapProxy.Seen minted =
        provider.tap.seen.subList(before, provider.tap.seen.size()).stream()
            .filter(s -> s.route().equals("POST /token") && s.status() == 200)
            .findFirst()
            .orElseThrow();
    assertTrue(minted.capability() != null && minted.proof() != null);
    assertNotEquals(minted.capability(), lastQuote().capability());
  }

  /**
   * SPEC §8 acceptance 2: a captured proof sent again → 401 invalid_dpop_proof, replay_detected.
   */
  @Test
  public void c_aReplayedProofIsRefused() throws Exception {
    int receipts = agent.receipts("capability").size();
    TapProxy.Seen q = lastQuote();
    HttpResponse<String> replay =
        provider.direct(
            "GET",
            q.target(),
            Map.of("Authorization", "DPoP " + q.capability(), "DPoP", q.proof()));
    assertEquals(replay.body(), 401, replay.statusCode());
    assertEquals("replay_detected", replay.headers().firstValue("x-briefcase-error").orElse(null));
    assertTrue(
        replay.headers().allValues("WWW-Authenticate").toString(),
        replay.headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_dpop_proof"));
    assertEquals("aacp_v1", replay.headers().firstValue(PROFILE).orElse(null));
    // the agent's own next call, with a fresh proof, is served on the same capability
    agent.quoteOk("ABC");
    assertEquals(q.capability(), lastQuote().capability());
    assertEquals(
        "nothing happened on the agent side", receipts, agent.receipts("capability").size());
  }

  /** SPEC §8 acceptance 3: a proof by a key other than the capability's cnf.jkt → invalid_dpop. */
  @Test
  public void d_aProofByAForeignKeyIsRefused() throws Exception {
    int receipts = agent.receipts("capability").size();
    TapProxy.Seen q = lastQuote();
    ECKey foreign = new ECKeyGenerator(Curve.P_256).generate();
    SignedJWT proof =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("dpop+jwt"))
                .jwk(foreign.toPublicJWK())
                .build(),
            new JWTClaimsSet.Builder()
                .jwtID(UUID.randomUUID().toString())
                .claim("htm", "GET")
                .claim("htu", provider.base() + "/api/quote")
                .issueTime(new Date())
                .claim(
                    "ath",
                    Base64URL.encode(
                            MessageDigest.getInstance("SHA-256")
                                .digest(q.capability().getBytes(StandardCharsets.US_ASCII)))
                        .toString())
                .build());
    proof.sign(new ECDSASigner(foreign));
    HttpResponse<String> refused =
        provider.direct(
            "GET",
            "/api/quote?symbol=ABC",
            Map.of("Authorization", "DPoP " + q.capability(), "DPoP", proof.serialize()));
    assertEquals(refused.body(), 401, refused.statusCode());
    assertEquals("invalid_dpop", refused.headers().firstValue("x-briefcase-error").orElse(null));
    assertEquals("invalid_dpop", JSON.readTree(refused.body()).path("error").asText());
    agent.quoteOk("ABC");
    assertEquals(q.capability(), lastQuote().capability());
    assertEquals(
        "nothing happened on the agent side", receipts, agent.receipts("capability").size());
  }

  /** SPEC §8 acceptance 4, §15 acceptance 4: a provider-side jti revoke → an OAuth re-mint. */
  @Test
  public void e_aJtiRevokedAtTheProviderIsReplacedByAFreshOne() throws Exception {
    String current = lastQuote().capability();
    HttpResponse<String> revoked = provider.revoke(current);
    assertEquals(revoked.body(), 200, revoked.statusCode());
    assertEquals(ProviderSide.jti(current), JSON.readTree(revoked.body()).path("jti").asText());
    int before = provider.tap.seen.size();
    agent.quoteOk("ABC");
    assertEquals(
        List.of("GET /api/quote 403", "POST /token 200", "GET /api/quote 200"),
        ProviderQuoteIT.withoutNonceRounds(routes(before)));
    String fresh = lastQuote().capability();
    assertNotEquals(ProviderSide.jti(current), ProviderSide.jti(fresh));
    JsonNode drop = last("capability", "drop");
    assertEquals("capability_revoked", drop.path("reason").asText());
    JsonNode mint = last("capability", "mint");
    assertEquals("oauth", mint.path("minted_via").asText());
  }

  /**
   * SPEC §8 acceptance 6: the status list cannot be fetched → the VC's status is unknown → the call
   * asks for a local approval (the default {@code require_approval} mode), receipted.
   */
  @Test
  public void f_anUnreachableStatusListAsksForAnApproval() throws Exception {
    Distribution.CliResult fetched = agent.cli("providers", "vc", "fetch", QuoteAgent.PROVIDER);
    assertEquals(fetched.stderr(), 0, fetched.exit());
    assertEquals(0, agent.cli("revoke", "capability", QuoteAgent.PROVIDER).exit());
    int approvals = agent.g.pendingApprovals().size();
    provider.tap.unreachable = path -> path.startsWith("/status/");
    try {
      int before = provider.tap.seen.size();
      McpSchema.CallToolResult r = agent.quote("ABC");
      assertEquals(String.valueOf(r), Boolean.TRUE, r.isError());
      List<String> routes = routes(before);
      assertTrue(routes.toString(), routes.stream().anyMatch(x -> x.matches("GET /status/.* 503")));
      assertFalse(routes.toString(), routes.stream().anyMatch(x -> x.startsWith("POST /token")));
      JsonNode vc = last("vc", "mint");
      assertEquals("approval_required", vc.path("outcome").asText());
      assertEquals("vc_status_unknown", vc.path("code").asText());
      assertTrue(
          agent.receipts("vc_status_check").stream()
              .anyMatch(e -> "unknown".equals(e.path("decision").asText())));
      assertEquals(approvals + 1, agent.g.pendingApprovals().size());
    } finally {
      provider.tap.unreachable = path -> false;
    }
  }

  /** SPEC §8 acceptance 5: the provider revokes the VC → revoked receipt and the OAuth fallback. */
  @Test
  public void g_aRevokedVcStatusFallsBackToOAuth() throws Exception {
    String holder =
        provider.tap.seen.stream()
            .filter(s -> s.route().equals("POST /vc/issue") && s.status() == 200)
            .map(s -> s.target().replaceFirst("^.*[?&]holder_did=([^&]*).*$", "$1"))
            .reduce((x, y) -> y)
            .map(h -> java.net.URLDecoder.decode(h, StandardCharsets.UTF_8))
            .orElseThrow();
    HttpResponse<String> revoked =
        provider.admin(
            "/api/vc/revoke", JSON.createObjectNode().put("holder_did", holder).toString());
    assertEquals(revoked.body(), 200, revoked.statusCode());
    int before = provider.tap.seen.size();
    agent.quoteOk("ABC");
    List<String> routes = routes(before);
    assertTrue(routes.toString(), routes.stream().anyMatch(x -> x.matches("GET /status/.* 200")));
    assertFalse(routes.toString(), routes.contains("POST /token 402"));
    assertTrue(
        agent.receipts("vc_status_check").stream()
            .anyMatch(e -> "revoked".equals(e.path("decision").asText())));
    JsonNode vc = last("vc", "mint");
    assertEquals("fallthrough", vc.path("outcome").asText());
    assertEquals("vc_revoked", vc.path("code").asText());
    assertEquals("oauth", last("capability", "mint").path("minted_via").asText());
  }

  /** SPEC §8 acceptance 1, second half: after OAuth and a VC fetch the VC is used, no payment. */
  @Test
  public void h_afterAVcFetchTheMintUsesTheVc() throws Exception {
    Distribution.CliResult fetched = agent.cli("providers", "vc", "fetch", QuoteAgent.PROVIDER);
    assertEquals(fetched.stderr(), 0, fetched.exit());
    assertEquals(0, agent.cli("revoke", "capability", QuoteAgent.PROVIDER).exit());
    int before = provider.tap.seen.size();
    agent.quoteOk("ABC");
    agent.quoteOk("XYZ");
    List<String> routes = ProviderQuoteIT.withoutNonceRounds(routes(before));
    assertFalse(routes.toString(), routes.contains("POST /token 402"));
    assertEquals(
        routes.toString(),
        List.of("POST /token 200", "GET /api/quote 200", "GET /api/quote 200"),
        routes.stream().filter(x -> !x.startsWith("GET /status/")).toList());
    assertEquals("vc", last("capability", "mint").path("minted_via").asText());
    // the VC goes before the stored OAuth grant: drop it so the next steps see OAuth alone
    Distribution.CliResult dropped = agent.cli("revoke", "vc", QuoteAgent.PROVIDER);
    assertEquals(dropped.stderr(), 0, dropped.exit());
    agent.quoteOk("ABC");
    assertEquals("oauth", last("capability", "mint").path("minted_via").asText());
  }

  /**
   * SPEC §15 acceptance 1: {@code briefcase revoke oauth} with the AS up → revoked there; the next
   * call goes the unauthenticated way, which the priced quote answers with payment_required.
   */
  @Test
  public void i_revokeOAuthAtALiveAsThenTheNextCallIsUnauthenticated() throws Exception {
    int before = provider.tap.seen.size();
    Distribution.CliResult r = agent.cli("revoke", "oauth", QuoteAgent.PROVIDER, "--json");
    assertEquals(r.stderr(), 0, r.exit());
    JsonNode out = JSON.readTree(r.stdout());
    assertTrue(r.stdout(), out.path("remote_revocation_attempted").asBoolean());
    assertTrue(r.stdout(), out.path("remote_revocation_succeeded").asBoolean());
    assertTrue(routes(before).toString(), routes(before).contains("POST /oauth/revoke 200"));
    JsonNode receipt = last("oauth", "revoke");
    assertTrue(receipt.path("remote_revocation_attempted").asBoolean());
    assertTrue(receipt.path("remote_revocation_succeeded").asBoolean());
    assertTrue(receipt.path("had_refresh_token").asBoolean());

    int sent = provider.tap.seen.size();
    McpSchema.CallToolResult paid = agent.quote("ABC");
    assertEquals(String.valueOf(paid), Boolean.TRUE, paid.isError());
    assertTrue(String.valueOf(paid), String.valueOf(paid).contains("payment_required"));
    assertEquals(List.of("POST /token 402"), ProviderQuoteIT.withoutNonceRounds(routes(sent)));
    List<JsonNode> cap = agent.receipts("capability");
    JsonNode failed = last("capability", "mint");
    assertEquals("payment_required", failed.path("code").asText());
    assertTrue(
        cap.toString(),
        cap.stream().anyMatch(e -> "oauth_key_gone".equals(e.path("reason").asText())));
  }

  /**
   * SPEC §15 acceptance 2: with the AS down, {@code briefcase revoke oauth} still deletes locally
   * and writes its receipt, saying the revocation at the AS did not succeed.
   */
  @Test
  public void j_revokeOAuthWithTheAsDownDeletesLocallyAndSaysSo() throws Exception {
    agent.login(provider.base());
    agent.quoteOk("ABC");
    assertEquals("oauth", last("capability", "mint").path("minted_via").asText());
    providerReceipts = provider.dist.get("/v1/receipts/export?after_id=0").body();
    provider.dist.stop();
    Distribution.CliResult r = agent.cli("revoke", "oauth", QuoteAgent.PROVIDER, "--json");
    assertEquals(r.stderr(), 0, r.exit());
    JsonNode out = JSON.readTree(r.stdout());
    assertFalse(r.stdout(), out.path("remote_revocation_succeeded").asBoolean());
    JsonNode receipt = last("oauth", "revoke");
    assertTrue(receipt.path("had_refresh_token").asBoolean());
    assertFalse(receipt.path("remote_revocation_succeeded").asBoolean());
    Distribution.CliResult status = agent.cli("providers", "status", QuoteAgent.PROVIDER);
    assertEquals(status.stderr(), 0, status.exit());
    assertFalse(status.stdout(), status.stdout().matches("(?s).*refresh token:\\s+stored.*"));
    McpSchema.CallToolResult down = agent.quote("ABC");
    assertEquals(String.valueOf(down), Boolean.TRUE, down.isError());
  }

  @Test
  public void z_noCredentialInAnythingEitherSideWroteOrShowed() throws Exception {
    assertTrue("credentials were used", provider.tap.values.size() >= 6);
    agent.assertNoneOf(
        provider.tap.values,
        List.of(
            "provider daemon log " + Files.readString(provider.dist.logFile),
            "provider receipts " + providerReceipts));
  }

  private static final String PROFILE = "x-briefcase-compatibility-profile";

  private static TapProxy.Seen lastQuote() {
    List<TapProxy.Seen> quotes =
        provider.tap.seen.stream()
            .filter(s -> s.route().equals("GET /api/quote") && s.status() == 200)
            .toList();
    return quotes.get(quotes.size() - 1);
  }

  /** The newest receipt event of {@code type} (and {@code action} when given). */
  private static JsonNode last(String type, String action) throws Exception {
    List<JsonNode> events =
        agent.receipts(type).stream()
            .filter(e -> action == null || action.equals(e.path("action").asText()))
            .toList();
    assertFalse("a " + type + " " + action + " receipt", events.isEmpty());
    return events.get(events.size() - 1);
  }

  private static List<String> routes(int from) {
    return provider.tap.seen.subList(from, provider.tap.seen.size()).stream()
        .map(s -> s.route() + " " + s.status())
        .toList();
  }
}
