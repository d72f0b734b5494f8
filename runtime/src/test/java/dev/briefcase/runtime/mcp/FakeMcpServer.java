package dev.briefcase.runtime.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A small streamable-HTTP MCP server (MCP 2025-11-25 transport) at {@code /mcp}: sessions, JSON and
 * SSE answers, 202 for notifications, a GET event stream and DELETE. Test methods ({@code slow},
 * {@code fast}, {@code invalid}, {@code crash}, {@code expire}, {@code resume}) trigger the cases
 * the bridge must map.
 */
final class FakeMcpServer implements AutoCloseable {
  static final String SESSION = "sess-7f3a";

  /** One request as the server saw it; header names are lower case. */
  record Seen(String method, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String rpcMethod() {
      try {
        return new ObjectMapper().readTree(body).path("method").asText(null);
      } catch (IOException e) {
        return null;
      }
    }
  }

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final CountDownLatch deleted = new CountDownLatch(1);
  private final CountDownLatch fastAnswered = new CountDownLatch(1);
  private final ObjectMapper mapper = new ObjectMapper();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final String token;
  private volatile JsonNode pendingResumeId;

  /**
   * @param token the bearer token to require, or null for none
   */
  FakeMcpServer(String token) throws IOException {
    this.token = token;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/mcp", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
  }

  List<Seen> seen(String httpMethod) {
    return seen.stream().filter(s -> s.method().equals(httpMethod)).toList();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      Map<String, String> headers = new TreeMap<>();
      ex.getRequestHeaders()
          .forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Seen s = new Seen(ex.getRequestMethod(), headers, body);
      seen.add(s);
      if (token != null && !("Bearer " + token).equals(s.header("Authorization"))) {
        json(ex, 401, "{\"error\":\"unauthorized\"}");
        return;
      }
      switch (ex.getRequestMethod()) {
        case "POST" -> post(ex, s);
        case "GET" -> get(ex, s);
        case "DELETE" -> {
          ex.sendResponseHeaders(SESSION.equals(s.header("Mcp-Session-Id")) ? 202 : 404, -1);
          deleted.countDown();
        }
        default -> ex.sendResponseHeaders(405, -1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void post(HttpExchange ex, Seen s) throws IOException, InterruptedException {
    JsonNode msg = mapper.readTree(s.body());
    String method = msg.path("method").asText(null);
    JsonNode id = msg.get("id");
    if ("initialize".equals(method)) {
      String asked = msg.path("params").path("protocolVersion").asText("");
      String version = asked.equals("2025-06-18") ? asked : "2025-11-25";
      ex.getResponseHeaders().set("Mcp-Session-Id", SESSION);
      json(
          ex,
          200,
          "{\"jsonrpc\":\"2.0\",\"id\":"
              + id
              + ",\"result\":{\"protocolVersion\":\""
              + version
              + "\",\"capabilities\":{\"tools\":{\"listChanged\":true}},"
              + "\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}}");
      return;
    }
    if (!"ping".equals(method) && !SESSION.equals(s.header("Mcp-Session-Id"))) {
      json(
          ex,
          400,
          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"no session\"}}");
      return;
    }
    if (id == null || method == null) {
      ex.sendResponseHeaders(202, -1); // a notification or a response
      return;
    }
    switch (method) {
      case "ping" -> json(ex, 200, result(id, "{}"));
      case "tools/list" ->
          json(ex, 200, result(id, "{\"tools\":[{\"name\":\"echo\",\"inputSchema\":{}}]}"));
      case "tools/call" -> {
        JsonNode token = msg.path("params").path("_meta").path("progressToken");
        sse(
            ex,
            "id: e0\ndata:\n\n",
            ": keep-alive\n\n",
            "event: message\nid: e1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                + "\"params\":{\"progressToken\":"
                + token
                + ",\"progress\":1,\"message\":\"line one\\nline two\"}}\n\n",
            "id: e2\ndata: "
                + result(id, "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}")
                + "\n\n");
      }
      case "slow" -> {
        boolean overtaken = fastAnswered.await(10, TimeUnit.SECONDS);
        json(ex, 200, result(id, "{\"speed\":\"" + (overtaken ? "slow" : "blocked") + "\"}"));
      }
      case "fast" -> {
        json(ex, 200, result(id, "{\"speed\":\"fast\"}"));
        fastAnswered.countDown();
      }
      case "invalid" ->
          json(
              ex,
              400,
              "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32602,\"message\":\"Invalid params\"}}");
      case "crash" -> {
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        byte[] b = "boom".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(500, b.length);
        ex.getResponseBody().write(b);
      }
      case "expire" -> ex.sendResponseHeaders(404, -1);
      case "resume" -> {
        pendingResumeId = id; // the answer comes on a GET with Last-Event-ID: r0
        sse(ex, "id: r0\nretry: 10\ndata:\n\n");
      }
      default ->
          json(
              ex,
              200,
              "{\"jsonrpc\":\"2.0\",\"id\":"
                  + id
                  + ",\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}");
    }
  }

  private void get(HttpExchange ex, Seen s) throws IOException {
    String accept = s.header("Accept");
    if (accept == null || !accept.contains("text/event-stream")) {
      ex.sendResponseHeaders(405, -1);
      return;
    }
    String last = s.header("Last-Event-ID");
    if ("r0".equals(last) && pendingResumeId != null) {
      sse(ex, "id: r1\ndata: " + result(pendingResumeId, "{\"resumed\":true}") + "\n\n");
    } else if (last == null) {
      sse(
          ex,
          "id: g1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n");
    } else {
      ex.sendResponseHeaders(405, -1); // the second connection: no more events offered
    }
  }

  private static String result(JsonNode id, String result) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}";
  }

  private static void json(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  private static void sse(HttpExchange ex, String... events) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream os = ex.getResponseBody();
    for (String event : events) {
      os.write(event.getBytes(StandardCharsets.UTF_8));
      os.flush();
    }
  }
}
