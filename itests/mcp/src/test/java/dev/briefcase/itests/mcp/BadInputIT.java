package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Hostile and malformed input on the gateway's streamable HTTP endpoint, by hand (SPEC §10 error
 * table and HTTP transport rules). Every rejected request must create no session (no {@code
 * Mcp-Session-Id} on the answer), and after each test the server still completes a fresh handshake.
 */
public class BadInputIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALLOWED_ORIGIN = "http://localhost:5173";
  private static Gateway gateway;
  private static RawMcp mcp;

  @BeforeClass
  public static void start() throws Exception {
    gateway =
        Gateway.start(
            "bad-input",
            Map.of(
                "BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS",
                "0",
                "BRIEFCASE_MCP_ALLOWED_ORIGINS",
                ALLOWED_ORIGIN));
    mcp = new RawMcp(gateway.url(), gateway.token());
  }

  @AfterClass
  public static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  /** The server survives every case: a fresh client still gets through a handshake and a ping. */
  @After
  public void serverStillServes() throws Exception {
    String session = mcp.initialize();
    RawMcp.Reply ping = mcp.post(RawMcp.request(99, "ping"), session);
    assertEquals("ping after a bad request: " + ping, 200, ping.status());
    assertEquals(JSON.readTree("{}"), ping.json().path("result"));
    assertEquals("DELETE ends the session", 202, mcp.delete(session).status());
  }

  @Test
  public void malformedJsonIsAParseError() throws Exception {
    RawMcp.Reply sessionless = mcp.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":", null);
    assertEquals("-32700 without a session: " + sessionless, -32700, sessionless.errorCode());
    assertFalse("no session for garbage: " + sessionless, sessionless.session().isPresent());

    String session = mcp.initialize();
    RawMcp.Reply r = mcp.post("{not json", session);
    assertEquals("-32700 in a session: " + r, -32700, r.errorCode());
    assertTrue("a parse error has id null: " + r, r.json().path("id").isNull());
  }

  @Test
  public void batchIsAnInvalidRequest() throws Exception {
    String batch = "[" + RawMcp.request(1, "ping") + "," + RawMcp.request(2, "ping") + "]";
    String session = mcp.initialize();
    RawMcp.Reply r = mcp.post(batch, session);
    assertEquals("batch -> -32600: " + r, -32600, r.errorCode());

    RawMcp.Reply initBatch = mcp.post("[" + RawMcp.initializeBody(1) + "]", null);
    assertEquals("batched initialize -> -32600: " + initBatch, -32600, initBatch.errorCode());
    assertFalse("no session from a batch: " + initBatch, initBatch.session().isPresent());
  }

  @Test
  public void unknownMethodIsMethodNotFound() throws Exception {
    String session = mcp.initialize();
    RawMcp.Reply r = mcp.post(RawMcp.request(7, "briefcase/no-such-method"), session);
    assertEquals("-32601: " + r, -32601, r.errorCode());
    assertEquals("id echoed: " + r, 7, r.json().path("id").asInt());
  }

  @Test
  public void unknownToolIsInvalidParams() throws Exception {
    String session = mcp.initialize();
    RawMcp.Reply r =
        mcp.post(
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
                + "\"no_such_tool\",\"arguments\":{}}}",
            session);
    assertEquals("-32602: " + r, -32602, r.errorCode());
    assertTrue(
        "names the tool: " + r,
        r.json().path("error").path("message").asText().contains("no_such_tool"));
    List<JsonNode> receipts = gateway.toolCallReceipts();
    assertEquals(
        "one unknown_tool deny receipt: " + receipts,
        1,
        receipts.stream()
            .filter(e -> "no_such_tool".equals(e.path("tool_id").asText()))
            .filter(e -> "deny".equals(e.path("decision").asText()))
            .filter(e -> e.path("reason").asText().contains("unknown_tool"))
            .count());
  }

  @Test
  public void oversizedBodyIsRefused() throws Exception {
    String session = mcp.initialize();
    // a syntactically valid ping padded past 4 MiB
    char[] pad = new char[4 * 1024 * 1024 + 1024];
    Arrays.fill(pad, 'a');
    byte[] body =
        ("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":{\"_meta\":{\"pad\":\""
                + new String(pad)
                + "\"}}}")
            .getBytes(StandardCharsets.UTF_8);
    RawMcp.RawReply r =
        mcp.rawPost(
            "Host: "
                + mcp.hostPort()
                + "\r\nContent-Type: application/json\r\nAccept: application/json,"
                + " text/event-stream\r\nMcp-Session-Id: "
                + session
                + "\r\nMCP-Protocol-Version: "
                + RawMcp.VERSION
                + "\r\n",
            body);
    assertTrue(
        "413 or -32600 for a body over 4 MiB: " + abbreviate(r.toString()),
        r.status() == 413 || r.body().contains("-32600"));
  }

  @Test
  public void unknownSessionIsNotFound() throws Exception {
    RawMcp.Reply r = mcp.post(RawMcp.request(1, "ping"), "no-such-session-0000");
    assertEquals("unknown Mcp-Session-Id -> 404: " + r, 404, r.status());
  }

  @Test
  public void missingSessionIsBadRequest() throws Exception {
    RawMcp.Reply r = mcp.post(RawMcp.request(1, "tools/list"), null);
    assertEquals("tools/list without Mcp-Session-Id -> 400: " + r, 400, r.status());
    assertFalse("no session: " + r, r.session().isPresent());
  }

  @Test
  public void deleteWithoutSessionIsBadRequest() throws Exception {
    RawMcp.Reply r = mcp.delete(null);
    assertEquals("DELETE without Mcp-Session-Id -> 400: " + r, 400, r.status());
  }

  @Test
  public void deletedSessionIsGone() throws Exception {
    String session = mcp.initialize();
    assertEquals(202, mcp.delete(session).status());
    RawMcp.Reply r = mcp.post(RawMcp.request(1, "ping"), session);
    assertEquals("a deleted session -> 404: " + r, 404, r.status());
  }

  @Test
  public void wrongProtocolVersionHeaderIsBadRequest() throws Exception {
    String session = mcp.initialize();
    RawMcp.Reply wrong =
        mcp.post(RawMcp.request(1, "ping"), session, Map.of("MCP-Protocol-Version", "1999-01-01"));
    assertEquals("MCP-Protocol-Version 1999-01-01 -> 400: " + wrong, 400, wrong.status());
    RawMcp.Reply empty =
        mcp.post(RawMcp.request(3, "ping"), session, Map.of("MCP-Protocol-Version", ""));
    assertEquals("an empty MCP-Protocol-Version -> 400: " + empty, 400, empty.status());

    RawMcp.Reply missing =
        mcp.post(
            RawMcp.request(2, "ping"),
            null,
            Map.of("Mcp-Session-Id", session)); // no MCP-Protocol-Version at all
    assertEquals("no MCP-Protocol-Version -> served: " + missing, 200, missing.status());
  }

  @Test
  public void hostileOriginIsForbidden() throws Exception {
    // its own connections: after an early 403 the server may drop a keep-alive connection (see
    // earlyRejectionKeepsKeepAliveUsable)
    RawMcp hostile = mcp.fresh();
    RawMcp.Reply r =
        hostile.post(RawMcp.initializeBody(1), null, Map.of("Origin", "http://evil.example"));
    assertEquals("Origin http://evil.example -> 403: " + r, 403, r.status());
    assertFalse("no session for a hostile origin: " + r, r.session().isPresent());

    String session = mcp.initialize();
    RawMcp.Reply inSession =
        hostile.post(RawMcp.request(2, "ping"), session, Map.of("Origin", "http://evil.example"));
    assertEquals("hostile Origin inside a session -> 403: " + inSession, 403, inSession.status());

    // another loopback port is another origin: only configured origins pass
    RawMcp.Reply local =
        hostile.post(RawMcp.request(3, "ping"), session, Map.of("Origin", "http://localhost"));
    assertEquals("an unconfigured loopback Origin -> 403: " + local, 403, local.status());
    RawMcp.Reply allowed =
        mcp.post(RawMcp.request(4, "ping"), session, Map.of("Origin", ALLOWED_ORIGIN));
    assertEquals("a configured Origin is fine: " + allowed, 200, allowed.status());
  }

  @Test
  public void missingTokenIsUnauthorizedOnLoopback() throws Exception {
    assertTrue("the gateway made its token file", gateway.tokenFile().isPresent());
    RawMcp anonymous = new RawMcp(gateway.url(), Optional.empty());
    RawMcp.Reply r = anonymous.post(RawMcp.initializeBody(1), null, Map.of());
    assertEquals("no bearer token -> 401: " + r, 401, r.status());
    assertFalse("no session without the token: " + r, r.session().isPresent());
  }

  /**
   * A request rejected before its body is read (here: hostile Origin, 403) must leave the
   * connection usable for the next request, or say {@code Connection: close}; otherwise pooling
   * clients (java.net.http, undici) fail their next request on that connection with "no bytes".
   * Deterministic: the body is only sent after the 403 has been read.
   */
  @Test
  public void earlyRejectionKeepsKeepAliveUsable() throws Exception {
    URI u = URI.create(gateway.url());
    byte[] body = RawMcp.initializeBody(1).getBytes(StandardCharsets.UTF_8);
    String head =
        "POST "
            + u.getRawPath()
            + " HTTP/1.1\r\nHost: "
            + mcp.hostPort()
            + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            + "Content-Length: "
            + body.length
            + "\r\n";
    try (Socket s = new Socket(u.getHost(), u.getPort())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write((head + "Origin: http://evil.example\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String first = readResponse(in);
      assertTrue("hostile Origin -> 403: " + first, first.startsWith("HTTP/1.1 403"));
      if (first.toLowerCase(Locale.ROOT).contains("\r\nconnection: close")) {
        return; // the server announced the close: a client will not reuse the connection
      }
      out.write(body); // the rejected request's body, after its answer
      out.write((head + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      String second = readResponse(in);
      assertTrue(
          "after a 403 without 'Connection: close', the next request on the same connection"
              + " must be answered; got: "
              + (second.isEmpty() ? "connection closed (EOF)" : second),
          second.startsWith("HTTP/1.1 200"));
    }
  }

  /** One HTTP/1.1 response with a Content-Length body, or "" at end of stream. */
  private static String readResponse(InputStream in) throws java.io.IOException {
    StringBuilder h = new StringBuilder();
    int c;
    while (h.indexOf("\r\n\r\n") < 0 && (c = in.read()) >= 0) {
      h.append((char) c);
    }
    if (h.indexOf("\r\n\r\n") < 0) {
      return h.toString();
    }
    int length = 0;
    for (String line : h.toString().split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  @Test
  public void foreignHostIsForbidden() throws Exception {
    RawMcp.RawReply r =
        mcp.rawPost(
            "Host: evil.example:80\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\n",
            RawMcp.initializeBody(1).getBytes(StandardCharsets.UTF_8));
    assertTrue(
        "Host evil.example:80 -> 403 (or 400): " + r, r.status() == 403 || r.status() == 400);
    assertFalse("no session for a rebinding Host: " + r, r.hasSessionHeader());
  }

  @Test
  public void repeatedInitializeIsAnInvalidRequest() throws Exception {
    String session = mcp.initialize();
    RawMcp.Reply r = mcp.post(RawMcp.initializeBody(2), session);
    assertEquals("second initialize in a session -> -32600: " + r, -32600, r.errorCode());
    r.session()
        .ifPresent(s -> assertEquals("no new session from a repeated initialize", session, s));
  }

  @Test
  public void servedRightAfterInitializeBeforeInitializedNotification() throws Exception {
    RawMcp.Reply init = mcp.post(RawMcp.initializeBody(1), null);
    assertEquals(200, init.status());
    String session = init.session().orElseThrow();
    RawMcp.Reply list = mcp.post(RawMcp.request(2, "tools/list"), session);
    assertEquals(
        "tools/list before notifications/initialized is served: " + list, 200, list.status());
    assertTrue("tools: " + list, list.json().path("result").path("tools").isArray());
  }

  @Test
  public void unsupportedRequestedVersionGetsLatest() throws Exception {
    RawMcp.Reply r =
        mcp.post(RawMcp.initializeBody(1).replace(RawMcp.VERSION, "1999-01-01"), null, Map.of());
    assertEquals(200, r.status());
    assertEquals(
        "unknown version -> 2025-11-25: " + r,
        "2025-11-25",
        r.json().path("result").path("protocolVersion").asText());
    RawMcp.Reply older =
        mcp.post(RawMcp.initializeBody(2).replace(RawMcp.VERSION, "2025-06-18"), null, Map.of());
    assertEquals(
        "2025-06-18 is echoed: " + older,
        "2025-06-18",
        older.json().path("result").path("protocolVersion").asText());
    for (RawMcp.Reply x : List.of(r, older)) {
      x.session().ifPresent(s -> deleteQuietly(s));
    }
  }

  /** Over the stdio bridge, a request before initialize gets -32002 (SPEC §10 acceptance 1). */
  @Test
  public void stdioRequestBeforeInitializeIsServerNotInitialized() throws Exception {
    Path err = Files.createTempFile("briefcase-mcp", ".err");
    ProcessBuilder pb =
        new ProcessBuilder("sh", Distribution.home().resolve("bin/briefcase").toString(), "mcp")
            .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
    pb.environment().put("BRIEFCASE_DATA_DIR", gateway.dist.dataDir.toString());
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream();
        BufferedReader out =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      in.write((RawMcp.request(1, "tools/list") + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      String line = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
      assertTrue("an answer; stderr: " + Files.readString(err), line != null);
      JsonNode n = JSON.readTree(line);
      assertEquals(
          "tools/list before initialize -> -32002: " + line,
          -32002,
          n.path("error").path("code").asInt());
      assertEquals(1, n.path("id").asInt());
    } finally {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static String readLine(BufferedReader r) {
    try {
      return r.readLine();
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private static void deleteQuietly(String session) {
    try {
      mcp.delete(session);
    } catch (Exception e) {
      // best effort
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 1500 ? s.substring(0, 1500) + "…" : s;
  }
}
