package dev.briefcase.runtime.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The CLI against a small fake admin API: requests, human output, --json and exit codes. */
public class BriefcaseCommandTest {
  private static final String TOKEN = "tOkEn-Secret-4f9a8b7c6d5e";
  private static final String LOGIN_CODE = "code-Canary-77aa";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ObjectMapper mapper = new ObjectMapper();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<String, String> lastBody = new HashMap<>();
  private HttpServer server;
  private Path dataDir;
  private String out;
  private String err;
  private volatile boolean chainBroken;

  @Before
  public void setUp() throws Exception {
    dataDir = tmp.newFolder("data").toPath();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
    Files.writeString(
        dataDir.resolve("admin.url"), "http://127.0.0.1:" + server.getAddress().getPort() + "\n");
    Files.writeString(dataDir.resolve("auth_token"), TOKEN + "\n");
  }

  @After
  public void tearDown() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getRawPath();
    String query = ex.getRequestURI().getRawQuery();
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    requests.add(method + " " + path + (query == null ? "" : "?" + query));
    synchronized (lastBody) {
      lastBody.put(method + " " + path, body);
    }
    if (path.equals("/health")) {
      send(ex, 200, "{\"status\":\"ok\",\"ts\":\"2025-01-01T00:00:00Z\"}");
      return;
    }
    if (!("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      send(ex, 401, "{\"code\":\"unauthorized\",\"message\":\"missing or wrong bearer token\"}");
      return;
    }
    switch (method + " " + path) {
      case "GET /ready" -> send(ex, 200, "{\"ready\":true}");
      case "GET /v1/tools" ->
          send(
              ex,
              200,
              "{\"tools\":[{\"id\":\"echo\",\"category\":\"read\",\"description\":\"Echo text\"},"
                  + "{\"id\":\"x\",\"category\":{\"other\":\"misc\"},\"description\":\"X\"}]}");
      case "POST /v1/tools/call" -> toolCall(ex, mapper.readTree(body));
      case "GET /v1/approvals" ->
          send(
              ex,
              200,
              "{\"approvals\":[{\"id\":\"11111111-2222-3333-4444-555555555555\",\"tool_id\":\"note_add\","
                  + "\"kind\":\"local\",\"reason\":\"tool call requires approval\","
                  + "\"expires_at\":\"2025-01-01T00:10:00Z\",\"summary\":{\"args_hash\":\"h1\","
                  + "\"args_preview\":\"{\\\"text\\\":\\\"a\\\"}\",\"args_truncated\":false}}]}");
      case "POST /v1/approvals/abc/approve" ->
          send(ex, 200, "{\"approval_id\":\"abc\",\"approval_token\":\"tok-xyz\"}");
      case "POST /v1/approvals/abc/deny" -> send(ex, 200, "{\"approval_id\":\"abc\"}");
      case "POST /v1/approvals/gone/approve" ->
          send(ex, 404, "{\"code\":\"not_found\",\"message\":\"unknown or expired approval\"}");
      case "GET /v1/approvals/stream" -> {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(
              (": keep-alive\n\nevent: approval.created\nid: 1\ndata: {\"id\":\"a1\",\"tool_id\":\"note_add\"}\n\n"
                      + "event: approval.approved\nid: 2\ndata: {\"id\":\"a1\",\"tool_id\":\"note_add\"}\n\n")
                  .getBytes(StandardCharsets.UTF_8));
        }
      }
      case "GET /v1/receipts" ->
          send(
              ex,
              200,
              "{\"receipts\":[{\"id\":2,\"ts\":\"t2\",\"prev_hash_hex\":\"a\",\"hash_hex\":\"b\","
                  + "\"event\":{\"kind\":\"tool_call\",\"tool_id\":\"echo\",\"decision\":\"allow\"}}]}");
      case "POST /v1/receipts/verify" -> {
        if (chainBroken) {
          send(
              ex,
              409,
              "{\"ok\":false,\"first_bad_id\":7,\"expected_prev_hash_hex\":\"00ff\",\"reason\":\"hash_mismatch\"}");
        } else {
          send(ex, 200, "{\"ok\":true,\"count\":12}");
        }
      }
      case "GET /v1/receipts/export" ->
          send(ex, 200, "{\"id\":1}\n{\"id\":2}\n{\"head_hash_hex\":\"ab\",\"count\":2}\n");
      case "GET /v1/payments" ->
          send(
              ex,
              200,
              "{\"payments\":[{\"id\":\"6f1c0e54-1111-2222-3333-444455556666\","
                  + "\"created_at_rfc3339\":\"2026-12-08T01:00:00Z\",\"rail\":\"x402\","
                  + "\"amount_microusd\":10000,\"state\":\"settled\",\"tool_id\":\"quote\"}],"
                  + "\"limit\":50,\"offset\":0}");
      case "GET /v1/payments/6f1c0e54-1111-2222-3333-444455556666" ->
          send(
              ex,
              200,
              "{\"id\":\"6f1c0e54-1111-2222-3333-444455556666\",\"state\":\"settled\","
                  + "\"rail\":\"l402\",\"amount_microusd\":2500,\"reference\":\"ab12\","
                  + "\"facts\":{\"amount_msat\":\"2500000\"},\"code\":null}");
      case "GET /v1/budgets" ->
          send(
              ex,
              200,
              "{\"budgets\":[{\"category\":\"read\",\"daily_limit_microusd\":3000000,"
                  + "\"spent_today_microusd\":2000}]}");
      case "POST /v1/budgets/read" -> {
        long v = mapper.readTree(body).path("daily_limit_microusd").asLong();
        if (v < 0) {
          send(ex, 400, "{\"code\":\"invalid_budget\",\"message\":\"negative limit\"}");
        } else {
          send(ex, 200, "{\"category\":\"read\",\"daily_limit_microusd\":" + v + "}");
        }
      }
      case "POST /v1/providers/acme/oauth/start" -> {
        // an "authorization URL" that leads straight back to the CLI's redirect with a code
        String redirect = mapper.readTree(body).path("redirect_uri").asText();
        send(
            ex,
            200,
            "{\"provider_id\":\"acme\",\"state\":\"st-1\",\"authorization_url\":\""
                + redirect
                + "?state=st-1&code="
                + LOGIN_CODE
                + "\"}");
      }
      case "POST /v1/providers/acme/oauth/exchange" ->
          send(
              ex,
              200,
              "{\"provider_id\":\"acme\",\"has_oauth_refresh\":true,\"dpop_bound\":true,"
                  + "\"access_token_expires_at\":\"2025-01-01T00:10:00Z\"}");
      default -> send(ex, 404, "{\"code\":\"not_found\",\"message\":\"no route\"}");
    }
  }

  private void toolCall(HttpExchange ex, JsonNode req) throws IOException {
    JsonNode call = req.path("call");
    String tool = call.path("tool_id").asText();
    switch (tool) {
      case "echo" ->
          send(
              ex,
              200,
              "{\"status\":\"ok\",\"result\":{\"content\":{\"echo\":"
                  + call.path("args").path("text")
                  + "},\"provenance\":{\"source\":\"local:echo\",\"cost_usd\":null,"
                  + "\"timestamp\":\"t\",\"receipt_id\":3}}}");
      case "note_add" -> {
        if ("tok-xyz".equals(call.path("approval_token").asText(null))) {
          send(ex, 200, "{\"status\":\"ok\",\"result\":{\"content\":{\"note_id\":\"n1\"}}}");
        } else {
          send(
              ex,
              200,
              "{\"status\":\"approval_required\",\"approval\":{\"id\":\"abc\",\"tool_id\":\"note_add\","
                  + "\"reason\":\"tool call requires approval\",\"kind\":\"local\"}}");
        }
      }
      case "admin_thing" -> send(ex, 200, "{\"status\":\"denied\",\"reason\":\"policy_denied\"}");
      default -> send(ex, 500, "{\"status\":\"error\",\"message\":\"internal_error\"}");
    }
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  private int run(String... args) {
    return run(Map.of(), args);
  }

  private int run(Map<String, String> extraEnv, String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    Map<String, String> env = new HashMap<>(extraEnv);
    env.putIfAbsent("BRIEFCASE_DATA_DIR", dataDir.toString());
    int code =
        BriefcaseCommand.execute(
            env, tmp.getRoot().toPath(), null, new PrintWriter(o), new PrintWriter(e), args);
    out = o.toString();
    err = e.toString();
    assertFalse("the token leaked to stdout: " + out, out.contains(TOKEN));
    assertFalse("the token leaked to stderr: " + err, err.contains(TOKEN));
    return code;
  }

  @Test
  public void approvalsShowAWarningLineWhenThePreviewIsCutOrRedacted() throws Exception {
    ObjectMapper m = new ObjectMapper();
    JsonNode plain =
        m.readTree("{\"id\":\"a\",\"summary\":{\"args_preview\":\"{}\",\"args_hash\":\"h\"}}");
    assertFalse(
        ApprovalsCommand.describe(plain), ApprovalsCommand.describe(plain).contains("WARNING"));
    JsonNode both =
        m.readTree(
            "{\"id\":\"a\",\"summary\":{\"args_preview\":\"{}\",\"args_hash\":\"h\","
                + "\"args_truncated\":true,\"args_redacted\":true}}");
    String text = ApprovalsCommand.describe(both);
    assertTrue(text, text.contains("\n    warning   WARNING: "));
    assertTrue(text, text.contains("args_truncated"));
    assertTrue(text, text.contains("args_redacted"));
  }

  /** A PATH with an {@code xdg-open} that records its arguments and follows the URL with curl. */
  private Path fakeBrowser(boolean follows) throws Exception {
    Path bin = tmp.newFolder("bin").toPath();
    Path opened = bin.resolve("opened");
    Path script = bin.resolve("xdg-open");
    Files.writeString(
        script,
        "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" > '"
            + opened
            + "'\n"
            + "/usr/bin/env > '"
            + bin.resolve("env")
            + "'\n"
            + (follows ? "exec /usr/bin/curl -s -o /dev/null \"$1\"\n" : "exit 3\n"));
    script.toFile().setExecutable(true);
    return bin;
  }

  @Test
  public void loginOpensTheBrowserAndAsksForTheScope() throws Exception {
    Path bin = fakeBrowser(true);
    assertEquals(
        err,
        0,
        run(
            Map.of(
                "DISPLAY",
                ":99",
                "PATH",
                bin.toString(),
                "BRIEFCASE_PASSPHRASE",
                "passphrase-Canary-31"),
            "login",
            "acme",
            "--scope",
            "api:admin",
            "--timeout",
            "20"));
    List<String> opened = Files.readAllLines(bin.resolve("opened"));
    // one argument, exactly the authorization URL, which is printed as well
    assertEquals("1", opened.get(0));
    assertTrue(opened.get(1), opened.get(1).matches("http://127\\.0\\.0\\.1:\\d+/callback\\?.*"));
    assertTrue(out, out.contains("A browser was asked to open the login page"));
    assertTrue(out, out.contains(opened.get(1)));
    assertTrue(out, out.contains("logged in to acme"));
    JsonNode start = mapper.readTree(lastBody.get("POST /v1/providers/acme/oauth/start"));
    assertEquals("api:admin", start.path("scope").asText());
    JsonNode exchange = mapper.readTree(lastBody.get("POST /v1/providers/acme/oauth/exchange"));
    assertEquals(LOGIN_CODE, exchange.path("code").asText());
    assertEquals("st-1", exchange.path("state").asText());
    // the browser gets the session's variables, not Briefcase's own
    String browserEnv = Files.readString(bin.resolve("env"));
    assertTrue(browserEnv, browserEnv.contains("DISPLAY=:99"));
    assertFalse(browserEnv, browserEnv.contains("passphrase-Canary-31"));
    assertFalse(browserEnv, browserEnv.contains("BRIEFCASE_"));
  }

  @Test
  public void loginWithoutABrowserStillPrintsTheUrl() throws Exception {
    // no graphical session: xdg-open on PATH is not used
    Path bin = fakeBrowser(true);
    assertEquals(1, run(Map.of("PATH", bin.toString()), "login", "acme", "--timeout", "1"));
    assertFalse(Files.exists(bin.resolve("opened")));
    assertTrue(out, out.contains("Open this URL in a browser to log in to acme:"));
    assertTrue(out, out.contains("/callback?state=st-1"));
    assertTrue(err, err.contains("oauth_login_timeout"));
    assertFalse(mapper.readTree(lastBody.get("POST /v1/providers/acme/oauth/start")).has("scope"));

    // --no-browser, and a graphical session without xdg-open: the URL only
    assertEquals(
        1,
        run(
            Map.of("DISPLAY", ":99", "PATH", bin.toString()),
            "login",
            "acme",
            "--no-browser",
            "--timeout",
            "1"));
    assertFalse(Files.exists(bin.resolve("opened")));
    assertEquals(
        1,
        run(
            Map.of("WAYLAND_DISPLAY", "wayland-0", "PATH", tmp.newFolder("empty").toString()),
            "login",
            "acme",
            "--timeout",
            "1"));
    assertTrue(out, out.contains("Open this URL in a browser"));
  }

  @Test
  public void aBrowserThatFailsDoesNotFailTheLogin() throws Exception {
    Path bin = fakeBrowser(false);
    assertEquals(
        1,
        run(Map.of("DISPLAY", ":99", "PATH", bin.toString()), "login", "acme", "--timeout", "1"));
    assertTrue(Files.exists(bin.resolve("opened")));
    assertTrue(out, out.contains("/callback?state=st-1"));
    assertTrue(err, err.contains("oauth_login_timeout"));
  }

  @Test
  public void toolsCallOk() throws Exception {
    assertEquals(0, run("tools", "call", "echo", "--args", "{\"text\":\"hi\"}"));
    assertEquals("{\n  \"echo\" : \"hi\"\n}", out.strip());
    assertTrue(err, err.contains("source: local:echo"));
    JsonNode sent = mapper.readTree(lastBody.get("POST /v1/tools/call"));
    assertEquals("echo", sent.at("/call/tool_id").asText());
    assertEquals("hi", sent.at("/call/args/text").asText());
    assertTrue(sent.at("/call/context/request_id").asText().matches("[0-9a-f-]{36}"));
    assertFalse(sent.path("call").has("approval_token"));
  }

  @Test
  public void toolsCallJsonPrintsTheRawAnswer() throws Exception {
    assertEquals(0, run("tools", "call", "echo", "--args", "{\"text\":\"hi\"}", "--json"));
    assertEquals("ok", mapper.readTree(out).path("status").asText());
  }

  @Test
  public void approvalRequiredExitsThreeAndTokenRetryWorks() throws Exception {
    assertEquals(3, run("tools", "call", "note_add", "--args", "{\"text\":\"a\"}"));
    assertTrue(out, out.contains("approval required: abc (tool call requires approval)"));
    assertTrue(out, out.contains("briefcase approvals approve abc"));

    assertEquals(0, run("approvals", "approve", "abc"));
    assertTrue(out, out.contains("approved abc"));
    assertTrue(out, out.contains("approval token: tok-xyz"));

    assertEquals(
        0,
        run(
            "tools",
            "call",
            "note_add",
            "--args",
            "{\"text\":\"a\"}",
            "--approval-token",
            "tok-xyz"));
    assertEquals(
        "tok-xyz",
        mapper.readTree(lastBody.get("POST /v1/tools/call")).at("/call/approval_token").asText());
  }

  @Test
  public void deniedExitsOne() {
    assertEquals(1, run("tools", "call", "admin_thing"));
    assertTrue(err, err.contains("denied: policy_denied"));
    assertEquals(1, run("tools", "call", "crash"));
    assertTrue(err, err.contains("error: internal_error"));
  }

  @Test
  public void badArgsAreAUsageError() {
    assertEquals(2, run("tools", "call", "echo", "--args", "{not json"));
    assertTrue(err, err.contains("--args is not valid JSON"));
    assertEquals(2, run("tools", "call", "echo", "--args", "[1]"));
    assertEquals(2, run("tools", "frobnicate"));
    assertEquals(2, run());
    assertTrue(requests.isEmpty());
  }

  @Test
  public void paymentsListFiltersAndShowPrintsFacts() {
    assertEquals(0, run("payments", "list", "--day", "2026-12-08", "--rail", "x402"));
    assertTrue(requests.toString(), requests.contains("GET /v1/payments?day=2026-12-08&rail=x402"));
    assertTrue(out, out.contains("6f1c0e54-1111-2222-3333-444455556666"));
    assertTrue(out, out.contains("10000 (0.010000 USD)"));
    assertTrue(out, out.contains("settled"));
    assertEquals(0, run("payments", "show", "6f1c0e54-1111-2222-3333-444455556666"));
    assertTrue(out, out.contains("fact.amount_msat     2500000"));
    assertTrue(out, out.contains("reference            ab12"));
    assertTrue(out, out.contains("code                 -"));
    assertEquals(0, run("payments", "list", "--json"));
    assertTrue(out, out.startsWith("{\"payments\":"));
    assertEquals(1, run("payments", "show", "nope"));
    assertTrue(err, err.contains("not_found"));
  }

  @Test
  public void toolsList() {
    assertEquals(0, run("tools", "list"));
    assertTrue(out, out.contains("echo"));
    assertTrue(out, out.contains("misc"));
    assertTrue(requests.contains("GET /v1/tools"));
  }

  @Test
  public void approvalsListDenyAndApiErrors() {
    assertEquals(0, run("approvals", "list"));
    assertTrue(out, out.contains("11111111-2222-3333-4444-555555555555"));
    assertTrue(out, out.contains("args      {\"text\":\"a\"}"));
    assertTrue(out, out.contains("args_hash h1"));
    assertEquals(0, run("approvals", "deny", "abc"));
    assertTrue(requests.contains("POST /v1/approvals/abc/deny"));
    assertEquals(1, run("approvals", "approve", "gone"));
    assertEquals("error: not_found: unknown or expired approval", err.strip());
  }

  @Test
  public void approvalsWatchPrintsEvents() {
    run("approvals", "watch", "--json");
    assertEquals(
        List.of(
            "{\"id\":\"a1\",\"tool_id\":\"note_add\"}", "{\"id\":\"a1\",\"tool_id\":\"note_add\"}"),
        out.lines().toList());
    run("approvals", "watch");
    assertTrue(out, out.contains("approval.created"));
    assertTrue(out, out.contains("approval.approved"));
  }

  @Test
  public void receiptsVerifyAndBrokenChain() {
    assertEquals(0, run("receipts", "verify"));
    assertTrue(out, out.contains("receipt chain ok"));
    chainBroken = true;
    assertEquals(5, run("receipts", "verify"));
    assertTrue(err, err.contains("broken at id 7: hash_mismatch"));
    assertEquals(5, run("receipts", "verify", "--json"));
    assertTrue(out, out.contains("\"first_bad_id\":7"));
  }

  @Test
  public void receiptsListAndExport() throws Exception {
    assertEquals(0, run("receipts", "list", "--limit", "10", "--offset", "5"));
    assertTrue(requests.contains("GET /v1/receipts?limit=10&offset=5"));
    assertTrue(out, out.contains("tool_call"));
    assertEquals(2, run("receipts", "list", "--limit", "501"));

    assertEquals(0, run("receipts", "export", "--after-id", "0"));
    assertEquals(3, out.lines().count());
    assertTrue(requests.contains("GET /v1/receipts/export?after_id=0"));
    Path file = tmp.getRoot().toPath().resolve("export.ndjson");
    assertEquals(0, run("receipts", "export", "--out", file.toString()));
    assertEquals(3, Files.readAllLines(file).size());
  }

  @Test
  public void budgets() throws Exception {
    assertEquals(0, run("budgets", "list"));
    assertTrue(out, out.contains("3000000 (3.000000 USD)"));
    assertEquals(0, run("budgets", "set", "read", "5000"));
    assertEquals(
        5000,
        mapper
            .readTree(lastBody.get("POST /v1/budgets/read"))
            .path("daily_limit_microusd")
            .asLong());
    assertEquals(1, run("budgets", "set", "read", "--", "-1"));
    assertEquals("error: invalid_budget: negative limit", err.strip());
    assertEquals(2, run("budgets", "set", "read", "lots"));
  }

  @Test
  public void wrongTokenIsUnauthorized() throws Exception {
    Path other = tmp.newFile("other-token").toPath();
    Files.writeString(other, "wrong\n");
    assertEquals(1, run("--token-file", other.toString(), "tools", "list"));
    assertEquals("error: unauthorized: missing or wrong bearer token", err.strip());
  }

  @Test
  public void globalOptionsWorkBeforeAndAfterTheSubcommand() throws Exception {
    Path elsewhere = tmp.newFolder("elsewhere").toPath();
    Map<String, String> env = Map.of("BRIEFCASE_DATA_DIR", elsewhere.toString());
    assertEquals(4, run(env, "tools", "list"));
    assertEquals(0, run(env, "tools", "list", "--data-dir", dataDir.toString()));
    assertEquals(0, run(env, "--data-dir", dataDir.toString(), "tools", "list"));
    assertEquals(
        0,
        run(
            env,
            "--url",
            "http://127.0.0.1:" + server.getAddress().getPort(),
            "--token-file",
            dataDir.resolve("auth_token").toString(),
            "tools",
            "list"));
  }

  @Test
  public void notRunningExitsFour() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Files.writeString(dataDir.resolve("admin.url"), "http://127.0.0.1:" + port + "\n");
    assertEquals(4, run("tools", "list"));
    assertEquals("briefcase: not running (start it with: briefcase start)", err.strip());
    assertEquals(4, run("receipts", "verify"));

    Files.delete(dataDir.resolve("admin.url"));
    assertEquals(4, run("approvals", "list"));
    assertEquals("briefcase: not running (start it with: briefcase start)", err.strip());
  }

  @Test
  public void statusAndStopWhenNotRunning() {
    assertEquals(4, run("status"));
    assertTrue(out, out.contains("running:    no"));
    assertTrue(out, out.contains("deploy dir: " + dataDir.resolve("deploy")));
    assertEquals(0, run("stop"));
    assertTrue(out, out.contains("not running"));
  }

  @Test
  public void startRejectsABadProfileMode() {
    assertEquals(1, run(Map.of("BRIEFCASE_PROFILE_MODE", "yolo"), "start"));
    assertEquals(
        "briefcase: invalid BRIEFCASE_PROFILE_MODE 'yolo' (expected reference, staging or ga)",
        err.strip());
  }

  @Test
  public void helpListsExitCodes() {
    assertEquals(0, run("--help"));
    assertTrue(out, out.contains("3   approval required"));
  }
}
