package dev.briefcase.runtime.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.runtime.launcher.InstanceLock;
import dev.briefcase.testing.Poll;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The stdio bridge in-process against a fake streamable-HTTP MCP server. */
public class StdioBridgeTest {
  private static final String TOKEN = "mcp-bearer-9c41e7d2b5a8";
  private static final String INIT =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
          + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
  private static final String INITIALIZED =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path dataDir;
  private FakeMcpServer server;
  private final List<InstanceLock> locks = new ArrayList<>();
  private final List<BridgeHarness> harnesses = new ArrayList<>();

  @Before
  public void setUp() throws Exception {
    dataDir = tmp.newFolder("data").toPath();
  }

  @After
  public void tearDown() throws Exception {
    for (BridgeHarness h : harnesses) {
      h.close();
    }
    if (server != null) {
      server.close();
    }
    locks.forEach(InstanceLock::close);
  }

  private BridgeHarness bridge(Map<String, String> env, boolean noStart, KernelStarter starter)
      throws Exception {
    return bridge(env, noStart, starter, null);
  }

  private BridgeHarness bridge(
      Map<String, String> env, boolean noStart, KernelStarter starter, byte[] input)
      throws Exception {
    BridgeHarness h =
        new BridgeHarness(
            log ->
                new McpEndpointResolver(
                    env, dataDir, noStart, starter, log, Duration.ofSeconds(10)),
            true,
            input == null ? null : new ByteArrayInputStream(input));
    harnesses.add(h);
    return h;
  }

  private static KernelStarter mustNotStart() {
    return dir -> {
      throw new AssertionError("the bridge must not start a kernel here");
    };
  }

  @Test
  public void relaysJsonSseAndServerEventsWithSessionHeadersAndBearer() throws Exception {
    server = new FakeMcpServer(TOKEN);
    Files.writeString(dataDir.resolve("mcp_token"), TOKEN + "\n");
    BridgeHarness h = bridge(Map.of("BRIEFCASE_MCP_URL", server.url()), true, mustNotStart());

    h.send(INIT);
    JsonNode init = h.response("1");
    assertEquals("2025-06-18", init.path("result").path("protocolVersion").asText());
    h.send(INITIALIZED);

    // the GET event stream opened after initialize delivers the server's notification
    h.await(
        "notifications/tools/list_changed",
        n -> "notifications/tools/list_changed".equals(n.path("method").asText()));

    h.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    assertEquals("echo", h.response("2").path("result").path("tools").get(0).path("name").asText());

    h.send(
        "{\"jsonrpc\":\"2.0\",\"id\":\"c3\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
            + "\"arguments\":{},\"_meta\":{\"progressToken\":\"p9\"}}}");
    JsonNode call = h.response("\"c3\"");
    assertEquals("ok", call.path("result").path("content").get(0).path("text").asText());
    // the progress notification came from the same SSE stream, before the response
    List<String> lines = h.lines();
    int progress = indexOf(h, lines, "notifications/progress");
    int response = lines.indexOf(h.mapper.writeValueAsString(call));
    assertTrue("progress not relayed: " + lines, progress >= 0);
    assertTrue("progress after the response: " + lines, progress < response);
    assertEquals(
        "line one\nline two",
        h.mapper.readTree(lines.get(progress)).path("params").path("message").asText());

    h.send("{oops");
    h.await("parse error", n -> n.path("error").path("code").asInt() == -32700);
    assertTrue(
        h.lines()
            .contains(
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}"));

    // the event stream ended after one event: the bridge reconnects with Last-Event-ID (then 405)
    Poll.waitFor(
        () -> server.seen("GET").stream().anyMatch(s -> "g1".equals(s.header("Last-Event-ID"))),
        "a reconnect with Last-Event-ID",
        Duration.ofSeconds(10));

    assertEquals(0, h.closeAndWait());
    assertTrue("no DELETE at end of input", server.deleted.await(5, TimeUnit.SECONDS));

    h.assertOnlyJsonRpc();
    for (FakeMcpServer.Seen s : server.seen) {
      assertEquals(
          s.method() + " without the bearer", "Bearer " + TOKEN, s.header("Authorization"));
      if ("initialize".equals(s.rpcMethod())) {
        assertNull(s.header("Mcp-Session-Id"));
      } else {
        assertEquals(
            s.method() + " " + s.rpcMethod(), FakeMcpServer.SESSION, s.header("Mcp-Session-Id"));
        assertEquals(
            s.method() + " " + s.rpcMethod(), "2025-06-18", s.header("MCP-Protocol-Version"));
      }
    }
    FakeMcpServer.Seen post = server.seen("POST").get(1);
    assertEquals("application/json", post.header("Content-Type"));
    assertTrue(post.header("Accept").contains("application/json"));
    assertTrue(post.header("Accept").contains("text/event-stream"));
    List<FakeMcpServer.Seen> gets = server.seen("GET");
    assertEquals(2, gets.size());
    assertNull(gets.get(0).header("Last-Event-ID"));
    assertEquals("g1", gets.get(1).header("Last-Event-ID"));
    assertEquals("text/event-stream", gets.get(1).header("Accept"));
    assertEquals(1, server.seen("DELETE").size());

    for (String line : h.lines()) {
      assertFalse(line.contains(TOKEN));
    }
    String err = h.stderr();
    assertFalse(err.contains(TOKEN));
    assertTrue("--verbose logs method names: " + err, err.contains("tools/list"));
    assertFalse("bodies are not logged: " + err, err.contains("echo"));
  }

  private static int indexOf(BridgeHarness h, List<String> lines, String method) throws Exception {
    for (int i = 0; i < lines.size(); i++) {
      if (method.equals(h.mapper.readTree(lines.get(i)).path("method").asText())) {
        return i;
      }
    }
    return -1;
  }

  @Test
  public void pipelinedRequestsAreAnsweredInTheServersOrder() throws Exception {
    server = new FakeMcpServer(null);
    BridgeHarness h = bridge(Map.of("BRIEFCASE_MCP_URL", server.url()), true, mustNotStart());
    h.send(INIT);
    h.response("1");
    // the server holds "slow" until "fast" is answered: sequential relaying would deadlock
    h.send("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"slow\"}");
    h.send("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"fast\"}");
    JsonNode slow = h.response("10");
    JsonNode fast = h.response("11");
    assertEquals("fast", fast.path("result").path("speed").asText());
    // "slow" was still open when "fast" reached the server: the bridge did not serialise them
    assertEquals("slow", slow.path("result").path("speed").asText());
    assertEquals(0, h.closeAndWait());
    h.assertOnlyJsonRpc();
    // no mcp_token file: no Authorization header
    server.seen.forEach(s -> assertNull(s.header("Authorization")));
  }

  @Test
  public void httpFailuresBecomeJsonRpcErrors() throws Exception {
    server = new FakeMcpServer(null);
    BridgeHarness h = bridge(Map.of("BRIEFCASE_MCP_URL", server.url()), false, mustNotStart());
    h.send(INIT);
    h.response("1");
    h.send("{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":\"invalid\"}");
    h.send("{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"crash\"}");
    h.send("{\"jsonrpc\":\"2.0\",\"id\":22,\"method\":\"expire\"}");
    h.send("{\"jsonrpc\":\"2.0\",\"id\":23,\"method\":\"resume\"}");

    // a 4xx JSON-RPC error body is relayed, with the request's id in place of null
    JsonNode invalid = h.response("20");
    assertEquals(-32602, invalid.path("error").path("code").asInt());
    assertEquals("Invalid params", invalid.path("error").path("message").asText());

    JsonNode crash = h.response("21");
    assertEquals(-32603, crash.path("error").path("code").asInt());
    assertTrue(crash.path("error").path("message").asText().contains("HTTP 500"));

    JsonNode expired = h.response("22");
    assertEquals(-32603, expired.path("error").path("code").asInt());
    assertEquals(StdioBridge.SESSION_EXPIRED, expired.path("error").path("message").asText());

    // the SSE stream ended after its priming event: the answer comes on a GET with Last-Event-ID
    JsonNode resumed = h.response("23");
    assertTrue(resumed.path("result").path("resumed").asBoolean());
    assertTrue(server.seen("GET").stream().anyMatch(s -> "r0".equals(s.header("Last-Event-ID"))));

    assertEquals(0, h.closeAndWait());
    h.assertOnlyJsonRpc();
    assertTrue(h.stderr().contains(StdioBridge.SESSION_EXPIRED));
  }

  @Test
  public void serverDownAnswersRequestsAndDropsNotifications() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/mcp";
    byte[] input =
        ("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}\n" + INITIALIZED + "\n")
            .getBytes(StandardCharsets.UTF_8);
    BridgeHarness h = bridge(Map.of("BRIEFCASE_MCP_URL", url), false, mustNotStart(), input);
    assertEquals(0, h.waitForExit());
    List<String> lines = h.lines();
    assertEquals(lines.toString(), 1, lines.size());
    JsonNode error = h.mapper.readTree(lines.get(0));
    assertEquals(7, error.path("id").asInt());
    assertEquals(-32603, error.path("error").path("code").asInt());
    assertEquals(
        "Briefcase is not reachable at " + url, error.path("error").path("message").asText());
    h.assertOnlyJsonRpc();
  }

  @Test
  public void noStartFailsClearlyWithoutStartingAKernel() throws Exception {
    AtomicInteger starts = new AtomicInteger();
    byte[] input =
        (INIT + "\n" + INITIALIZED + "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n")
            .getBytes(StandardCharsets.UTF_8);
    BridgeHarness h =
        bridge(
            Map.of(),
            true,
            dir -> {
              starts.incrementAndGet();
              return 1;
            },
            input);
    assertEquals(StdioBridge.EXIT_NOT_RUNNING, h.waitForExit());
    assertEquals(0, starts.get());
    List<String> lines = h.lines();
    assertEquals(lines.toString(), 2, lines.size());
    for (String id : new String[] {"1", "2"}) {
      JsonNode error = h.response(id);
      assertEquals(-32603, error.path("error").path("code").asInt());
      assertEquals(McpEndpointResolver.NOT_RUNNING, error.path("error").path("message").asText());
    }
    String err = h.stderr();
    assertEquals(
        "briefcase mcp: " + McpEndpointResolver.NOT_RUNNING,
        err.lines()
            .filter(l -> l.contains("not running"))
            .reduce((a, b) -> a + "|" + b)
            .orElse(""));
    h.assertOnlyJsonRpc();
  }

  @Test
  public void staleUrlFileWithoutKernelCountsAsNotRunning() throws Exception {
    server = new FakeMcpServer(null);
    Files.writeString(dataDir.resolve(McpEndpointResolver.URL_FILE), server.url() + "\n");
    BridgeHarness h =
        bridge(Map.of(), true, mustNotStart(), (INIT + "\n").getBytes(StandardCharsets.UTF_8));
    assertEquals(StdioBridge.EXIT_NOT_RUNNING, h.waitForExit());
    assertEquals(
        McpEndpointResolver.NOT_RUNNING, h.response("1").path("error").path("message").asText());
    assertTrue(server.seen.isEmpty());
  }

  @Test
  public void startsTheKernelWhenNoneRuns() throws Exception {
    server = new FakeMcpServer(null);
    AtomicInteger starts = new AtomicInteger();
    KernelStarter starter =
        dir -> {
          starts.incrementAndGet();
          locks.add(InstanceLock.acquire(dir)); // what a started kernel holds
          // the gateway writes its URL a moment after the kernel is ready
          new Thread(
                  () -> {
                    try {
                      Thread.sleep(200);
                      Files.writeString(dir.resolve(McpEndpointResolver.URL_FILE), server.url());
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                  })
              .start();
          return 4242;
        };
    BridgeHarness h = bridge(Map.of(), false, starter);
    h.send(INIT);
    assertEquals("2025-06-18", h.response("1").path("result").path("protocolVersion").asText());
    h.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
    h.response("2");
    assertEquals(0, h.closeAndWait());
    assertEquals(1, starts.get());
    assertTrue(
        h.stderr(),
        h.stderr()
            .contains(
                "briefcase mcp: started the Briefcase kernel (pid 4242, data dir "
                    + dataDir.toAbsolutePath().normalize()
                    + ")"));
    h.assertOnlyJsonRpc();
  }

  @Test
  public void failedStartIsReportedOnceAndAnswered() throws Exception {
    AtomicInteger starts = new AtomicInteger();
    byte[] input =
        (INIT + "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n")
            .getBytes(StandardCharsets.UTF_8);
    BridgeHarness h =
        bridge(
            Map.of(),
            false,
            dir -> {
              starts.incrementAndGet();
              throw new IllegalStateException("briefcase: the kernel exited with code 1\nlog tail");
            },
            input);
    assertEquals(StdioBridge.EXIT_NOT_RUNNING, h.waitForExit());
    assertEquals(1, starts.get());
    for (String id : new String[] {"1", "2"}) {
      assertEquals(
          "Briefcase could not be started: the kernel exited with code 1",
          h.response(id).path("error").path("message").asText());
    }
  }

  @Test
  public void oversizedLinesBatchesAndNonObjectsAreRejectedAndReadingGoesOn() throws Exception {
    server = new FakeMcpServer(null);
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    byte[] big = new byte[StdioBridge.MAX_LINE_BYTES + 1];
    java.util.Arrays.fill(big, (byte) 'x');
    in.write(big);
    in.write('\n');
    in.write(
        "[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}]\n".getBytes(StandardCharsets.UTF_8));
    in.write("42\n\n   \n".getBytes(StandardCharsets.UTF_8));
    in.write(
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}\r\n".getBytes(StandardCharsets.UTF_8));
    BridgeHarness h =
        bridge(Map.of("BRIEFCASE_MCP_URL", server.url()), false, mustNotStart(), in.toByteArray());
    assertEquals(0, h.waitForExit());
    List<String> lines = h.lines();
    assertEquals(lines.toString(), 4, lines.size());
    for (int i = 0; i < 3; i++) {
      JsonNode n = h.mapper.readTree(lines.get(i));
      assertTrue(n.get("id").isNull());
      assertEquals(-32600, n.path("error").path("code").asInt());
    }
    assertTrue(lines.get(0).contains("4 MiB"));
    assertEquals(5, h.mapper.readTree(lines.get(3)).path("id").asInt());
    assertTrue(h.mapper.readTree(lines.get(3)).has("result"));
    assertEquals("only the ping reached the server", 1, server.seen.size());
  }
}
