package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * SPEC §8.4/§8.5 end to end with two processes: the reference provider ({@code --feature provider},
 * status lists with {@code ttl} 500 ms) behind a tap, and an agent-side Briefcase that logs in with
 * OAuth (the reference AS, scope {@code quote vc}), fetches a VC ({@code briefcase providers vc
 * fetch}), quotes with it (a mint with {@code x-vc-jwt}, no access token), and after the provider
 * revokes the VC falls through to OAuth on a following call; the delay is printed, never asserted.
 * Finally {@code briefcase revoke vc} deletes the stored VC.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class VcQuoteIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ProviderSide provider;
  private static QuoteAgent agent;

  @BeforeClass
  public static void start() throws Exception {
    // the shipped gateway configuration with a 500 ms status list ttl
    provider = ProviderSide.start("vc", Map.of(), Map.of("status.ttl.ms:Long", 500));
    agent = QuoteAgent.start("vc-quote", provider.base(), "quote vc");
    agent.login(provider.base());
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

  @Test
  public void a_theCliFetchesAVcAndTheAnswerCarriesNoCredential() throws Exception {
    Distribution.CliResult fetched = agent.cli("providers", "vc", "fetch", "demo");
    assertEquals(fetched.stderr(), 0, fetched.exit());
    assertTrue(fetched.stdout(), fetched.stdout().contains("issuer:     did:key:z"));
    assertTrue(fetched.stdout(), fetched.stdout().contains("scope:      quote"));
    assertFalse(fetched.stdout(), fetched.stdout().contains("eyJ"));
    assertTrue(routes(0).toString(), routes(0).contains("POST /vc/issue 200"));
  }

  @Test
  public void b_aQuoteMintsWithTheVcAndNoAccessToken() throws Exception {
    int before = provider.tap.seen.size();
    quoteOk("ABC");
    List<TapProxy.Seen> after = provider.tap.seen.subList(before, provider.tap.seen.size());
    List<TapProxy.Seen> mints =
        after.stream().filter(s -> s.route().equals("POST /token") && s.status() == 200).toList();
    assertEquals(after.toString(), 1, mints.size());
    assertNull("the VC mint carries no access token", mints.get(0).capability());
    assertTrue(
        after.toString(), after.stream().anyMatch(s -> s.route().equals("GET /status/revocation")));
    assertFalse(
        after.toString(), after.stream().anyMatch(s -> s.route().startsWith("POST /oauth")));
    assertEquals("vc", lastMintedVia());
    quoteOk("XYZ");
    assertEquals("vc", lastMintedVia());
  }

  @Test
  public void c_theProviderRevokesTheVcAndTheNextCallsFallThroughToOAuth() throws Exception {
    String holder = holderDid();
    HttpResponse<String> revoked =
        provider.admin(
            "/api/vc/revoke", JSON.createObjectNode().put("holder_did", holder).toString());
    assertEquals(revoked.body(), 200, revoked.statusCode());
    long t0 = System.nanoTime();
    long fellThrough = -1;
    int calls = 0;
    while (fellThrough < 0 && System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos()) {
      quoteOk("REV");
      calls++;
      if ("oauth".equals(lastMintedVia())) {
        fellThrough = System.nanoTime() - t0;
      } else {
        Thread.sleep(50);
      }
    }
    assertTrue("the quote fell through to OAuth", fellThrough >= 0);
    System.out.printf(
        "VcQuoteIT: provider-side VC revoke -> first OAuth mint after %d ms (%d quotes)%n",
        fellThrough / 1_000_000, calls);
    List<JsonNode> checks = events("vc_status_check");
    assertTrue(
        "the revocation list's answer is receipted: " + checks,
        checks.stream()
            .anyMatch(
                c ->
                    c.path("purpose").asText().equals("revocation")
                        && c.path("decision").asText().equals("revoked")
                        && c.path("value").asLong() == 1));
    // and it stays on OAuth: the revoked VC is not presented again
    int before = provider.tap.seen.size();
    Distribution.CliResult dropped = agent.cli("revoke", "capability", "demo");
    assertEquals(dropped.stderr(), 0, dropped.exit());
    quoteOk("AGN");
    assertEquals("oauth", lastMintedVia());
    assertFalse(
        provider.tap.seen.subList(before, provider.tap.seen.size()).stream()
            .anyMatch(s -> s.route().startsWith("GET /status")));
  }

  @Test
  public void d_revokeVcDeletesTheStoredVc() throws Exception {
    assertTrue(agent.g.dist.get("/v1/secrets").body().contains("vc.demo.jwt"));
    Distribution.CliResult r = agent.cli("revoke", "vc", "demo");
    assertEquals(r.stderr(), 0, r.exit());
    assertTrue(r.stdout(), r.stdout().contains("stored VC deleted"));
    assertFalse(agent.g.dist.get("/v1/secrets").body().contains("vc.demo.jwt"));
    quoteOk("END");
    assertEquals("oauth", lastMintedVia());
  }

  @Test
  public void z_noVcOrTokenInWhatTheAgentOrItsOperatorSees() throws Exception {
    String receipts = agent.g.dist.get("/v1/receipts/export?after_id=0").body();
    assertFalse("a JWT in the receipts", receipts.contains("eyJ"));
    assertFalse("a JWT in the log", Files.readString(agent.g.dist.logFile).contains("eyJ"));
  }

  // --- helpers ----------------------------------------------------------------------------------

  private static void quoteOk(String symbol) {
    agent.quoteOk(symbol);
  }

  private static List<JsonNode> events(String type) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : agent.g.dist.get("/v1/receipts/export?after_id=0").body().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode record = JSON.readTree(line);
      JsonNode event = record.path("event");
      if (type.equals(event.path("type").asText())) {
        out.add(event);
      }
    }
    return out;
  }

  private static String lastMintedVia() throws Exception {
    String via = null;
    for (JsonNode e : events("capability")) {
      if (e.path("action").asText().equals("mint") && e.path("outcome").asText().equals("ok")) {
        via = e.path("minted_via").asText();
      }
    }
    return via;
  }

  private static List<String> routes(int from) {
    return provider.tap.seen.subList(from, provider.tap.seen.size()).stream()
        .map(s -> s.route() + " " + s.status())
        .toList();
  }

  /** The agent's holder DID: did:key of its Ed25519 identity key (multicodec 0xed01, base58btc). */
  private static String holderDid() throws Exception {
    JsonNode jwk = agent.g.dist.get("/v1/keys/identity/public").json();
    byte[] x = Base64.getUrlDecoder().decode(jwk.path("x").asText());
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0xed);
    b.write(0x01);
    b.write(x);
    return "did:key:z" + base58(b.toByteArray());
  }

  private static String base58(byte[] in) {
    String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    BigInteger n = new BigInteger(1, in);
    StringBuilder sb = new StringBuilder();
    BigInteger radix = BigInteger.valueOf(58);
    while (n.signum() > 0) {
      BigInteger[] qr = n.divideAndRemainder(radix);
      sb.append(alphabet.charAt(qr[1].intValue()));
      n = qr[0];
    }
    for (int i = 0; i < in.length && in[i] == 0; i++) {
      sb.append('1');
    }
    return sb.reverse().toString();
  }
}
