package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.testing.Poll;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.Test;

/**
 * An agent built on the Java MCP SDK ({@code io.modelcontextprotocol.sdk:mcp} 2.1.0, streamable
 * HTTP client transport) against the gateway: list, echo, and the two approval paths of SPEC §10 —
 * "retry matches" (approve, then the same plain call in the same session runs exactly once) and
 * "hold open" (approve while the call waits; that very call answers with the result).
 */
public class JavaSdkIT {

  @Test
  public void approvalThenRetryRunsExactlyOnce() throws Exception {
    try (Gateway g = Gateway.start("java-sdk", Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"));
        McpSyncClient client = client(g, Duration.ofSeconds(30))) {
      McpSchema.InitializeResult init = client.initialize();
      assertTrue(
          "negotiated version: " + init.protocolVersion(),
          List.of("2025-11-25", "2025-06-18").contains(init.protocolVersion()));
      assertNotNull("tools capability", init.capabilities().tools());

      List<String> names =
          client.listTools().tools().stream()
              .map(McpSchema.Tool::name)
              .collect(Collectors.toList());
      assertTrue("tools: " + names, names.containsAll(List.of("echo", "note_add")));

      McpSchema.CallToolResult echo = call(client, "echo", Map.of("text", "hi"));
      assertEquals("echo: " + echo, Boolean.FALSE, echo.isError());
      assertEquals(Map.of("echo", "hi"), echo.structuredContent());

      Map<String, Object> args = Map.of("text", "java-agent note " + UUID.randomUUID());
      McpSchema.CallToolResult needs = call(client, "note_add", args);
      assertEquals("note_add needs approval: " + needs, Boolean.TRUE, needs.isError());
      String id = approvalId(needs);
      assertNotNull("_meta.approval.id: " + needs, id);
      assertTrue("text names the approval id: " + needs, text(needs).contains(id));

      g.approve(id);

      // another session is another principal: the approval is not its to use
      try (McpSyncClient other = client(g, Duration.ofSeconds(30))) {
        other.initialize();
        McpSchema.CallToolResult foreign = call(other, "note_add", args);
        assertEquals(
            "another session needs its own approval: " + foreign, Boolean.TRUE, foreign.isError());
        String foreignId = approvalId(foreign);
        assertTrue(
            "a new approval for the other session: " + foreign,
            foreignId != null && !foreignId.equals(id));
      }

      McpSchema.CallToolResult ok = call(client, "note_add", args);
      assertEquals("approved retry succeeds: " + ok, Boolean.FALSE, ok.isError());
      assertTrue("note_id: " + ok, ((Map<?, ?>) ok.structuredContent()).containsKey("note_id"));
      assertTrue(
          "_meta.provenance.receipt_id: " + ok,
          ((Map<?, ?>) ok.meta().get("provenance")).containsKey("receipt_id"));

      McpSchema.CallToolResult again = call(client, "note_add", args);
      assertEquals("the approval is single use: " + again, Boolean.TRUE, again.isError());
      String againId = approvalId(again);
      assertTrue(
          "approval required anew or denied: " + again,
          (againId != null && !againId.equals(id)) || text(again).startsWith("Denied:"));

      List<JsonNode> receipts = g.toolCallReceipts();
      assertEquals("echo allow: " + receipts, 1, g.count(receipts, "echo", "allow"));
      assertEquals("note_add allow: " + receipts, 1, g.count(receipts, "note_add", "allow"));
      assertEquals(
          "note_add not allowed (first, other session, after use): " + receipts,
          3,
          g.count(receipts, "note_add", "approval_required")
              + g.count(receipts, "note_add", "deny"));
      assertTrue(
          "a receipt names the approval",
          receipts.stream().anyMatch(e -> id.equals(e.path("approval_id").asText())));
      assertTrue("receipts verify", g.verify().path("ok").asBoolean());
    }
  }

  @Test
  public void holdOpenAnswersTheHeldCallOnApprovalOrDenial() throws Exception {
    List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
    // long enough that the approval below always lands while the call is held
    try (Gateway g =
            Gateway.start("java-hold", Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "90"));
        McpSyncClient client =
            client(g, Duration.ofSeconds(150), b -> b.progressConsumer(progress::add))) {
      client.initialize();
      Map<String, Object> args = Map.of("text", "held note " + UUID.randomUUID());
      CompletableFuture<McpSchema.CallToolResult> held =
          CompletableFuture.supplyAsync(
              () ->
                  client.callTool(
                      new McpSchema.CallToolRequest(
                          "note_add", args, Map.of("progressToken", "held-1"))));

      JsonNode pending = awaitPending(g, "note_add", Duration.ofSeconds(60));
      assertNotNull("a pending note_add approval while the call is held", pending);
      assertFalse("the call is still held before approval", held.isDone());
      g.approve(pending.path("id").asText());

      McpSchema.CallToolResult r = held.get(120, TimeUnit.SECONDS);
      assertEquals("the held call answers with the result: " + r, Boolean.FALSE, r.isError());
      Poll.within(Duration.ofSeconds(10), () -> !progress.isEmpty());
      assertTrue(
          "notifications/progress for the held call's progressToken: " + progress,
          progress.stream().anyMatch(n -> "held-1".equals(String.valueOf(n.progressToken()))));
      assertTrue("note_id: " + r, ((Map<?, ?>) r.structuredContent()).containsKey("note_id"));
      assertEquals("one note_add ran", 1, g.count(g.toolCallReceipts(), "note_add", "allow"));
      String usedId = pending.path("id").asText();
      assertFalse(
          "the used approval is no longer pending",
          g.pendingApprovals().stream().anyMatch(a -> usedId.equals(a.path("id").asText())));

      // a human's denial ends a held call at once, as a tool error
      Map<String, Object> other = Map.of("text", "denied note " + UUID.randomUUID());
      CompletableFuture<McpSchema.CallToolResult> heldToo =
          CompletableFuture.supplyAsync(() -> call(client, "note_add", other));
      JsonNode second = awaitPending(g, "note_add", Duration.ofSeconds(60));
      assertNotNull("a pending approval for the second held call", second);
      var deny = g.dist.post("/v1/approvals/" + second.path("id").asText() + "/deny", "");
      assertEquals("deny: " + deny.body(), 200, deny.status());
      McpSchema.CallToolResult denied = heldToo.get(120, TimeUnit.SECONDS);
      assertEquals("a denied held call is a tool error: " + denied, Boolean.TRUE, denied.isError());
      assertTrue("Denied: …: " + denied, text(denied).startsWith("Denied: "));
      assertEquals(
          "the denied call did not run", 1, g.count(g.toolCallReceipts(), "note_add", "allow"));
      assertTrue("receipts verify", g.verify().path("ok").asBoolean());
    }
  }

  /**
   * No built-in tool is admin-only, so the policy denial comes from a Cedar rule the operator adds
   * through the admin API: the agent sees a tool error {@code Denied: policy_denied}, not a
   * protocol error, and the denial is receipted.
   */
  @Test
  public void policyDenialIsAToolError() throws Exception {
    try (Gateway g =
            Gateway.start("java-deny", Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"));
        McpSyncClient client = client(g, Duration.ofSeconds(30))) {
      String policy = g.dist.get("/v1/policy").json().path("policy_text").asText();
      String forbid =
          policy
              + "\n@id(\"itest-forbid-notes-list\")\n"
              + "forbid (principal, action == Action::\"Call\", resource == Tool::\"notes_list\");\n";
      var applied =
          g.dist.post(
              "/v1/policy",
              new com.fasterxml.jackson.databind.ObjectMapper()
                  .createObjectNode()
                  .put("policy_text", forbid)
                  .toString());
      assertEquals("policy applied: " + applied.body(), 200, applied.status());

      client.initialize();
      McpSchema.CallToolResult denied = call(client, "notes_list", Map.of());
      assertEquals("denied is a tool error: " + denied, Boolean.TRUE, denied.isError());
      assertTrue("Denied: policy_denied: " + denied, text(denied).startsWith("Denied: "));
      assertTrue("names the reason: " + denied, text(denied).contains("policy_denied"));
      assertEquals(
          "other tools unaffected",
          Boolean.FALSE,
          call(client, "echo", Map.of("text", "x")).isError());

      List<JsonNode> receipts = g.toolCallReceipts();
      assertEquals("one deny receipt: " + receipts, 1, g.count(receipts, "notes_list", "deny"));
      assertTrue("receipts verify", g.verify().path("ok").asBoolean());
    }
  }

  /**
   * A connector bundle dropped into {@code deploy/} while the agent is connected: the agent is told
   * the tool list changed, sees the new tools, and its call to the new admin tool is a tool error
   * {@code Denied: policy_denied} under the default policy.
   */
  @Test
  public void hotDeployedAdminToolIsDeniedAsAToolError() throws Exception {
    java.nio.file.Path jar = dev.briefcase.itests.common.FeatureBundles.testConnector();
    CountDownLatchHolder changed = new CountDownLatchHolder();
    try (Gateway g =
            Gateway.start("java-admin", Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"));
        McpSyncClient client =
            client(
                g,
                Duration.ofSeconds(30),
                b -> b.toolsChangeConsumer(tools -> changed.latch.countDown()))) {
      client.initialize();
      java.nio.file.Path tmp = g.dist.dataDir.resolve("extra.jar.tmp");
      java.nio.file.Files.copy(jar, tmp);
      java.nio.file.Files.move(
          tmp,
          g.dist.dataDir.resolve("deploy/extra-connector.jar"),
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      assertTrue(
          "notifications/tools/list_changed reached the agent",
          changed.latch.await(30, TimeUnit.SECONDS));
      List<String> names =
          client.listTools().tools().stream()
              .map(McpSchema.Tool::name)
              .collect(Collectors.toList());
      assertTrue(
          "new tools listed: " + names, names.containsAll(List.of("extra_ping", "extra_wipe")));

      McpSchema.CallToolResult denied = call(client, "extra_wipe", Map.of());
      assertEquals("denied is a tool error: " + denied, Boolean.TRUE, denied.isError());
      assertEquals("Denied: policy_denied", text(denied));
      assertEquals(Boolean.FALSE, call(client, "extra_ping", Map.of()).isError());

      List<JsonNode> receipts = g.toolCallReceipts();
      assertEquals("one deny receipt: " + receipts, 1, g.count(receipts, "extra_wipe", "deny"));
      assertTrue("receipts verify", g.verify().path("ok").asBoolean());
    }
  }

  /** A latch the tools-changed consumer can count down. */
  private static final class CountDownLatchHolder {
    final java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);
  }

  private static McpSyncClient client(Gateway g, Duration timeout) throws Exception {
    return client(g, timeout, b -> b);
  }

  private static McpSyncClient client(
      Gateway g, Duration timeout, UnaryOperator<McpClient.SyncSpec> customize) throws Exception {
    URI u = URI.create(g.url());
    String base = u.getScheme() + "://" + u.getRawAuthority();
    HttpRequest.Builder rb = HttpRequest.newBuilder();
    Optional<String> token = g.token();
    if (token.isPresent()) {
      rb.header("Authorization", "Bearer " + token.get());
    }
    HttpClientStreamableHttpTransport transport =
        HttpClientStreamableHttpTransport.builder(base)
            .endpoint(u.getRawPath())
            .requestBuilder(rb)
            .build();
    return customize
        .apply(
            McpClient.sync(transport)
                .clientInfo(new McpSchema.Implementation("briefcase-itest-java-agent", "1.0.0"))
                .requestTimeout(timeout))
        .build();
  }

  private static McpSchema.CallToolResult call(
      McpSyncClient client, String tool, Map<String, Object> args) {
    return client.callTool(new McpSchema.CallToolRequest(tool, args));
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

  private static JsonNode awaitPending(Gateway g, String toolId, Duration timeout)
      throws Exception {
    return Poll.firstWithin(
        timeout,
        () -> {
          for (JsonNode a : g.pendingApprovals()) {
            if (toolId.equals(a.path("tool_id").asText())) {
              return a;
            }
          }
          return null;
        });
  }
}
