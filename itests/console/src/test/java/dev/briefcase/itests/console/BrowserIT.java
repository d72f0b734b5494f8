package dev.briefcase.itests.console;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.Test;

/**
 * The console in a real browser (issue 4): Debian chromium driven by playwright-core logs in,
 * approves a pending {@code note_add} approval on the Approvals page and finds that approval's
 * receipt on the Receipts page; screenshots are saved under {@code target/screenshots}. The kernel
 * state is then checked through the admin API: the approval is no longer pending and its token runs
 * the call exactly once.
 */
public class BrowserIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EVIL = "<img src=x onerror=alert(1)>";

  @Test
  public void approveInTheBrowserAndSeeTheReceipt() throws Exception {
    Path chromium = BrowserTools.chromium();
    BrowserTools.npmCi();
    Path shots =
        Files.createDirectories(
            Path.of(System.getProperty("briefcase.console.shots", "target/screenshots")));
    Path data = Files.createTempDirectory("briefcase-console-browser").resolve("data");
    String user = "operator";
    String password = "browser test passphrase";
    try (Console c = Console.start(data, null, user, password)) {
      String approval = c.callTool("note_add", "{\"text\":\"from the browser test\"}");
      assertNotNull("note_add needs approval", approval);
      c.callTool(EVIL, "{}");

      long t0 = System.nanoTime();
      BrowserTools.Result r =
          BrowserTools.node(
              "console.mjs",
              Map.of(
                  "CONSOLE_URL",
                  c.url,
                  "CONSOLE_USER",
                  user,
                  "CONSOLE_PASSWORD",
                  password,
                  "APPROVAL_ID",
                  approval,
                  "EVIL_TOOL",
                  EVIL,
                  "SHOT_DIR",
                  shots.toString(),
                  "USER_DATA_DIR",
                  Files.createTempDirectory("chromium-profile").toString(),
                  "CHROMIUM",
                  chromium.toString()),
              Duration.ofMinutes(3));
      System.out.printf(
          "[console-it] browser run took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      System.out.println("[console-it] browser stderr:\n" + BrowserTools.tail(r.err(), 3000));
      String last = r.out().strip();
      last = last.substring(last.lastIndexOf('\n') + 1);
      JsonNode result = JSON.readTree(last.isEmpty() ? "{}" : last);
      for (JsonNode s : result.path("screenshots")) {
        System.out.println("[console-it] screenshot: " + s.asText());
        assertTrue(s.asText(), Files.size(Path.of(s.asText())) > 1000);
      }
      assertEquals(r.out() + r.err(), 0, r.exit());
      assertTrue(result.toString(), result.path("ok").asBoolean());
      assertEquals("note_add", result.path("toolShown").asText());
      assertEquals("{\"text\":\"from the browser test\"}", result.path("argsShown").asText());
      assertTrue(result.toString(), result.path("flash").asText().contains("Approved " + approval));
      assertTrue(
          result.toString(), result.path("receiptText").asText().contains("console:" + user));
      assertTrue(result.path("chainOk").asBoolean());
      assertEquals("markup became DOM", 0, result.path("injectedImages").asInt());
      assertEquals("a dialog opened", 0, result.path("dialogs").asInt());
      assertTrue(result.toString(), result.path("evilShownAsText").asBoolean());
      assertEquals(3, result.path("screenshots").size());

      // the kernel state changed: no longer pending, the token the console showed runs the call
      // once; the approval id is not a token
      for (JsonNode a : c.dist.get("/v1/approvals").json().path("approvals")) {
        assertFalse("still pending", approval.equals(a.path("id").asText()));
      }
      String byId =
          "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"from the browser test\"},"
              + "\"approval_token\":\""
              + approval
              + "\"}}";
      Distribution.Answer refused = c.dist.post("/v1/tools/call", byId);
      assertEquals(
          refused.body(), "invalid_or_expired_approval", refused.json().path("reason").asText());
      String call =
          "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"from the browser test\"},"
              + "\"approval_token\":\""
              + result.path("approvalToken").asText()
              + "\"}}";
      Distribution.Answer first = c.dist.post("/v1/tools/call", call);
      assertEquals(first.body(), "ok", first.json().path("status").asText());
      Distribution.Answer second = c.dist.post("/v1/tools/call", call);
      assertFalse(second.body(), "ok".equals(second.json().path("status").asText()));
    }
  }
}
