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
 * feature file) against a loopback API that wants an API key: the key goes from the secret store to
 * the upstream through step 8 and egress, and never comes back — not in a tool result, not in a
 * receipt, not in a log. Refusals have their codes: a wrong key is {@code credential_rejected}, a
 * tool without a manifest sends nothing, a missing secret is {@code missing_secret} before anything
 * is sent. One distribution serves the whole class; the last test searches everything the agent and
 * the operator can see for the canary.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class HttpConnectorIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The API key: a canary that must never leave the path secret store → upstream. */
  private static final String KEY = "sk-canary-" + UUID.randomUUID();

  private static final String WRONG_KEY = "sk-wrong-canary-" + UUID.randomUUID();

  private static KeyedUpstream upstream;
  private static Gateway g;
  private static McpSyncClient agent;

  /** Everything the agent was answered, for the canary search. */
  private static final List<McpSchema.CallToolResult> SEEN_BY_AGENT = new ArrayList<>();

  @BeforeClass
  public static void start() throws Exception {
    upstream = KeyedUpstream.start(KEY);
    Path work = Files.createTempDirectory("briefcase-http-connector");
    Path tools = Files.writeString(work.resolve("acme-tools.json"), apiKeyTools());
    Path feature =
        Files.writeString(
            work.resolve("http-itest.json"),
            feature(Map.of("acme", tools.toString())),
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
        List.of(
            new KeyedUpstream.Seen("GET", "/items", KEY),
            new KeyedUpstream.Seen("POST", "/items", KEY)),
        upstream.seen());

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
        List.of(new KeyedUpstream.Seen("GET", "/items", WRONG_KEY)),
        upstream.seen().subList(before, upstream.seen().size()));
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
