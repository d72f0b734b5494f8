package dev.briefcase.gateway.mcp.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.edge.IJsonText;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.After;
import org.junit.Test;

public class McpEndpointTest {
  private static final String INIT =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
          + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

  private McpEndpoint endpoint;
  private final Fakes.Tools tools =
      new Fakes.Tools(r -> Fakes.ok(Fakes.F.objectNode().put("echo", "hi"), 7));
  private final Fakes.Watch watch = new Fakes.Watch();
  private boolean kernelBound = true;

  @After
  public void close() {
    if (endpoint != null) {
      endpoint.close();
    }
  }

  private static Settings settings(long waitMillis) {
    return settings(waitMillis, 1000, false, List.of(), "", null);
  }

  private static Settings settings(
      long waitMillis,
      int maxSessions,
      boolean requireToken,
      List<String> origins,
      String publicHost,
      Path tokenFile) {
    return new Settings(
        "reference",
        "0.1.0",
        waitMillis,
        20,
        60_000,
        60_000,
        60_000,
        maxSessions,
        8,
        requireToken,
        origins,
        publicHost,
        tokenFile);
  }

  private McpEndpoint endpoint(Settings s) throws Exception {
    endpoint = new McpEndpoint(s, () -> kernelBound ? tools : null, () -> watch);
    endpoint.start();
    return endpoint;
  }

  private FakeExchange send(FakeExchange ex) throws Exception {
    endpoint.handle(ex);
    return ex;
  }

  private String initialize() throws Exception {
    FakeExchange ex = send(FakeExchange.post(INIT));
    assertEquals(200, ex.status);
    String sid = ex.responseHeaders.get("Mcp-Session-Id");
    assertNotNull(sid);
    return sid;
  }

  private static String call(int id, String tool, String args) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":"
        + args
        + "}}";
  }

  private static String callWithProgress(int id, String tool, String args) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":"
        + args
        + ",\"_meta\":{\"progressToken\":\"p1\"}}}";
  }

  private static int errorCode(FakeExchange ex) throws Exception {
    return ex.json().path("error").path("code").asInt();
  }

  // ---------------------------------------------------------------- lifecycle

  @Test
  public void initializeNegotiatesAndOpensASession() throws Exception {
    endpoint(settings(0));
    FakeExchange ex = send(FakeExchange.post(INIT));
    assertEquals(200, ex.status);
    JsonNode r = ex.json().get("result");
    assertEquals("2025-06-18", r.get("protocolVersion").asText());
    assertTrue(r.at("/capabilities/tools/listChanged").asBoolean());
    assertEquals(
        "aacp_v1", r.at("/capabilities/experimental/briefcase/compatibility_profile").asText());
    assertEquals("reference", r.at("/capabilities/briefcase/mode").asText());
    assertEquals("briefcase", r.at("/serverInfo/name").asText());
    String sid = ex.responseHeaders.get("Mcp-Session-Id");
    assertTrue(sid.length() >= 32);
    assertTrue(sid.chars().allMatch(c -> c >= 0x21 && c <= 0x7e));
    assertNotEquals(sid, initialize());
    assertEquals(2, endpoint.sessionCount());
  }

  @Test
  public void unknownVersionGetsTheLatest() throws Exception {
    endpoint(settings(0));
    FakeExchange ex = send(FakeExchange.post(INIT.replace("2025-06-18", "1999-01-01")));
    assertEquals("2025-11-25", ex.json().at("/result/protocolVersion").asText());
  }

  @Test
  public void initializeWithoutProtocolVersionIsInvalidParams() throws Exception {
    endpoint(settings(0));
    FakeExchange ex =
        send(FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}"));
    assertEquals(-32602, errorCode(ex));
    assertEquals(0, endpoint.sessionCount());
  }

  @Test
  public void requestsBeforeInitializeAreRefusedButPingIsServed() throws Exception {
    endpoint(settings(0));
    FakeExchange list =
        send(FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}"));
    assertEquals(400, list.status);
    assertEquals(-32002, errorCode(list));
    assertEquals(2, list.json().get("id").asInt());
    FakeExchange ping =
        send(FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}"));
    assertEquals(200, ping.status);
    assertTrue(ping.json().get("result").isObject());
  }

  @Test
  public void toolsListIsServedBeforeInitializedNotification() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    FakeExchange ex =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}")
                .session(sid));
    assertEquals(200, ex.status);
    JsonNode tool = ex.json().at("/result/tools/0");
    assertEquals("echo", tool.get("name").asText());
    assertEquals("echo title", tool.get("title").asText());
    assertEquals("does echo", tool.get("description").asText());
    assertEquals("object", tool.at("/inputSchema/type").asText());
    FakeExchange withCursor =
        send(
            FakeExchange.post(
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\","
                        + "\"params\":{\"cursor\":\"x\"}}")
                .session(sid));
    // no cursor is ever issued, so any cursor is unknown: invalid params (MCP pagination)
    assertEquals(-32602, withCursor.json().at("/error/code").asInt());
  }

  @Test
  public void repeatedInitializeOnASessionIsInvalidRequest() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    FakeExchange ex = send(FakeExchange.post(INIT).session(sid));
    assertEquals(-32600, errorCode(ex));
    assertEquals(1, endpoint.sessionCount());
  }

  @Test
  public void notificationsAndClientResponsesAreAccepted() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    FakeExchange n =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")
                .session(sid));
    assertEquals(202, n.status);
    assertNull(n.responseBody);
    FakeExchange r =
        send(FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}").session(sid));
    assertEquals(202, r.status);
    assertNull(r.responseBody);
  }

  // ---------------------------------------------------------------- JSON-RPC errors

  @Test
  public void batchesParseErrorsAndBadShapesAreRefused() throws Exception {
    endpoint(settings(0));
    FakeExchange batch = send(FakeExchange.post("[" + INIT + "]"));
    assertEquals(400, batch.status);
    assertEquals(-32600, errorCode(batch));
    FakeExchange parse = send(FakeExchange.post("{\"jsonrpc\":"));
    assertEquals(400, parse.status);
    assertEquals(-32700, errorCode(parse));
    FakeExchange trailing = send(FakeExchange.post(INIT + "{}"));
    assertEquals(-32700, errorCode(trailing));
    FakeExchange noVersion = send(FakeExchange.post("{\"id\":1,\"method\":\"ping\"}"));
    assertEquals(-32600, errorCode(noVersion));
    FakeExchange badMethod = send(FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}"));
    assertEquals(-32600, errorCode(badMethod));
    FakeExchange nullId =
        send(FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}"));
    assertEquals(-32600, errorCode(nullId));
    assertEquals(0, endpoint.sessionCount());
  }

  @Test
  public void unknownMethodInvalidParamsAndUnknownTool() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    FakeExchange unknown =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/list\"}")
                .session(sid));
    assertEquals(-32601, errorCode(unknown));
    FakeExchange noName =
        send(
            FakeExchange.post(
                    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{}}")
                .session(sid));
    assertEquals(-32602, errorCode(noName));
    FakeExchange badParams =
        send(
            FakeExchange.post(
                    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":[1]}")
                .session(sid));
    assertEquals(-32602, errorCode(badParams));
    assertTrue(tools.calls().isEmpty());

    tools.answer = r -> ToolCallOutcome.denied("unknown_tool", 11);
    FakeExchange ex = send(FakeExchange.post(call(6, "nope", "{}")).session(sid));
    assertEquals(-32602, errorCode(ex));
    assertEquals("Unknown tool: nope", ex.json().at("/error/message").asText());
    // the kernel saw it, so it wrote the unknown_tool receipt
    assertEquals("nope", tools.calls().get(0).toolId());
  }

  @Test
  public void kernelDownIsInternalError() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    kernelBound = false;
    FakeExchange list =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}")
                .session(sid));
    assertEquals(-32603, errorCode(list));
    assertEquals("Briefcase kernel unavailable", list.json().at("/error/message").asText());
    FakeExchange c = send(FakeExchange.post(call(3, "echo", "{}")).session(sid));
    assertEquals(-32603, errorCode(c));
  }

  // ---------------------------------------------------------------- HTTP layer

  @Test
  public void sessionHeaderErrorsAndDelete() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    FakeExchange missing =
        send(FakeExchange.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
    assertEquals(400, missing.status);
    FakeExchange unknown =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}")
                .session("nope"));
    assertEquals(404, unknown.status);
    FakeExchange deleteMissing = send(new FakeExchange("DELETE"));
    assertEquals(400, deleteMissing.status);
    FakeExchange delete = send(new FakeExchange("DELETE").session(sid));
    assertEquals(202, delete.status);
    assertEquals(0, endpoint.sessionCount());
    FakeExchange after =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}")
                .session(sid));
    assertEquals(404, after.status);
    assertEquals(404, send(new FakeExchange("DELETE").session(sid)).status);
  }

  @Test
  public void protocolVersionHeader() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    String list = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
    assertEquals(200, send(FakeExchange.post(list).session(sid)).status);
    assertEquals(
        200,
        send(FakeExchange.post(list).session(sid).header("MCP-Protocol-Version", "2025-11-25"))
            .status);
    assertEquals(
        400,
        send(FakeExchange.post(list).session(sid).header("MCP-Protocol-Version", "1999-01-01"))
            .status);
    assertEquals(
        400, send(FakeExchange.post(list).session(sid).header("MCP-Protocol-Version", "")).status);
  }

  @Test
  public void acceptContentTypeAndSizeAreChecked() throws Exception {
    endpoint(settings(0));
    assertEquals(406, send(FakeExchange.post(INIT).header("Accept", "application/json")).status);
    assertEquals(200, send(FakeExchange.post(INIT).header("Accept", "*/*")).status);
    assertEquals(415, send(FakeExchange.post(INIT).header("Content-Type", "text/plain")).status);
    FakeExchange big = FakeExchange.post(INIT);
    big.body = new byte[McpEndpoint.MAX_BODY + 1];
    assertEquals(413, send(big).status);
    assertEquals(1, endpoint.sessionCount());
    assertEquals(405, send(new FakeExchange("PUT")).status);
  }

  @Test
  public void onlyConfiguredOriginsAreAccepted() throws Exception {
    endpoint(settings(0, 1000, false, List.of("https://app.example.com/"), "", null));
    assertEquals(
        403, send(FakeExchange.post(INIT).header("Origin", "https://evil.example")).status);
    assertEquals(403, send(FakeExchange.post(INIT).header("Origin", "null")).status);
    // a page on another loopback port is another origin: loopback is no longer a free pass
    for (String o : List.of("http://localhost:5173", "http://127.0.0.1:9", "http://[::1]:3000")) {
      FakeExchange local = send(FakeExchange.post(INIT).header("Origin", o));
      assertEquals(o, 403, local.status);
      assertNull(local.responseHeaders.get("Access-Control-Allow-Origin"));
      assertNull(local.responseHeaders.get("Mcp-Session-Id"));
    }
    FakeExchange app = send(FakeExchange.post(INIT).header("Origin", "https://APP.example.com"));
    assertEquals(200, app.status);
    assertEquals("https://APP.example.com", app.responseHeaders.get("Access-Control-Allow-Origin"));
    // the listener's own origin (same loopback port) is same-origin
    assertEquals(
        200, send(FakeExchange.post(INIT).header("Origin", "http://127.0.0.1:8765")).status);
    assertEquals(
        200, send(FakeExchange.post(INIT).header("Origin", "http://localhost:8765")).status);
    assertEquals(
        403, send(FakeExchange.post(INIT).header("Origin", "https://127.0.0.1:8765")).status);
    // SDK clients send no Origin
    assertEquals(200, send(FakeExchange.post(INIT)).status);
  }

  @Test
  public void hostIsCheckedAndAPublicHostAlwaysNeedsTheToken() throws Exception {
    Path file = Files.createTempDirectory("mcp-token").resolve("mcp_token");
    endpoint(settings(0, 1000, false, List.of(), "mcp.example", file));
    String token = Files.readString(file).strip();
    String bearer = "Bearer " + token;
    assertEquals(403, send(FakeExchange.post(INIT).header("Host", "evil.example")).status);
    assertEquals(403, send(FakeExchange.post(INIT).header("Host", "127.0.0.1.nip.io:80")).status);
    // behind a local reverse proxy (public host configured) even loopback requests need the token
    assertEquals(401, send(FakeExchange.post(INIT).header("Host", "localhost:1234")).status);
    assertEquals(401, send(FakeExchange.post(INIT).header("Host", "MCP.example:443")).status);
    assertEquals(
        200,
        send(FakeExchange.post(INIT)
                .header("Host", "localhost:1234")
                .header("Authorization", bearer))
            .status);
    assertEquals(
        200,
        send(FakeExchange.post(INIT).header("Host", "[::1]:1234").header("Authorization", bearer))
            .status);
    assertEquals(
        200,
        send(FakeExchange.post(INIT)
                .header("Host", "MCP.example:443")
                .header("Authorization", bearer))
            .status);
  }

  @Test
  public void nonLoopbackHostOrAddressNeedsTheTokenEvenInDevelopment() throws Exception {
    Path file = Files.createTempDirectory("mcp-token").resolve("mcp_token");
    endpoint(settings(0, 1000, false, List.of(), "", file));
    assertEquals(200, send(FakeExchange.post(INIT)).status);
    FakeExchange viaLan = FakeExchange.post(INIT).header("Host", "192.168.1.5:8765");
    viaLan.localAddress = "192.168.1.5";
    // the address literal it arrived on is fine for Host, but beyond loopback a token is needed
    assertEquals(401, send(viaLan).status);
  }

  @Test
  public void bearerTokenRequiredByDefault() throws Exception {
    Path dir = Files.createTempDirectory("mcp-token");
    Path file = dir.resolve("mcp_token");
    endpoint(settings(0, 1000, true, List.of(), "", file));
    assertTrue(Files.exists(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    String token = Files.readString(file).strip();
    assertTrue(token.length() >= 43);
    FakeExchange none = send(FakeExchange.post(INIT));
    assertEquals(401, none.status);
    assertNotNull(none.responseHeaders.get("WWW-Authenticate"));
    assertEquals(401, send(FakeExchange.post(INIT).header("Authorization", "Bearer x")).status);
    assertEquals(
        200, send(FakeExchange.post(INIT).header("Authorization", "Bearer " + token)).status);
  }

  @Test
  public void exposedListenerRequiresTheToken() throws Exception {
    Path file = Files.createTempDirectory("mcp-token").resolve("mcp_token");
    endpoint(settings(0, 1000, false, List.of(), "", file));
    assertEquals(200, send(FakeExchange.post(INIT)).status);
    assertTrue("made at start, for the stdio bridge", Files.exists(file));
    endpoint.guard().markExposed();
    assertEquals(401, send(FakeExchange.post(INIT)).status);
    String token = Files.readString(file).strip();
    assertEquals(
        200, send(FakeExchange.post(INIT).header("Authorization", "bearer " + token)).status);
  }

  @Test
  public void aTokenFileOthersCanReadFailsTheStart() throws Exception {
    Path file = Files.createTempDirectory("mcp-token").resolve("mcp_token");
    Files.writeString(file, "x".repeat(43) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try {
      endpoint(settings(0, 1000, true, List.of(), "", file));
      fail("a 0644 token file was used");
    } catch (java.io.IOException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("token_file_permissions: " + file));
    }
  }

  @Test
  public void sessionCapAndIdleExpiry() throws Exception {
    endpoint(
        new Settings(
            "reference", "0.1.0", 0, 20, 60_000, 0, 60_000, 2, 8, false, List.of(), "", null));
    String a = initialize();
    initialize();
    FakeExchange third = send(FakeExchange.post(INIT));
    assertEquals(503, third.status);
    assertNull(third.responseHeaders.get("Mcp-Session-Id"));
    Thread.sleep(2); // idle time is 0 ms: any pause expires them
    endpoint.sweep();
    assertEquals(0, endpoint.sessionCount());
    FakeExchange gone =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}")
                .session(a));
    assertEquals(404, gone.status);
    initialize();
  }

  // ---------------------------------------------------------------- tools/call results

  @Test
  public void okResultShape() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    FakeExchange ex = send(FakeExchange.post(call(5, "echo", "{\"text\":\"hi\"}")).session(sid));
    JsonNode r = ex.json().get("result");
    assertEquals(5, ex.json().get("id").asInt());
    assertFalse(r.get("isError").asBoolean());
    assertEquals("text", r.at("/content/0/type").asText());
    assertEquals("{\n  \"echo\" : \"hi\"\n}", r.at("/content/0/text").asText());
    assertEquals("hi", r.at("/structuredContent/echo").asText());
    assertEquals("local:echo", r.at("/_meta/provenance/source").asText());
    assertEquals(7, r.at("/_meta/provenance/receipt_id").asLong());
    assertEquals("0.25", r.at("/_meta/provenance/cost_usd").asText());
    assertEquals(7, r.at("/_meta/receipt_id").asLong());
    assertEquals("aacp_v1", r.at("/_meta/compatibility/compatibility_profile").asText());
    assertEquals("reference", r.at("/_meta/compatibility/mode").asText());

    ToolCallRequest seen = tools.calls().get(0);
    assertEquals("mcp", seen.context().surface());
    assertEquals(Session.kernelIdOf(sid), seen.context().sessionId());
    assertNotEquals(sid, seen.context().sessionId());
    assertNull(seen.argsDefect());
    assertEquals("hi", seen.args().get("text").asText());
  }

  @Test
  public void nonObjectResultHasNoStructuredContent() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    tools.answer = r -> Fakes.ok(Fakes.F.arrayNode().add(1), 8);
    JsonNode r = send(FakeExchange.post(call(5, "echo", "{}")).session(sid)).json().get("result");
    assertFalse(r.has("structuredContent"));
    assertEquals("[ 1 ]", r.at("/content/0/text").asText());
  }

  @Test
  public void approvalDeniedAndErrorResults() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    tools.answer =
        r -> ToolCallOutcome.approvalRequired(Fakes.approval("a-1", ApprovalRequest.PENDING), 21);
    JsonNode a =
        send(FakeExchange.post(call(1, "note_add", "{}")).session(sid)).json().get("result");
    assertTrue(a.get("isError").asBoolean());
    String text = a.at("/content/0/text").asText();
    assertTrue(text, text.contains("note_add") && text.contains("a-1"));
    assertTrue(text, text.contains("policy_requires_approval") && text.contains("call the tool"));
    assertEquals("a-1", a.at("/_meta/approval/id").asText());
    assertEquals("note_add", a.at("/_meta/approval/tool_id").asText());
    assertEquals("local", a.at("/_meta/approval/kind").asText());
    assertEquals("2026-01-01T00:10:00Z", a.at("/_meta/approval/expires_at").asText());
    assertTrue(a.at("/_meta/approval/summary").isObject());
    assertEquals(21, a.at("/_meta/receipt_id").asLong());

    tools.answer = r -> ToolCallOutcome.denied("policy_denied", 22);
    JsonNode d =
        send(FakeExchange.post(call(2, "note_add", "{}")).session(sid)).json().get("result");
    assertTrue(d.get("isError").asBoolean());
    assertEquals("Denied: policy_denied", d.at("/content/0/text").asText());
    assertEquals(22, d.at("/_meta/receipt_id").asLong());

    tools.answer = r -> ToolCallOutcome.error("upstream failed", 23);
    JsonNode e =
        send(FakeExchange.post(call(3, "note_add", "{}")).session(sid)).json().get("result");
    assertEquals("Error: upstream failed", e.at("/content/0/text").asText());
  }

  @Test
  public void loneSurrogatesAreInvalidParamsAfterTheKernelReceiptsTheAttempt() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    tools.answer = r -> ToolCallOutcome.denied("invalid_args: $.text: lone UTF-16 surrogate", 31);
    // JSON escapes, so the wire bytes are ASCII; the parsed strings hold the lone surrogates
    String[] hostile = {
      call(1, "echo", "{\"text\":\"\\ud800\"}"),
      call(2, "echo", "{\"text\":\"\\udfff\"}"),
      call(3, "echo", "{\"k\\ud800\":\"v\"}"),
      call(4, "nope\\ud800", "{}")
    };
    for (String body : hostile) {
      FakeExchange ex = send(FakeExchange.post(body).session(sid));
      assertEquals(200, ex.status);
      assertEquals(JsonRpc.INVALID_PARAMS, errorCode(ex));
      String message = ex.json().at("/error/message").asText();
      assertTrue(message, message.startsWith("Invalid params: not I-JSON"));
      assertTrue(IJsonText.wellFormed(new String(ex.responseBody, StandardCharsets.UTF_8)));
    }
    // every one reached the kernel, which writes the receipt, marked so the tool never runs
    assertEquals(4, tools.calls().size());
    assertEquals("nope\ud800", tools.calls().get(3).toolId());
    assertEquals("$.text: lone UTF-16 surrogate (not I-JSON)", tools.calls().get(0).argsDefect());
    FakeExchange meta =
        send(
            FakeExchange.post(
                    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{"
                        + "\"name\":\"echo\",\"arguments\":{},\"_meta\":{\"x\":\"\\udc00\"}}}")
                .session(sid));
    assertEquals(JsonRpc.INVALID_PARAMS, errorCode(meta));
    assertEquals(
        "$.params._meta.x: lone UTF-16 surrogate (not I-JSON)", tools.calls().get(4).argsDefect());

    // outside a tool call's params: refused here, the hostile id not echoed
    FakeExchange badId =
        send(
            FakeExchange.post("{\"jsonrpc\":\"2.0\",\"id\":\"\\udfff\",\"method\":\"tools/list\"}")
                .session(sid));
    assertEquals(JsonRpc.INVALID_REQUEST, errorCode(badId));
    assertTrue(badId.json().get("id").isNull());
    FakeExchange badList =
        send(
            FakeExchange.post(
                    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\","
                        + "\"params\":{\"cursor\":\"\\ud800\"}}")
                .session(sid));
    assertEquals(JsonRpc.INVALID_PARAMS, errorCode(badList));
    assertEquals(5, tools.calls().size());
    // a proper pair is fine
    send(FakeExchange.post(call(7, "echo", "{\"text\":\"\\ud83d\\ude00\"}")).session(sid));
    assertEquals(6, tools.calls().size());
    assertEquals(null, tools.calls().get(5).argsDefect());
  }

  @Test
  public void duplicateKeysInArgumentsAreHandedToTheKernel() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    tools.answer = r -> ToolCallOutcome.denied("invalid_args: " + r.argsDefect(), 30);
    FakeExchange ex =
        send(FakeExchange.post(call(1, "echo", "{\"text\":\"a\",\"text\":\"b\"}")).session(sid));
    assertEquals(JsonRpc.DUPLICATE_KEYS, tools.calls().get(0).argsDefect());
    assertTrue(ex.json().at("/result/isError").asBoolean());
    FakeExchange nested =
        send(FakeExchange.post(call(2, "echo", "{\"o\":{\"k\":1,\"k\":2}}")).session(sid));
    assertEquals(JsonRpc.DUPLICATE_KEYS, tools.calls().get(1).argsDefect());
    assertEquals(200, nested.status);
    // a duplicate outside the arguments is not a tool call at all
    FakeExchange outside =
        send(
            FakeExchange.post(
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"id\":4,\"method\":\"tools/call\","
                        + "\"params\":{\"name\":\"echo\"}}")
                .session(sid));
    assertEquals(-32700, errorCode(outside));
    assertEquals(2, tools.calls().size());
  }

  @Test
  public void approvalTokenIsPassedFromParamsOrMeta() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    send(
        FakeExchange.post(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
                    + "\"echo\",\"approvalToken\":\"tok-1\"}}")
            .session(sid));
    send(
        FakeExchange.post(
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
                    + "\"echo\",\"_meta\":{\"approvalToken\":\"tok-2\"}}}")
            .session(sid));
    assertEquals("tok-1", tools.calls().get(0).approvalToken());
    assertEquals("tok-2", tools.calls().get(1).approvalToken());
    assertTrue(tools.calls().get(0).args().isObject());
  }

  // ---------------------------------------------------------------- hold open

  /** The first call needs approval; a later one is the approved retry of the same session. */
  private void approvalFirstThenOk() {
    tools.answer =
        r ->
            tools.calls().size() <= 1
                ? ToolCallOutcome.approvalRequired(
                    Fakes.approval("a-9", ApprovalRequest.PENDING), 40)
                : Fakes.ok(Fakes.F.objectNode().put("saved", true), 41);
  }

  @Test
  public void heldCallAnswersWhenApproved() throws Exception {
    endpoint(settings(30_000));
    String sid = initialize();
    approvalFirstThenOk();
    watch.decisions.add(ApprovalRequest.PENDING);
    watch.decisions.add(ApprovalRequest.APPROVED);
    FakeExchange ex =
        send(FakeExchange.post(callWithProgress(12, "note_add", "{\"text\":\"x\"}")).session(sid));
    assertEquals("text/event-stream", ex.contentType);
    assertTrue(ex.stream.awaitClosed());
    List<JsonNode> msgs = ex.stream.messages();
    assertTrue(msgs.toString(), msgs.size() >= 3);
    for (int i = 0; i < msgs.size() - 1; i++) {
      assertEquals("notifications/progress", msgs.get(i).get("method").asText());
      assertEquals("p1", msgs.get(i).at("/params/progressToken").asText());
      assertEquals(i, msgs.get(i).at("/params/progress").asInt());
    }
    JsonNode last = msgs.get(msgs.size() - 1);
    assertEquals(12, last.get("id").asInt());
    assertFalse(last.at("/result/isError").asBoolean());
    assertTrue(last.at("/result/structuredContent/saved").asBoolean());
    assertEquals(41, last.at("/result/_meta/receipt_id").asLong());

    List<ToolCallRequest> calls = tools.calls();
    assertEquals(2, calls.size());
    // the approval id is not a token: the retry matches as the same session (SPEC §4 Δ 2026-12)
    assertNull(calls.get(1).approvalToken());
    assertEquals(calls.get(0).context().sessionId(), calls.get(1).context().sessionId());
    assertEquals(calls.get(0).args(), calls.get(1).args());
  }

  @Test
  public void heldCallEndsDeniedWhenRejected() throws Exception {
    endpoint(settings(30_000));
    String sid = initialize();
    approvalFirstThenOk();
    watch.decisions.add(ApprovalRequest.REJECTED);
    FakeExchange ex = send(FakeExchange.post(call(13, "note_add", "{}")).session(sid));
    assertTrue(ex.stream.awaitClosed());
    List<JsonNode> msgs = ex.stream.messages();
    JsonNode last = msgs.get(msgs.size() - 1);
    assertTrue(last.at("/result/isError").asBoolean());
    assertEquals("Denied: approval_rejected", last.at("/result/content/0/text").asText());
    assertEquals(1, tools.calls().size());
    // no progress token: the stream is kept alive with comments instead of notifications
    assertEquals(1, msgs.size());
    assertFalse(ex.stream.comments().isEmpty());
  }

  @Test
  public void heldCallTimesOutWithTheApprovalResult() throws Exception {
    endpoint(settings(100));
    String sid = initialize();
    approvalFirstThenOk();
    FakeExchange ex = send(FakeExchange.post(callWithProgress(14, "note_add", "{}")).session(sid));
    assertTrue(ex.stream.awaitClosed());
    List<JsonNode> msgs = ex.stream.messages();
    JsonNode last = msgs.get(msgs.size() - 1);
    assertEquals(14, last.get("id").asInt());
    assertEquals("a-9", last.at("/result/_meta/approval/id").asText());
    assertTrue(last.at("/result/isError").asBoolean());
    assertEquals(1, tools.calls().size());
  }

  @Test
  public void cancelledHeldCallEndsWithoutAnAnswer() throws Exception {
    endpoint(settings(30_000));
    String sid = initialize();
    approvalFirstThenOk();
    FakeExchange ex = send(FakeExchange.post(callWithProgress(15, "note_add", "{}")).session(sid));
    ex.stream.awaitMessages(1);
    FakeExchange cancel =
        send(
            FakeExchange.post(
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                        + "\"params\":{\"requestId\":15,\"reason\":\"user\"}}")
                .session(sid));
    assertEquals(202, cancel.status);
    assertTrue(ex.stream.awaitClosed());
    for (JsonNode m : ex.stream.messages()) {
      assertFalse(m.toString(), m.has("result") || m.has("error"));
    }
    assertEquals(1, tools.calls().size());
  }

  @Test
  public void holdingDisabledAnswersAtOnce() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    approvalFirstThenOk();
    FakeExchange ex = send(FakeExchange.post(call(16, "note_add", "{}")).session(sid));
    assertEquals("application/json", ex.contentType);
    assertEquals("a-9", ex.json().at("/result/_meta/approval/id").asText());
  }

  @Test
  public void deletingTheSessionCancelsItsHeldCall() throws Exception {
    endpoint(settings(30_000));
    String sid = initialize();
    approvalFirstThenOk();
    FakeExchange ex = send(FakeExchange.post(call(17, "note_add", "{}")).session(sid));
    assertEquals(202, send(new FakeExchange("DELETE").session(sid)).status);
    assertTrue(ex.stream.awaitClosed());
    assertTrue(ex.stream.messages().isEmpty());
  }

  // ---------------------------------------------------------------- GET stream

  @Test
  public void listChangedReachesTheOpenGetStream() throws Exception {
    endpoint(settings(0));
    String sid = initialize();
    FakeExchange noAccept = send(new FakeExchange("GET").session(sid));
    assertEquals(405, noAccept.status);
    FakeExchange missing = send(new FakeExchange("GET").header("Accept", "text/event-stream"));
    assertEquals(400, missing.status);
    FakeExchange get =
        send(new FakeExchange("GET").session(sid).header("Accept", "text/event-stream"));
    assertEquals("text/event-stream", get.contentType);
    endpoint.toolsChanged();
    List<JsonNode> msgs = get.stream.awaitMessages(1);
    assertEquals("notifications/tools/list_changed", msgs.get(0).get("method").asText());

    // a reconnecting client replaces its stream: the newest one wins, the old one is closed
    FakeExchange second =
        send(new FakeExchange("GET").session(sid).header("Accept", "text/event-stream"));
    assertEquals("text/event-stream", second.contentType);
    assertFalse(get.stream.isOpen());
    endpoint.toolsChanged();
    assertEquals(1, second.stream.awaitMessages(1).size());
    assertEquals(1, get.stream.messages().size());

    // the stream keeps the session alive; closing the gateway closes the stream
    endpoint.sweep();
    assertEquals(1, endpoint.sessionCount());
    endpoint.close();
    assertTrue(second.stream.awaitClosed());
  }
}
