package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
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
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
  private static final String ADMIN_SECRET = "provider-admin-" + UUID.randomUUID();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static int providerPort;
  private static TapProxy tap;
  private static Distribution provider;
  private static Gateway g;
  private static McpSyncClient agent;

  @BeforeClass
  public static void start() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      providerPort = s.getLocalPort();
    }
    tap = new TapProxy("http://127.0.0.1:" + providerPort);
    // the gateway's configuration of features/provider.json with a 500 ms status list ttl
    Path providerWork = Files.createTempDirectory("briefcase-vc-provider-feature");
    JsonNode shipped =
        JSON.readTree(Distribution.home().resolve("features/provider.json").toFile());
    ObjectNode gateway =
        ((ObjectNode) shipped.path("configurations").path("dev.briefcase.provider.gateway"))
            .deepCopy();
    gateway.remove("status.ttl.ms:Long");
    gateway.put("status.ttl.ms:Long", 500);
    ObjectNode pf = JSON.createObjectNode();
    pf.put("feature-resource-version", "1.0");
    pf.put("id", "dev.briefcase:dev.briefcase.feature.itest-vc-provider:0.1.0-SNAPSHOT");
    pf.putArray("bundles");
    pf.putObject("configurations").set("dev.briefcase.provider.gateway", gateway);
    Path providerFeature =
        Files.writeString(providerWork.resolve("vc-provider.json"), pf.toString());
    provider =
        new Distribution(Files.createTempDirectory("briefcase-vc-provider-side"))
            .startArgs("--feature", "provider", "--feature", providerFeature.toString())
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

    Path work = Files.createTempDirectory("briefcase-vc-agent-side");
    ObjectNode f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-vc-quote:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    f.putObject("configurations")
        .putObject("dev.briefcase.connector.provider~demo")
        .put("connector.id", "provider-demo")
        .put("provider.id", "demo");
    Path feature = Files.writeString(work.resolve("vc-quote.json"), f.toString());
    g =
        Gateway.start(
            "vc-quote",
            Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"),
            "--feature",
            "connectors",
            "--feature",
            feature.toString());
    // the credential service comes up with the OAuth bundle, shortly after the admin API
    Distribution.Answer added =
        Poll.await(
            () -> {
              try {
                Distribution.Answer r =
                    g.dist.post(
                        "/v1/providers",
                        "{\"id\":\"demo\",\"base_url\":\""
                            + tap.base()
                            + "\",\"scope\":\"quote vc\"}");
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
    login();
    agent = client(g);
    agent.initialize();
  }

  /** The agent side's OAuth login at the reference AS (auto consent), as the CLI would do it. */
  private static void login() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Distribution.Answer started =
        g.dist.post(
            "/v1/providers/demo/oauth/start",
            JSON.createObjectNode()
                .put("redirect_uri", "http://127.0.0.1:" + port + "/callback")
                .put("scope", "quote vc")
                .toString());
    assertEquals(started.body(), 200, started.status());
    String url = started.json().path("authorization_url").asText();
    HttpResponse<String> authorized =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .build()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(authorized.body(), 302, authorized.statusCode());
    Map<String, String> q = new HashMap<>();
    String location = authorized.headers().firstValue("Location").orElseThrow();
    for (String pair : URI.create(location).getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      q.put(
          pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    ObjectNode exchange =
        JSON.createObjectNode().put("code", q.get("code")).put("state", q.get("state"));
    if (q.containsKey("iss")) {
      exchange.put("iss", q.get("iss"));
    }
    Distribution.Answer done =
        g.dist.post("/v1/providers/demo/oauth/exchange", exchange.toString());
    assertEquals(done.body(), 200, done.status());
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
  public void a_theCliFetchesAVcAndTheAnswerCarriesNoCredential() throws Exception {
    Distribution.CliResult fetched = g.dist.cli("providers", "vc", "fetch", "demo");
    assertEquals(fetched.stderr(), 0, fetched.exit());
    assertTrue(fetched.stdout(), fetched.stdout().contains("issuer:     did:key:z"));
    assertTrue(fetched.stdout(), fetched.stdout().contains("scope:      quote"));
    assertFalse(fetched.stdout(), fetched.stdout().contains("eyJ"));
    assertTrue(routes(0).toString(), routes(0).contains("POST /vc/issue 200"));
  }

  @Test
  public void b_aQuoteMintsWithTheVcAndNoAccessToken() throws Exception {
    int before = tap.seen.size();
    quoteOk("ABC");
    List<TapProxy.Seen> after = tap.seen.subList(before, tap.seen.size());
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
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + providerPort + "/api/vc/revoke"))
                .header("x-aag-admin-secret", ADMIN_SECRET)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.createObjectNode().put("holder_did", holder).toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
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
    int before = tap.seen.size();
    Distribution.CliResult dropped = g.dist.cli("revoke", "capability", "demo");
    assertEquals(dropped.stderr(), 0, dropped.exit());
    quoteOk("AGN");
    assertEquals("oauth", lastMintedVia());
    assertFalse(
        tap.seen.subList(before, tap.seen.size()).stream()
            .anyMatch(s -> s.route().startsWith("GET /status")));
  }

  @Test
  public void d_revokeVcDeletesTheStoredVc() throws Exception {
    assertTrue(g.dist.get("/v1/secrets").body().contains("vc.demo.jwt"));
    Distribution.CliResult r = g.dist.cli("revoke", "vc", "demo");
    assertEquals(r.stderr(), 0, r.exit());
    assertTrue(r.stdout(), r.stdout().contains("stored VC deleted"));
    assertFalse(g.dist.get("/v1/secrets").body().contains("vc.demo.jwt"));
    quoteOk("END");
    assertEquals("oauth", lastMintedVia());
  }

  @Test
  public void z_noVcOrTokenInWhatTheAgentOrItsOperatorSees() throws Exception {
    String receipts = g.dist.get("/v1/receipts/export?after_id=0").body();
    assertFalse("a JWT in the receipts", receipts.contains("eyJ"));
    assertFalse("a JWT in the log", Files.readString(g.dist.logFile).contains("eyJ"));
  }

  // --- helpers ----------------------------------------------------------------------------------

  private static void quoteOk(String symbol) {
    McpSchema.CallToolResult r =
        agent.callTool(new McpSchema.CallToolRequest("quote", Map.of("symbol", symbol)));
    assertEquals("quote " + symbol + ": " + r, Boolean.FALSE, r.isError());
    assertNotNull(r.structuredContent());
  }

  private static List<JsonNode> events(String type) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : g.dist.get("/v1/receipts/export?after_id=0").body().split("\n")) {
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
    return tap.seen.subList(from, tap.seen.size()).stream()
        .map(s -> s.route() + " " + s.status())
        .toList();
  }

  /** The agent's holder DID: did:key of its Ed25519 identity key (multicodec 0xed01, base58btc). */
  private static String holderDid() throws Exception {
    JsonNode jwk = g.dist.get("/v1/keys/identity/public").json();
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
        .clientInfo(new McpSchema.Implementation("briefcase-itest-vc-agent", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(30))
        .build();
  }
}
