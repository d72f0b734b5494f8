package dev.briefcase.itests.console;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.Test;

/**
 * The console of the built distribution over raw HTTP: its own loopback listener (never the MCP
 * port), login from configuration, no default admin/admin in any profile, CSRF and origin checks on
 * every action, HTML escaping of agent-chosen text, the receipt export, and plugin actions through
 * the plugin service with actor {@code console:<user>}.
 */
public class ConsoleIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EVIL = "<img src=x onerror=alert(1)>${title}";

  @Test
  public void referenceProfileServesPagesWithCsrfAndEscaping() throws Exception {
    Path data = Files.createTempDirectory("briefcase-console-ref").resolve("data");
    long t0 = System.nanoTime();
    try (Console c = Console.start(data, null, "operator", "correct horse battery")) {
      System.out.printf(
          "[console-it] started with the console feature in %d ms%n",
          (System.nanoTime() - t0) / 1_000_000);
      String user = "operator";
      String pw = "correct horse battery";

      // the console is not on the agent port, and the agent endpoint is not on the console port
      String mcp = Files.readString(data.resolve("mcp.url")).strip();
      URI mcpBase = URI.create(mcp).resolve("/");
      URI consoleBase = URI.create(c.url).resolve("/");
      assertFalse("console and MCP share a port", mcpBase.equals(consoleBase));
      assertEquals("127.0.0.1", URI.create(c.url).getHost());
      HttpClient http = HttpClient.newHttpClient();
      for (String path :
          List.of(
              "/system/console",
              "/system/console/briefcase-approvals",
              "/system/console/bundles")) {
        int status =
            http.send(
                    HttpRequest.newBuilder(mcpBase.resolve(path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode();
        assertEquals("GET " + path + " on the MCP port", 404, status);
      }
      int mcpOnConsole =
          http.send(
                  HttpRequest.newBuilder(consoleBase.resolve("/mcp"))
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .statusCode();
      assertEquals("/mcp on the console port", 404, mcpOnConsole);

      // login: configured user and password file; admin/admin and no credentials are refused
      assertEquals(401, c.get("/briefcase-approvals", null, null).statusCode());
      assertEquals(401, c.get("/briefcase-approvals", "admin", "admin").statusCode());
      assertEquals(401, c.get("/briefcase-approvals", user, "wrong").statusCode());
      HttpResponse<String> empty = c.get("/briefcase-approvals", user, pw);
      assertEquals(200, empty.statusCode());
      assertTrue(empty.body(), empty.body().contains("id=\"no-pending\""));
      // the web console's own bundle manager (install/start/stop without receipts) is not served
      assertEquals(404, c.get("/bundles", user, pw).statusCode());

      // a pending approval and an agent-chosen tool id full of markup
      String approval = c.callTool("note_add", "{\"text\":\"console test\"}");
      assertNotNull(approval);
      c.callTool(EVIL, "{}");
      // markup in argument names and values (schema errors may quote them into a receipt)
      c.callTool("echo", "{\"<img src=y onerror=alert(2)>\":\"<script>alert(3)</script>\"}");
      c.callTool("echo", "{\"text\":\"<script>alert(4)</script>\"}");
      HttpResponse<String> page = c.get("/briefcase-approvals", user, pw);
      assertTrue(page.body().contains("approve-" + approval));
      // the human sees the canonical arguments, not only their hash
      assertTrue(page.body(), page.body().contains("{\"text\":\"console test\"}"));
      String token = Console.csrf(page.body());

      // refused without a token, with a token of another user or a forged one, and cross-origin
      assertEquals(
          403,
          c.post(
                  "/briefcase-approvals",
                  user,
                  pw,
                  Console.form("id", approval, "action", "approve"),
                  null)
              .statusCode());
      assertEquals(
          403,
          c.post(
                  "/briefcase-approvals",
                  user,
                  pw,
                  Console.form("id", approval, "action", "approve", "csrf", token + "x"),
                  null)
              .statusCode());
      assertEquals(
          403,
          c.post(
                  "/briefcase-approvals",
                  user,
                  pw,
                  Console.form("id", approval, "action", "approve", "csrf", token),
                  "http://evil.example")
              .statusCode());
      assertEquals("still pending after refused POSTs", "pending", state(c.dist, approval));

      HttpResponse<String> approved =
          c.post(
              "/briefcase-approvals",
              user,
              pw,
              Console.form("id", approval, "action", "approve", "csrf", token),
              c.url.replace("/system/console", ""));
      assertEquals(approved.body(), 200, approved.statusCode());
      assertTrue(approved.body(), approved.body().contains("Approved " + approval));
      assertEquals("not pending", state(c.dist, approval));
      java.util.regex.Matcher shown =
          java.util.regex.Pattern.compile(
                  "id=\"approval-token\"[^>]*>[^<]*<code>([A-Za-z0-9_-]{43})</code>")
              .matcher(approved.body());
      assertTrue("the approver is shown the token: " + approved.body(), shown.find());
      String approvalToken = shown.group(1);
      // a second decision on the same approval is refused with the kernel's code
      HttpResponse<String> again =
          c.post(
              "/briefcase-approvals",
              user,
              pw,
              Console.form("id", approval, "action", "deny", "csrf", token),
              null);
      assertTrue(again.body(), again.body().contains("data-ok=\"false\""));

      // the approval id is no token; the token shown works once through the admin API: the
      // kernel state really changed
      Distribution.Answer byId =
          c.dist.post(
              "/v1/tools/call",
              "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"console test\"},\"approval_token\":\""
                  + approval
                  + "\"}}");
      assertEquals(byId.body(), "invalid_or_expired_approval", byId.json().path("reason").asText());
      Distribution.Answer run =
          c.dist.post(
              "/v1/tools/call",
              "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"console test\"},\"approval_token\":\""
                  + approvalToken
                  + "\"}}");
      assertEquals(run.body(), "ok", run.json().path("status").asText());
      Distribution.Answer twice =
          c.dist.post(
              "/v1/tools/call",
              "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"console test\"},\"approval_token\":\""
                  + approvalToken
                  + "\"}}");
      assertFalse("an approval works once", "ok".equals(twice.json().path("status").asText()));

      // receipts: the decision with its actor, chain verifies, markup escaped
      HttpResponse<String> receipts = c.get("/briefcase-receipts", user, pw);
      assertEquals(200, receipts.statusCode());
      String body = receipts.body();
      assertTrue(
          body,
          body.contains("data-type=\"approval_decision\" data-approval-id=\"" + approval + "\""));
      assertTrue(body.contains("console:operator"));
      int decisions = 0;
      for (JsonNode r : c.dist.get("/v1/receipts?limit=50").json().path("receipts")) {
        JsonNode e = r.path("event");
        if ("approval_decision".equals(e.path("type").asText())
            && approval.equals(e.path("approval_id").asText())) {
          decisions++;
          assertEquals(e.toString(), "approved", e.path("decision").asText());
          assertEquals(e.toString(), "console:operator", e.path("actor").asText());
        }
      }
      assertEquals("exactly one approval_decision receipt, from the kernel", 1, decisions);
      assertTrue(
          body.contains(
              "id=\"chain-status\" class=\"statline ui-state-highlight\" data-ok=\"true\""));
      assertFalse("raw markup from a tool id reached the page", body.contains("<img src=x"));
      assertFalse("raw markup from tool args reached the page", body.contains("<img src=y"));
      assertFalse("a script from tool args reached the page", body.contains("<script>alert("));
      assertTrue(body.contains("&lt;img src=x onerror=alert(1)&gt;"));
      assertFalse(
          "template variable expanded",
          body.contains("${title}") && !body.contains("&#36;{title}"));

      // export: JSON lines plus the trailer, as a download
      HttpResponse<String> export = c.get("/briefcase-receipts/export.ndjson", user, pw);
      assertEquals(200, export.statusCode());
      assertTrue(
          export.headers().firstValue("Content-Disposition").orElse("").contains("attachment"));
      String[] lines = export.body().strip().split("\n");
      JsonNode trailer = JSON.readTree(lines[lines.length - 1]);
      assertEquals(lines.length - 1, trailer.path("count").asInt());
      assertEquals(401, c.get("/briefcase-receipts/export.ndjson", null, null).statusCode());

      // budgets: an inline SVG chart, no script
      HttpResponse<String> budgets = c.get("/briefcase-budgets", user, pw);
      assertEquals(200, budgets.statusCode());
      assertTrue(budgets.body().contains("<svg id=\"budget-chart\""));
      assertTrue(budgets.body().contains("data-category=\"write\""));

      // plugins: install a connector through the admin API, stop and start it from the console
      Path jar =
          FeatureBundles.root()
              .resolve(
                  "itests/test-connector/target/dev.briefcase.itests.connector-0.1.0-SNAPSHOT.jar");
      Distribution.Answer installed =
          c.dist.postBytes("/v1/plugins", Files.readAllBytes(jar), "application/java-archive");
      assertEquals(installed.body(), 200, installed.status());
      long id = installed.json().path("bundle_id").asLong();
      HttpResponse<String> plugins = c.get("/briefcase-plugins", user, pw);
      assertTrue(plugins.body(), plugins.body().contains("id=\"stop-" + id + "\""));
      assertTrue(plugins.body().contains("data-bundle=\"dev.briefcase.kernel\""));
      HttpResponse<String> stopped =
          c.post(
              "/briefcase-plugins",
              user,
              pw,
              Console.form(
                  "bundle",
                  String.valueOf(id),
                  "action",
                  "stop",
                  "csrf",
                  Console.csrf(plugins.body())),
              null);
      assertTrue(stopped.body(), stopped.body().contains("Stopped dev.briefcase.itests.connector"));
      assertTrue(stopped.body().contains("id=\"start-" + id + "\""));
      // core bundles are refused by the kernel, whatever the form says
      long kernelId = bundleId(c.dist, "dev.briefcase.kernel");
      HttpResponse<String> core =
          c.post(
              "/briefcase-plugins",
              user,
              pw,
              Console.form(
                  "bundle",
                  String.valueOf(kernelId),
                  "action",
                  "stop",
                  "csrf",
                  Console.csrf(plugins.body())),
              null);
      assertTrue(core.body(), core.body().contains("core_bundle"));
      boolean receipted = false;
      for (JsonNode r : c.dist.get("/v1/receipts?limit=50").json().path("receipts")) {
        JsonNode e = r.path("event");
        if ("plugin_lifecycle".equals(e.path("type").asText())
            && "stop".equals(e.path("action").asText())
            && "console:operator".equals(e.path("actor").asText())) {
          receipted = true;
        }
      }
      assertTrue("the console's stop was receipted with its actor", receipted);
    }
  }

  @Test
  public void noDefaultPasswordInAnyProfile() throws Exception {
    Path data = Files.createTempDirectory("briefcase-console-ga").resolve("data");
    try (Console c = Console.start(data, "ga", null, null)) {
      Path file = data.resolve("console_password");
      assertEquals(
          "generated owner-only",
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
      String password = c.generatedPassword();
      assertTrue(password, password.length() >= 24);
      assertEquals(401, c.get("/briefcase-approvals", "admin", "admin").statusCode());
      assertEquals(401, c.get("/briefcase-approvals", null, null).statusCode());
      assertEquals(200, c.get("/briefcase-approvals", "admin", password).statusCode());
      String log = Files.readString(c.dist.logFile);
      assertTrue(
          log,
          log.contains("Briefcase console: generated a login password for user admin in " + file));
      assertFalse("the log never holds the password", log.contains(password));
    }
    // the web console's well-known default written to the file is refused, in reference too
    Path data2 = Files.createTempDirectory("briefcase-console-admin").resolve("data");
    try (Console c = Console.start(data2, null, null, "admin")) {
      HttpResponse<String> r = c.get("/briefcase-approvals", "admin", "admin");
      assertEquals(403, r.statusCode());
      assertTrue(r.body(), r.body().startsWith("console_refused"));
      String log = Files.readString(c.dist.logFile);
      assertTrue(
          log,
          log.contains(
              "Briefcase console refuses every login: the password admin (the web console's"
                  + " well-known default) is not allowed"));
    }
  }

  private static String state(Distribution d, String approval) throws Exception {
    for (JsonNode a : d.get("/v1/approvals").json().path("approvals")) {
      if (approval.equals(a.path("id").asText())) {
        return a.path("state").asText();
      }
    }
    return "not pending";
  }

  private static long bundleId(Distribution d, String name) throws Exception {
    for (JsonNode p : d.get("/v1/plugins").json().path("plugins")) {
      if (name.equals(p.path("symbolic_name").asText())) {
        return p.path("bundle_id").asLong();
      }
    }
    throw new AssertionError(name + " not installed");
  }
}
