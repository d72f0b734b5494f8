package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.Distribution.CliResult;
import java.nio.file.Files;
import org.junit.Test;

/** The README's CLI tour, run against the built distribution, with its exit codes. */
public class CliTourIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  public void approvalAndReceiptTour() throws Exception {
    try (Distribution d = new Distribution(Files.createTempDirectory("briefcase-tour")).start()) {
      assertEquals(0, d.cli("status").exit());

      CliResult echo = d.cli("tools", "call", "echo", "--args", "{\"text\":\"hi\"}", "--json");
      assertEquals(echo.stderr(), 0, echo.exit());
      assertEquals(
          "hi", JSON.readTree(echo.stdout()).path("result").path("content").path("echo").asText());

      String args = "{\"text\":\"buy milk\"}";
      CliResult pending = d.cli("tools", "call", "note_add", "--args", args, "--json");
      assertEquals("approval required exits 3", 3, pending.exit());
      String id = JSON.readTree(pending.stdout()).path("approval").path("id").asText();

      JsonNode listed = JSON.readTree(d.cli("approvals", "list", "--json").stdout());
      assertTrue(listed.toString().contains(id));
      // the human sees what they approve: the canonical arguments beside their hash
      CliResult list = d.cli("approvals", "list");
      assertTrue(list.stdout(), list.stdout().contains("args      {\"text\":\"buy milk\"}"));
      CliResult approved = d.cli("approvals", "approve", id, "--json");
      assertEquals(approved.stderr(), 0, approved.exit());
      String token = JSON.readTree(approved.stdout()).path("approval_token").asText();
      assertTrue(token, token.matches("[A-Za-z0-9_-]{43}"));

      CliResult byId = d.cli("tools", "call", "note_add", "--args", args, "--approval-token", id);
      assertEquals("the approval id is not a token", 1, byId.exit());
      CliResult ran = d.cli("tools", "call", "note_add", "--args", args, "--approval-token", token);
      assertEquals(ran.stderr(), 0, ran.exit());
      CliResult reused =
          d.cli("tools", "call", "note_add", "--args", args, "--approval-token", token);
      assertEquals("a used token is denied", 1, reused.exit());
      assertTrue(
          reused.stdout() + reused.stderr(),
          (reused.stdout() + reused.stderr()).contains("invalid_or_expired_approval"));

      CliResult other = d.cli("tools", "call", "note_add", "--args", "{\"text\":\"x\"}", "--json");
      String otherId = JSON.readTree(other.stdout()).path("approval").path("id").asText();
      assertEquals(0, d.cli("approvals", "deny", otherId).exit());
      assertEquals(
          1,
          d.cli(
                  "tools",
                  "call",
                  "note_add",
                  "--args",
                  "{\"text\":\"x\"}",
                  "--approval-token",
                  otherId)
              .exit());

      assertEquals(0, d.cli("receipts", "verify").exit());
      JsonNode receipts =
          JSON.readTree(d.cli("receipts", "list", "--json", "--limit", "500").stdout());
      assertTrue(receipts.path("receipts").size() >= 6);
      // the kernel receipts each decision once, with the admin API as actor
      for (String[] want : new String[][] {{id, "approved"}, {otherId, "denied"}}) {
        int decisions = 0;
        for (JsonNode r : receipts.path("receipts")) {
          JsonNode e = r.path("event");
          if ("approval_decision".equals(e.path("type").asText())
              && want[0].equals(e.path("approval_id").asText())) {
            decisions++;
            assertEquals(e.toString(), want[1], e.path("decision").asText());
            assertEquals(e.toString(), "note_add", e.path("tool_id").asText());
            assertEquals(e.toString(), "admin-api", e.path("actor").asText());
          }
        }
        assertEquals("one approval_decision receipt for " + want[1], 1, decisions);
      }
      // an export first has the head checkpointed, so it carries every receipt listed before it
      // and the ones the checkpoint wrote: compare with a listing taken after it
      CliResult export = d.cli("receipts", "export");
      String[] lines = export.stdout().strip().split("\n");
      int exported = JSON.readTree(lines[lines.length - 1]).path("count").asInt();
      assertTrue(exported >= receipts.path("receipts").size());
      JsonNode after =
          JSON.readTree(d.cli("receipts", "list", "--json", "--limit", "500").stdout());
      assertEquals(after.path("receipts").size(), exported);

      assertEquals(0, d.cli("budgets", "set", "read", "5000000").exit());
      assertTrue(d.cli("budgets", "list", "--json").stdout().contains("5000000"));
      assertEquals("a negative budget is refused", 1, d.cli("budgets", "set", "read", "-1").exit());
    }
    // nothing runs now: the CLI says so with exit 4
    Distribution gone = new Distribution(Files.createTempDirectory("briefcase-gone"));
    assertEquals(4, gone.cli("tools", "list").exit());
  }
}
