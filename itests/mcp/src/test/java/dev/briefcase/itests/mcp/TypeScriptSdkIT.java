package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * An agent built on the TypeScript MCP SDK ({@code js/agent.mjs}) against the gateway, once over
 * streamable HTTP and once through the stdio bridge {@code briefcase mcp}: it lists tools, calls
 * {@code echo}, and calls {@code note_add}, which needs a human. The test approves as the human
 * would (admin API for HTTP, the CLI for stdio), the agent repeats the same call in the same
 * session and succeeds exactly once without any token; every call is receipted in a verifying
 * chain.
 */
public class TypeScriptSdkIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Gateway gateway;

  @BeforeClass
  public static void start() throws Exception {
    NodeTools.node();
    // Hold-open off: the first note_add answers "approval required" at once (JavaSdkIT covers the
    // held call).
    gateway = Gateway.start("ts-sdk", Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"));
  }

  @AfterClass
  public static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  public void streamableHttp() throws Exception {
    List<String> args = new ArrayList<>(List.of("agent.mjs", "http", gateway.url(), note()));
    gateway.tokenFile().ifPresent(f -> args.add(f.toString()));
    agentFlow(args, false);
  }

  @Test
  public void stdioBridge() throws Exception {
    Path bin = Distribution.home().resolve("bin/briefcase");
    agentFlow(
        List.of("agent.mjs", "stdio", bin.toString(), gateway.dist.dataDir.toString(), note()),
        true);
  }

  private static String note() {
    return "ts-agent note " + UUID.randomUUID();
  }

  private void agentFlow(List<String> args, boolean approveWithCli) throws Exception {
    List<JsonNode> before = gateway.toolCallReceipts();
    Path err = Files.createTempFile("ts-agent", ".err");
    Process p = NodeTools.start(args, Map.of(), err);
    try (BufferedReader out =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        OutputStream in = p.getOutputStream()) {
      JsonNode first = line(out, p, err, "first");

      // tools/list as an SDK client sees it
      List<String> names = new ArrayList<>();
      first.path("tools").forEach(t -> names.add(t.path("name").asText()));
      assertTrue("echo listed: " + names, names.contains("echo"));
      assertTrue("note_add listed: " + names, names.contains("note_add"));
      assertEquals("tool names unique: " + names, names.size(), names.stream().distinct().count());

      // echo: a read tool, allowed, with structured content
      JsonNode echo = first.path("echo");
      assertFalse("echo isError: " + echo, echo.path("isError").asBoolean());
      assertEquals(JSON.readTree("{\"echo\":\"hi\"}"), echo.path("structuredContent"));
      assertTrue("echo text: " + echo, echo.path("text").asText().contains("hi"));

      // note_add: a write tool; the human has to approve
      JsonNode note = first.path("note");
      assertTrue("note_add needs approval: " + note, note.path("isError").asBoolean());
      String approvalId = note.path("approvalId").asText(null);
      assertNotNull("_meta.approval.id on the approval-required result: " + note, approvalId);
      assertTrue(
          "the text names the approval id: " + note,
          note.path("text").asText().contains(approvalId));
      assertTrue(
          "the approval is pending in the admin API",
          gateway.pendingApprovals().stream()
              .anyMatch(a -> approvalId.equals(a.path("id").asText())));

      if (approveWithCli) {
        Distribution.CliResult r = gateway.dist.cli("approvals", "approve", approvalId);
        assertEquals("CLI approve: " + r, 0, r.exit());
      } else {
        gateway.approve(approvalId);
      }

      // the same call in the same session: runs once, then needs a new approval (or is denied)
      in.write("retry\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
      JsonNode retry = line(out, p, err, "retry");
      JsonNode ok = retry.path("first");
      assertFalse("approved retry succeeds: " + ok, ok.path("isError").asBoolean());
      assertTrue("note_add result: " + ok, ok.path("structuredContent").has("note_id"));
      assertTrue(
          "_meta.provenance.receipt_id on success: " + ok,
          ok.path("meta").path("provenance").has("receipt_id"));
      JsonNode again = retry.path("second");
      assertTrue(
          "a second identical call is not free: " + again, again.path("isError").asBoolean());
      String againId = again.path("approvalId").asText(null);
      assertTrue(
          "second call: approval required anew or denied: " + again,
          (againId != null && !againId.equals(approvalId))
              || again.path("text").asText().startsWith("Denied:"));
      assertFalse(
          "the used approval is no longer pending",
          gateway.pendingApprovals().stream()
              .anyMatch(a -> approvalId.equals(a.path("id").asText())));

      assertTrue("agent exits", p.waitFor(30, TimeUnit.SECONDS));
      assertEquals("agent exit code; stderr: " + Files.readString(err), 0, p.exitValue());
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }

    // every call was receipted, and the chain verifies
    List<JsonNode> after = gateway.toolCallReceipts();
    List<JsonNode> added = after.subList(before.size(), after.size());
    assertEquals("echo allow receipts: " + added, 1, gateway.count(added, "echo", "allow"));
    assertEquals("note_add allow receipts: " + added, 1, gateway.count(added, "note_add", "allow"));
    assertEquals(
        "note_add approval_required/deny receipts: " + added,
        2,
        gateway.count(added, "note_add", "approval_required")
            + gateway.count(added, "note_add", "deny"));
    assertTrue("verify: ", gateway.verify().path("ok").asBoolean());
  }

  /** The next JSON line of the agent, which must be of {@code phase}. */
  private static JsonNode line(BufferedReader out, Process p, Path err, String phase)
      throws Exception {
    String s;
    try {
      s = CompletableFuture.supplyAsync(() -> readLine(out)).get(90, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("agent printed no '" + phase + "' line; stderr: " + stderr(err));
    }
    if (s == null) {
      p.waitFor(10, TimeUnit.SECONDS);
      fail("agent ended before '" + phase + "'; stderr: " + stderr(err));
    }
    System.out.println("[ts-agent] " + NodeTools.tail(s, 2000));
    JsonNode n = JSON.readTree(s);
    assertEquals(
        "agent phase; stderr: " + stderr(err) + "\nline: " + s, phase, n.path("phase").asText());
    return n;
  }

  private static String readLine(BufferedReader r) {
    try {
      return r.readLine();
    } catch (IOException e) {
      return null;
    }
  }

  private static String stderr(Path err) throws IOException {
    return NodeTools.tail(Files.readString(err), 4000);
  }
}
