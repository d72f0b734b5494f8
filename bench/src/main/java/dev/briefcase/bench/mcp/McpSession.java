package dev.briefcase.bench.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One MCP session over streamable HTTP (protocol 2025-11-25) on a fixed number of keep-alive
 * connections: {@code initialize}, {@code notifications/initialized}, then {@code tools/call echo}
 * from any number of threads, each call on a free connection with a unique JSON-RPC id and the
 * session's {@code Mcp-Session-Id} and {@code MCP-Protocol-Version} headers. Every answer is
 * checked: HTTP 200, {@code application/json} or {@code text/event-stream} (the JSON-RPC response
 * with the same id among the events), a {@code result}, {@code isError} not true and the echoed
 * text in it. The first failed exchange is kept verbatim for the report.
 */
final class McpSession implements AutoCloseable {
  static final String PROTOCOL_VERSION = "2025-11-25";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_KEPT = 4_000;

  /** Which HTTP client carries the calls. */
  enum Client {
    /** {@link HttpConnection}: one plain socket per connection. */
    RAW,
    /** {@code java.net.http.HttpClient}, HTTP/1.1 (its pool keeps one connection per caller). */
    JDK
  }

  /** One connection: a raw socket or a share of the JDK client. */
  private interface Channel extends AutoCloseable {
    HttpConnection.Response post(String headers, byte[] body) throws IOException;

    @Override
    void close();
  }

  private final URI url;
  private final String authorization;
  private final int timeoutMillis;
  private final ConcurrentLinkedQueue<Channel> idle = new ConcurrentLinkedQueue<>();
  private final List<Channel> all = new ArrayList<>();
  private final AtomicLong ids = new AtomicLong(1);
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private final HttpClient jdk;
  private String sessionId;
  private String protocolVersion;
  private String headers = "";

  /**
   * @param authorization a full {@code Authorization} header value, or {@code null}
   */
  McpSession(URI url, String authorization, int connections, Client client, int timeoutMillis) {
    this.url = url;
    this.authorization = authorization;
    this.timeoutMillis = timeoutMillis;
    this.jdk =
        client == Client.JDK
            ? HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(timeoutMillis))
                .build()
            : null;
    for (int i = 0; i < connections; i++) {
      Channel c = jdk != null ? jdkChannel() : rawChannel();
      all.add(c);
      idle.add(c);
    }
  }

  /** The {@code Authorization} value sent, or {@code null}. */
  String authorization() {
    return authorization;
  }

  String sessionId() {
    return sessionId;
  }

  String protocolVersion() {
    return protocolVersion;
  }

  /**
   * Closes every connection (they reconnect on their next call) and forgets the last failure: a
   * fresh start for a phase, because a server may close a keep-alive connection that sat idle while
   * other targets were loaded (Jetty's default idle timeout is 30 s), and that is no error of the
   * server. Only between phases: no call may be running.
   */
  void resetConnections() {
    all.forEach(Channel::close);
    firstFailure.set(null);
  }

  /** The first failed exchange (request and response or exception), or {@code null}. */
  String firstFailure() {
    return firstFailure.get();
  }

  /**
   * {@code initialize} and {@code notifications/initialized}; throws with the exchange on failure.
   */
  void open() throws IOException {
    long id = ids.getAndIncrement();
    String init =
        "{\"jsonrpc\":\"2.0\",\"id\":"
            + id
            + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
            + PROTOCOL_VERSION
            + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"briefcase-bench\","
            + "\"version\":\"0.1.0\"}}}";
    String authHeader = authorization == null ? "" : "Authorization: " + authorization + "\r\n";
    Channel c = idle.poll();
    try {
      HttpConnection.Response r = c.post(authHeader, utf8(init));
      JsonNode msg = status200(r) ? response(r, id) : null;
      if (msg == null || !msg.hasNonNull("result")) {
        throw new IOException("initialize failed: " + exchange(authHeader, init, r, null));
      }
      sessionId = r.header("mcp-session-id");
      protocolVersion = msg.path("result").path("protocolVersion").asText(PROTOCOL_VERSION);
      StringBuilder h = new StringBuilder(authHeader);
      if (sessionId != null) {
        h.append("Mcp-Session-Id: ").append(sessionId).append("\r\n");
      }
      h.append("MCP-Protocol-Version: ").append(protocolVersion).append("\r\n");
      headers = h.toString();
      String note = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
      HttpConnection.Response n = c.post(headers, utf8(note));
      if (n.status() != 202 && n.status() != 200 && n.status() != 204) {
        throw new IOException(
            "notifications/initialized failed: " + exchange(headers, note, n, null));
      }
    } finally {
      idle.add(c);
    }
  }

  /** One checked {@code tools/call echo}; {@code false} or an exception is a failed call. */
  boolean echo() throws IOException {
    long id = ids.getAndIncrement();
    String text = "bench-" + id;
    String body =
        "{\"jsonrpc\":\"2.0\",\"id\":"
            + id
            + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\""
            + text
            + "\"}}}";
    Channel c = idle.poll();
    if (c == null) {
      throw new IllegalStateException("more callers than connections");
    }
    HttpConnection.Response r = null;
    try {
      r = c.post(headers, utf8(body));
      String problem = check(r, id, text);
      if (problem == null) {
        return true;
      }
      firstFailure.compareAndSet(null, problem + "\n" + exchange(headers, body, r, null));
      return false;
    } catch (IOException | RuntimeException e) {
      firstFailure.compareAndSet(null, "exception\n" + exchange(headers, body, r, e));
      throw e;
    } finally {
      idle.add(c);
    }
  }

  /**
   * One {@code tools/call} of {@code tool} with {@code argumentsJson}: the JSON-RPC {@code result}
   * (which may carry {@code isError}), or {@code null} when the exchange failed at the HTTP or
   * JSON-RPC level (the first such exchange is kept, see {@link #firstFailure()}).
   */
  JsonNode toolCall(String tool, String argumentsJson) throws IOException {
    long id = ids.getAndIncrement();
    String body =
        "{\"jsonrpc\":\"2.0\",\"id\":"
            + id
            + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
            + tool
            + "\",\"arguments\":"
            + argumentsJson
            + "}}";
    Channel c = idle.poll();
    if (c == null) {
      throw new IllegalStateException("more callers than connections");
    }
    HttpConnection.Response r = null;
    try {
      r = c.post(headers, utf8(body));
      JsonNode msg = status200(r) ? response(r, id) : null;
      if (msg == null || !msg.hasNonNull("result")) {
        firstFailure.compareAndSet(null, "no result\n" + exchange(headers, body, r, null));
        return null;
      }
      return msg.get("result");
    } catch (IOException | RuntimeException e) {
      firstFailure.compareAndSet(null, "exception\n" + exchange(headers, body, r, e));
      throw e;
    } finally {
      idle.add(c);
    }
  }

  /** {@code null} when the answer is a correct echo of {@code text}, else what is wrong. */
  private static String check(HttpConnection.Response r, long id, String text) {
    if (!status200(r)) {
      return "HTTP " + r.status();
    }
    JsonNode msg;
    try {
      msg = response(r, id);
    } catch (IOException e) {
      return "unparseable body: " + e.getMessage();
    }
    if (msg == null) {
      return "no JSON-RPC response with id " + id;
    }
    JsonNode result = msg.get("result");
    if (result == null || result.isNull()) {
      return "no result";
    }
    if (result.path("isError").asBoolean(false)) {
      return "isError true";
    }
    for (JsonNode block : result.path("content")) {
      String t = block.path("text").asText(null);
      // the SDK echoes the text; Briefcase answers pretty JSON {"echo": text}
      if (t != null && (t.equals(text) || t.contains("\"" + text + "\""))) {
        return null;
      }
    }
    for (Iterator<JsonNode> it = result.path("structuredContent").elements(); it.hasNext(); ) {
      if (text.equals(it.next().asText(null))) {
        return null;
      }
    }
    return "echoed text missing";
  }

  private static boolean status200(HttpConnection.Response r) {
    return r.status() == 200;
  }

  /**
   * The JSON-RPC response with this id: the body itself ({@code application/json}) or one of the
   * {@code data:} events of a {@code text/event-stream} body.
   */
  static JsonNode response(HttpConnection.Response r, long id) throws IOException {
    String type = r.header("content-type");
    if (type != null && type.toLowerCase().startsWith("text/event-stream")) {
      for (String data : sseData(r.bodyText())) {
        if (data.isBlank()) {
          continue;
        }
        JsonNode n = JSON.readTree(data);
        if (n.path("id").asLong(-1) == id && (n.has("result") || n.has("error"))) {
          return n;
        }
      }
      return null;
    }
    JsonNode n = JSON.readTree(r.body());
    return n != null && n.path("id").asLong(-1) == id ? n : null;
  }

  /** The data of each event of an SSE body (multi-line data joined by newlines). */
  static List<String> sseData(String body) {
    List<String> events = new ArrayList<>(2);
    StringBuilder data = null;
    int at = 0;
    int n = body.length();
    while (at <= n) {
      int end = body.indexOf('\n', at);
      if (end < 0) {
        end = n;
      }
      String line = body.substring(at, end);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (line.isEmpty()) {
        if (data != null) {
          events.add(data.toString());
          data = null;
        }
      } else if (line.startsWith("data:")) {
        String v = line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5);
        if (data == null) {
          data = new StringBuilder(v);
        } else {
          data.append('\n').append(v);
        }
      }
      at = end + 1;
    }
    if (data != null) {
      events.add(data.toString());
    }
    return events;
  }

  private static String exchange(
      String headers, String body, HttpConnection.Response r, Exception e) {
    StringBuilder sb = new StringBuilder();
    sb.append("  request:  POST ")
        .append("(")
        .append(
            headers
                .replace("\r\n", "; ")
                .replaceAll("Authorization: [^;]*", "Authorization: [REDACTED]"))
        .append(") ")
        .append(body);
    if (r != null) {
      sb.append("\n  response: HTTP ").append(r.status()).append(' ').append(r.headers());
      String b = r.bodyText();
      sb.append("\n  body:     ")
          .append(b.length() > MAX_KEPT ? b.substring(0, MAX_KEPT) + "..." : b);
    }
    if (e != null) {
      sb.append("\n  error:    ").append(e);
    }
    return sb.toString();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Channel rawChannel() {
    HttpConnection c = new HttpConnection(url, timeoutMillis);
    return new Channel() {
      @Override
      public HttpConnection.Response post(String headers, byte[] body) throws IOException {
        return c.post(headers, body);
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  private Channel jdkChannel() {
    return new Channel() {
      @Override
      public HttpConnection.Response post(String headers, byte[] body) throws IOException {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(url)
                .timeout(Duration.ofMillis(timeoutMillis))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (String h : headers.split("\r\n")) {
          int colon = h.indexOf(':');
          if (colon > 0) {
            b.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
          }
        }
        try {
          HttpResponse<byte[]> r = jdk.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
          Map<String, String> h = new LinkedHashMap<>();
          r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(), v.get(v.size() - 1)));
          return new HttpConnection.Response(r.statusCode(), h, r.body());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {
    all.forEach(Channel::close);
  }
}
