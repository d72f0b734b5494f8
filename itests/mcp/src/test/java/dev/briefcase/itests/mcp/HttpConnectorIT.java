package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.oauth.internal.HeadlessLogin;
import dev.briefcase.oauth.internal.OAuthFixture;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
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
 * An agent on the Java MCP SDK calls tools of the HTTP connector (connector-http, configured by a
 * feature file) and the credentials stay behind the boundary. Against a loopback API that wants an
 * API key: the key goes from the secret store to the upstream through step 8 and egress; a wrong
 * key is {@code credential_rejected}, a tool without a manifest sends nothing, a missing secret is
 * {@code missing_secret} before anything is sent. Against bundles/oauth's real authorization server
 * and DPoP-checking resource: a login, calls with a DPoP-bound token, and after {@code briefcase
 * revoke oauth} the next call is {@code credential_revoked}. Neither the key nor any JWT is in a
 * tool result, a receipt, the log or the data directory. One distribution serves the class; the
 * tests run in name order and the last one searches what the ones before left behind.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class HttpConnectorIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The API key: a canary that must never leave the path secret store → upstream. */
  private static final String KEY = "sk-canary-" + UUID.randomUUID();

  private static final String WRONG_KEY = "sk-wrong-canary-" + UUID.randomUUID();

  /** The OAuth provider Briefcase logs in to: the fixture's resource {@code /api}. */
  private static final String PROVIDER = "api";

  private static KeyedUpstream upstream;
  private static OAuthFixture fixture;
  private static Gateway g;
  private static McpSyncClient agent;

  /** Everything the agent was answered, for the canary search. */
  private static final List<McpSchema.CallToolResult> SEEN_BY_AGENT = new ArrayList<>();

  @BeforeClass
  public static void start() throws Exception {
    upstream = KeyedUpstream.start(KEY);
    System.setProperty(
        "briefcase.oauth.js",
        FeatureBundles.root().resolve("bundles/oauth/src/test/js").toString());
    fixture = OAuthFixture.start();
    Path work = Files.createTempDirectory("briefcase-http-connector");
    Path acme = Files.writeString(work.resolve("acme-tools.json"), apiKeyTools());
    Path resource = Files.writeString(work.resolve("resource-tools.json"), oauthTools());
    Path feature =
        Files.writeString(
            work.resolve("http-itest.json"),
            feature(Map.of("acme", acme.toString(), "resource", resource.toString())),
            StandardCharsets.UTF_8);
    g =
        Gateway.start(
            "http-connector",
            Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"),
            "--feature",
            "connectors",
            "--feature",
            feature.toString());
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
      if (upstream != null) {
        upstream.close();
      }
      if (fixture != null) {
        fixture.close();
      }
    }
  }

  @Test
  public void a_apiKeyReadAndApprovedWriteReachTheUpstreamWithTheKey() throws Exception {
    putSecret("acme.key", KEY);
    for (String tool : List.of("acme_read", "acme_write")) {
      putManifest(tool, "127.0.0.1", "/items");
    }
    // a write that can reach the network asks for the paired signer under the default policy;
    // this operator lets a local approval do for this one tool
    allowLocalApproval("acme_write");

    List<String> names =
        agent.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toList());
    assertTrue(
        "connector tools listed: " + names,
        names.containsAll(List.of("acme_read", "acme_write", "acme_no_secret")));

    McpSchema.CallToolResult read = call("acme_read", Map.of());
    assertEquals("read: " + read, Boolean.FALSE, read.isError());
    Map<?, ?> content = (Map<?, ?>) read.structuredContent();
    assertEquals("read status: " + read, 200, ((Number) content.get("status")).intValue());
    assertEquals(
        "the upstream's body: " + read,
        Map.of("ok", true, "method", "GET", "path", "/items"),
        content.get("body"));

    Map<String, Object> item = Map.of("name", "widget");
    McpSchema.CallToolResult asked = call("acme_write", item);
    assertEquals("write asks first: " + asked, Boolean.TRUE, asked.isError());
    String approvalId = approvalId(asked);
    assertNotNull("_meta.approval.id: " + asked, approvalId);
    assertEquals("nothing sent before the approval", 1, upstream.seen().size());
    g.approve(approvalId);

    McpSchema.CallToolResult wrote = call("acme_write", item);
    assertEquals("approved write: " + wrote, Boolean.FALSE, wrote.isError());
    Map<?, ?> written = (Map<?, ?>) wrote.structuredContent();
    assertEquals(200, ((Number) written.get("status")).intValue());
    assertEquals("POST", ((Map<?, ?>) written.get("body")).get("method"));

    assertEquals(
        "the upstream saw the key on exactly the read and the approved write",
        List.of("GET /items with the key", "POST /items with the key"),
        seenByUpstream(0));

    List<JsonNode> receipts = g.toolCallReceipts();
    for (String tool : List.of("acme_read", "acme_write")) {
      JsonNode allow = onlyReceipt(receipts, tool, "allow");
      assertEquals(
          "auth_method of " + tool + ": " + allow, "api_key", allow.path("auth_method").asText());
    }
  }

  @Test
  public void b_aWrongKeyIsRejectedAndTheUpstreamSawThatKeyOnce() throws Exception {
    putSecret("acme.wrong", WRONG_KEY);
    putManifest("acme_wrong_key", "127.0.0.1", "/items");
    int before = upstream.seen().size();

    McpSchema.CallToolResult r = call("acme_wrong_key", Map.of());
    assertEquals("refused: " + r, Boolean.TRUE, r.isError());
    assertTrue("credential_rejected: " + text(r), text(r).contains("credential_rejected"));
    assertEquals(
        "one try: an API key cannot be refreshed",
        List.of("GET /items with the wrong key"),
        seenByUpstream(before));
  }

  /**
   * No manifest is deny-all: a credentialed tool's credential will not even make headers for a
   * target the manifest does not allow, and egress refuses a tool without a credential.
   */
  @Test
  public void c_withoutAManifestNothingIsSent() throws Exception {
    int before = upstream.seen().size();
    McpSchema.CallToolResult keyed = call("acme_no_manifest", Map.of());
    assertEquals("refused: " + keyed, Boolean.TRUE, keyed.isError());
    assertTrue(
        "the credential refuses the target: " + text(keyed),
        text(keyed).startsWith("Error: credential_target_refused"));

    McpSchema.CallToolResult open = call("acme_public", Map.of());
    assertEquals("refused: " + open, Boolean.TRUE, open.isError());
    assertTrue(
        "egress refuses the host: " + text(open),
        text(open).startsWith("Error: egress_host_not_allowed"));
    assertEquals("the upstream saw nothing", before, upstream.seen().size());
  }

  @Test
  public void d_aMissingSecretFailsBeforeAnythingIsSent() throws Exception {
    putManifest("acme_no_secret", "127.0.0.1", "/items");
    int before = upstream.seen().size();
    McpSchema.CallToolResult r = call("acme_no_secret", Map.of());
    assertEquals("refused: " + r, Boolean.TRUE, r.isError());
    assertTrue("missing_secret: " + text(r), text(r).contains("missing_secret"));
    assertEquals("the upstream saw nothing", before, upstream.seen().size());
  }

  /**
   * The real authorization server and a resource that checks the DPoP-bound token (cnf.jkt, htm,
   * htu, ath, iat, replayed jti): a login through the admin API, two calls through the agent reach
   * the resource, then a revocation makes the very next call fail with {@code credential_revoked}
   * without anything being sent.
   */
  @Test
  public void e_oauthWithDpopUntilRevoked() throws Exception {
    Distribution.Answer added =
        g.dist.post(
            "/v1/providers",
            JSON.createObjectNode()
                .put("id", PROVIDER)
                .put("base_url", fixture.rs)
                .put("resource_url", fixture.rs + "/api")
                .put("scope", "api:read")
                .toString());
    assertTrue("provider added: " + added.body(), added.status() / 100 == 2);
    putManifest("resource_read", "127.0.0.1", "/api/");
    putManifest("resource_write", "127.0.0.1", "/api/");
    allowLocalApproval("resource_write");
    login(PROVIDER);

    // as an agent would: the write needs a human, who approves; then the DPoP-bound call goes out
    long beforeWrite = apiHits();
    Map<String, Object> item = Map.of("name", "gadget");
    McpSchema.CallToolResult asked = call("resource_write", item);
    assertEquals("the oauth write asks first: " + asked, Boolean.TRUE, asked.isError());
    String approvalId = approvalId(asked);
    assertNotNull("_meta.approval.id: " + asked, approvalId);
    assertEquals("nothing reached the resource before the approval", beforeWrite, apiHits());
    g.approve(approvalId);
    McpSchema.CallToolResult wrote = call("resource_write", item);
    assertEquals("approved oauth write: " + wrote, Boolean.FALSE, wrote.isError());
    Map<?, ?> written = (Map<?, ?>) wrote.structuredContent();
    assertEquals("status: " + wrote, 200, ((Number) written.get("status")).intValue());
    Map<?, ?> writtenBody = (Map<?, ?>) written.get("body");
    // the resource echoes a POST's body once the token and proof pass its checks
    assertEquals(
        "the resource accepted token and proof: " + wrote, "gadget", writtenBody.get("name"));
    assertEquals("the resource counted the approved write", beforeWrite + 1, apiHits());

    long hitsBefore = apiHits();
    for (int i = 1; i <= 2; i++) {
      McpSchema.CallToolResult r = call("resource_read", Map.of("item", "i" + i));
      assertEquals("oauth call " + i + ": " + r, Boolean.FALSE, r.isError());
      Map<?, ?> content = (Map<?, ?>) r.structuredContent();
      assertEquals("status: " + r, 200, ((Number) content.get("status")).intValue());
      Map<?, ?> body = (Map<?, ?>) content.get("body");
      assertEquals("the resource accepted the token and proof: " + r, Boolean.TRUE, body.get("ok"));
      assertEquals("/api/items/i" + i, body.get("path"));
      assertTrue("scope: " + body, String.valueOf(body.get("scope")).contains("api:read"));
    }
    assertEquals("the resource counted both calls", hitsBefore + 2, apiHits());
    List<JsonNode> oauthReceipts =
        g.toolCallReceipts().stream()
            .filter(e -> "resource_read".equals(e.path("tool_id").asText()))
            .toList();
    assertEquals("two receipts: " + oauthReceipts, 2, oauthReceipts.size());
    for (JsonNode allow : oauthReceipts) {
      assertEquals("allow", allow.path("decision").asText());
      assertEquals("auth_method: " + allow, "oauth", allow.path("auth_method").asText());
    }

    long revoking = System.nanoTime();
    Distribution.CliResult revoked = g.dist.cli("revoke", "oauth", PROVIDER);
    long revokedAt = System.nanoTime();
    assertEquals(revoked.stdout() + revoked.stderr(), 0, revoked.exit());
    McpSchema.CallToolResult after = call("resource_read", Map.of("item", "i3"));
    long elapsedMs = (System.nanoTime() - revokedAt) / 1_000_000;
    System.out.println(
        "[http-connector] revocation: from `briefcase revoke oauth` returning to the agent's"
            + " next answer ("
            + text(after)
            + ") "
            + elapsedMs
            + " ms (the command itself took "
            + (revokedAt - revoking) / 1_000_000
            + " ms)");
    assertEquals("revoked: " + after, Boolean.TRUE, after.isError());
    assertTrue(
        "credential_revoked: " + text(after), text(after).startsWith("Error: credential_revoked"));
    assertTrue("answered within 5 s: " + elapsedMs + " ms", elapsedMs < 5000);
    assertEquals("nothing reached the resource after the revocation", hitsBefore + 2, apiHits());
  }

  /**
   * Every call of the tests above left one receipt naming how it authenticated (the refusals too,
   * with their codes), and the chain verifies.
   */
  @Test
  public void y_receiptsNameTheAuthMethodAndTheCode() throws Exception {
    List<String> expected =
        List.of(
            "acme_read allow api_key",
            "acme_write approval_required none",
            "acme_write allow api_key",
            "acme_wrong_key error api_key credential_rejected",
            "acme_no_manifest error api_key credential_target_refused",
            "acme_public error none egress_host_not_allowed",
            "acme_no_secret error api_key missing_secret",
            "resource_write approval_required none",
            "resource_write allow oauth",
            "resource_read allow oauth",
            "resource_read allow oauth",
            "resource_read error oauth credential_revoked");
    List<String> receipts =
        g.toolCallReceipts().stream()
            .map(
                e -> {
                  String line =
                      e.path("tool_id").asText()
                          + " "
                          + e.path("decision").asText()
                          + " "
                          + e.path("auth_method").asText();
                  String message = e.path("message").asText("");
                  return message.isEmpty() ? line : line + " " + message.split(":", 2)[0];
                })
            .toList();
    assertEquals(expected, receipts);
    assertTrue("receipts verify", g.verify().path("ok").asBoolean());
  }

  @Test
  public void z_noCanaryOrJwtInWhatTheAgentOrTheOperatorSees() throws Exception {
    assertFalse("the tests above ran first", SEEN_BY_AGENT.isEmpty());
    List<String> places = new ArrayList<>();
    for (McpSchema.CallToolResult r : SEEN_BY_AGENT) {
      places.add("agent view " + r);
    }
    Distribution.Answer export = g.dist.get("/v1/receipts/export?after_id=0");
    assertEquals(export.body(), 200, export.status());
    places.add("receipts export " + export.body());
    places.add("receipts " + g.dist.get("/v1/receipts?limit=500&offset=0").body());
    places.add("daemon log " + Files.readString(g.dist.logFile));
    for (Path file : stateFiles(g.dist.dataDir)) {
      places.add(file + " " + Files.readString(file, StandardCharsets.ISO_8859_1));
    }
    for (String place : places) {
      String where = place.substring(0, Math.min(80, place.length()));
      assertFalse("the API key in " + where, place.contains(KEY));
      assertFalse("the wrong API key in " + where, place.contains(WRONG_KEY));
      assertFalse("a JWT in " + where, place.contains("eyJ"));
    }
    System.out.println(
        "[http-connector] searched "
            + places.size()
            + " places ("
            + SEEN_BY_AGENT.size()
            + " tool results, receipts, the log, the data directory) for the canaries and JWTs: none");
  }

  // ---- set-up through the admin API, as an operator would

  private static void putSecret(String id, String value) throws Exception {
    String b64 = Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    Distribution.Answer a = g.dist.post("/v1/secrets/" + id, "{\"value_b64\":\"" + b64 + "\"}");
    assertEquals("secret " + id + ": " + a.body(), 200, a.status());
  }

  private static void putManifest(String tool, String host, String pathPrefix) throws Exception {
    String manifest =
        JSON.createObjectNode()
            .put("runtime", "connector")
            .set(
                "egress",
                JSON.createObjectNode()
                    .<ObjectNode>set("allowed_hosts", JSON.createArrayNode().add(host))
                    .set("allowed_http_path_prefixes", JSON.createArrayNode().add(pathPrefix)))
            .toString();
    Distribution.Answer a = g.dist.post("/v1/tools/" + tool + "/manifest", manifest);
    assertEquals("manifest " + tool + ": " + a.body(), 200, a.status());
  }

  private static void allowLocalApproval(String tool) throws Exception {
    String policy = g.dist.get("/v1/policy").json().path("policy_text").asText();
    String text =
        policy
            + "\n@id(\"itest-local-approval-"
            + tool
            + "\")\npermit (principal, action == Action::\"CallWithoutSigner\", resource =="
            + " Tool::\""
            + tool
            + "\");\n";
    Distribution.Answer a =
        g.dist.post("/v1/policy", JSON.createObjectNode().put("policy_text", text).toString());
    assertEquals("policy applied: " + a.body(), 200, a.status());
  }

  /**
   * A login through the admin API as the console or CLI does it: start with a loopback redirect,
   * the user (played headlessly) logs in and consents at the AS, the redirect's code is exchanged.
   */
  private static void login(String provider) throws Exception {
    String redirect = "http://127.0.0.1:9/callback";
    Distribution.Answer started =
        g.dist.post(
            "/v1/providers/" + provider + "/oauth/start",
            JSON.createObjectNode().put("redirect_uri", redirect).toString());
    assertEquals("login start: " + started.body(), 200, started.status());
    URI callback =
        HeadlessLogin.login(
            URI.create(started.json().path("authorization_url").asText()), redirect, "frank");
    ObjectNode exchange =
        JSON.createObjectNode()
            .put("code", HeadlessLogin.param(callback, "code"))
            .put("state", started.json().path("state").asText());
    String iss = HeadlessLogin.param(callback, "iss");
    if (iss != null) {
      exchange.put("iss", iss);
    }
    Distribution.Answer done =
        g.dist.post("/v1/providers/" + provider + "/oauth/exchange", exchange.toString());
    assertEquals("login exchange: " + done.body(), 200, done.status());
    assertTrue("a DPoP-bound grant: " + done.body(), done.json().path("dpop_bound").asBoolean());
  }

  /** How many requests the fixture's resource {@code /api} accepted (token and proof checked). */
  private static long apiHits() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(fixture.rs + "/control/hits")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(r.body(), 200, r.statusCode());
    return JSON.readTree(r.body()).path("/api").asLong();
  }

  // ---- the files the distribution starts with

  private static String apiKeyTools() throws Exception {
    var file = JSON.createObjectNode();
    file.put("base_url", upstream.baseUrl());
    file.set("credential", apiKeyNeed("acme.key"));
    var tools = file.putArray("tools");
    tools.add(tool("acme_read", "GET", null));
    ObjectNode write = tool("acme_write", "POST", null);
    ObjectNode schema = (ObjectNode) write.get("input_schema");
    schema.putObject("properties").putObject("name").put("type", "string");
    schema.putArray("required").add("name");
    tools.add(write);
    tools.add(tool("acme_wrong_key", "GET", apiKeyNeed("acme.wrong")));
    tools.add(tool("acme_no_manifest", "GET", null));
    tools.add(tool("acme_no_secret", "GET", apiKeyNeed("acme.absent")));
    tools.add(tool("acme_public", "GET", NullNode.getInstance()));
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(file);
  }

  /** One read tool on the fixture's resource, under {@code /api/}, with the provider's token. */
  private static String oauthTools() throws Exception {
    ObjectNode file = JSON.createObjectNode();
    file.put("base_url", fixture.rs);
    file.putObject("credential").put("strategy", "oauth").put("reference", PROVIDER);
    ObjectNode read = tool("resource_read", "GET", null);
    read.put("path", "/api/items/{item}");
    ObjectNode schema = (ObjectNode) read.get("input_schema");
    schema.putObject("properties").putObject("item").put("type", "string");
    schema.putArray("required").add("item");
    ObjectNode write = tool("resource_write", "POST", null);
    write.put("path", "/api/items");
    ObjectNode writeSchema = (ObjectNode) write.get("input_schema");
    writeSchema.putObject("properties").putObject("name").put("type", "string");
    writeSchema.putArray("required").add("name");
    file.putArray("tools").add(read).add(write);
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(file);
  }

  private static ObjectNode tool(String id, String method, JsonNode credential) {
    var t = JSON.createObjectNode();
    t.put("id", id);
    t.put("method", method);
    t.put("path", "/items");
    t.putObject("input_schema").put("type", "object").put("additionalProperties", false);
    if (credential != null) {
      t.set("credential", credential);
    }
    return t;
  }

  private static JsonNode apiKeyNeed(String reference) {
    var need = JSON.createObjectNode().put("strategy", "api_key").put("reference", reference);
    need.putObject("options").put("header", "X-Api-Key");
    return need;
  }

  /** A feature with one {@code dev.briefcase.connector.http} configuration per connector. */
  private static String feature(Map<String, String> toolFiles) {
    var f = JSON.createObjectNode();
    f.put("feature-resource-version", "1.0");
    f.put("id", "dev.briefcase:dev.briefcase.feature.itest-http:0.1.0-SNAPSHOT");
    f.putArray("bundles");
    var configurations = f.putObject("configurations");
    toolFiles.forEach(
        (id, file) ->
            configurations
                .putObject("dev.briefcase.connector.http~" + id)
                .put("connector.id", id)
                .put("tools.file", file)
                .put("dev.loopback", true));
    return f.toString();
  }

  // ---- the agent

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
        .clientInfo(new McpSchema.Implementation("briefcase-itest-http-agent", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(30))
        .build();
  }

  private static McpSchema.CallToolResult call(String tool, Map<String, Object> args) {
    McpSchema.CallToolResult r = agent.callTool(new McpSchema.CallToolRequest(tool, args));
    SEEN_BY_AGENT.add(r);
    return r;
  }

  private static String approvalId(McpSchema.CallToolResult r) {
    Object approval = r.meta() == null ? null : r.meta().get("approval");
    Object id = approval instanceof Map<?, ?> m ? m.get("id") : null;
    return id == null ? null : id.toString();
  }

  private static String text(McpSchema.CallToolResult r) {
    return r.content().stream()
        .filter(c -> c instanceof McpSchema.TextContent)
        .map(c -> ((McpSchema.TextContent) c).text())
        .collect(Collectors.joining("\n"));
  }

  /**
   * The upstream's requests from index {@code from} on, naming the key each carried rather than
   * showing it, so a failure message never prints a canary.
   */
  private static List<String> seenByUpstream(int from) {
    List<KeyedUpstream.Seen> seen = upstream.seen();
    return seen.subList(from, seen.size()).stream()
        .map(
            r ->
                r.method()
                    + " "
                    + r.path()
                    + " with "
                    + (KEY.equals(r.apiKey())
                        ? "the key"
                        : WRONG_KEY.equals(r.apiKey())
                            ? "the wrong key"
                            : r.apiKey() == null ? "no key" : "another key"))
        .toList();
  }

  private static JsonNode onlyReceipt(List<JsonNode> receipts, String tool, String decision) {
    List<JsonNode> matching =
        receipts.stream()
            .filter(e -> tool.equals(e.path("tool_id").asText()))
            .filter(e -> decision.equals(e.path("decision").asText()))
            .toList();
    assertEquals(tool + " " + decision + " receipts: " + receipts, 1, matching.size());
    return matching.get(0);
  }

  /**
   * What the daemon keeps in its data directory — database, logs, configuration — except the
   * encrypted secret store (where the key belongs) and the framework's bundle cache.
   */
  private static List<Path> stateFiles(Path dataDir) throws Exception {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> !p.startsWith(dataDir.resolve("felix-cache")))
          .filter(p -> !p.startsWith(dataDir.resolve("secrets")))
          .filter(p -> !p.equals(dataDir.resolve("master.key")))
          .toList();
    }
  }
}
