package dev.briefcase.itests.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Streamable HTTP by hand ({@code java.net.http}, and a raw socket where the JDK client will not
 * send what a hostile peer would, such as a foreign {@code Host} header).
 */
final class RawMcp {
  static final String VERSION = "2025-11-25";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI uri;
  private final Optional<String> token;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A client with its own connection pool, for requests whose connection the server may drop. */
  RawMcp fresh() {
    return new RawMcp(uri.toString(), token);
  }

  RawMcp(String url, Optional<String> token) {
    this.uri = URI.create(url);
    this.token = token;
  }

  /** An HTTP answer; {@code session} is the {@code Mcp-Session-Id} header, if any. */
  record Reply(int status, Optional<String> session, String contentType, String body) {
    /** The JSON-RPC message of the body: plain JSON, or the first {@code data:} of an SSE body. */
    JsonNode json() throws IOException {
      if (contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
        StringBuilder data = new StringBuilder();
        for (String line : body.split("\r?\n")) {
          if (line.startsWith("data:")) {
            data.append(line.substring(5).strip());
          } else if (line.isEmpty() && data.length() > 0) {
            break;
          }
        }
        return JSON.readTree(data.toString());
      }
      return JSON.readTree(body);
    }

    /** The JSON-RPC error code, or 0 when the body carries none. */
    int errorCode() {
      try {
        JsonNode n = json();
        return n == null ? 0 : n.path("error").path("code").asInt(0);
      } catch (IOException e) {
        return 0;
      }
    }

    @Override
    public String toString() {
      return "HTTP " + status + " session=" + session.orElse("-") + " " + body;
    }
  }

  /** POSTs {@code body} with the usual MCP headers plus {@code headers} (null values omit one). */
  Reply post(String body, String session, Map<String, String> headers) throws Exception {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Accept", "application/json, text/event-stream");
    if (session != null) {
      h.put("Mcp-Session-Id", session);
      h.put("MCP-Protocol-Version", VERSION);
    }
    token.ifPresent(t -> h.put("Authorization", "Bearer " + t));
    h.putAll(headers);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    h.forEach(
        (k, v) -> {
          if (v != null) {
            b.header(k, v);
          }
        });
    return send(b);
  }

  Reply post(String body, String session) throws Exception {
    return post(body, session, Map.of());
  }

  /** DELETE: ends the session ({@code null}: sends no session header). */
  Reply delete(String session) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(30))
            .header("MCP-Protocol-Version", VERSION)
            .DELETE();
    if (session != null) {
      b.header("Mcp-Session-Id", session);
    }
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return send(b);
  }

  private Reply send(HttpRequest.Builder b) throws Exception {
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(
        r.statusCode(),
        r.headers().firstValue("Mcp-Session-Id"),
        r.headers().firstValue("Content-Type").orElse(""),
        r.body());
  }

  static String initializeBody(int id) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
        + VERSION
        + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"briefcase-itest-raw\","
        + "\"version\":\"1.0.0\"}}}";
  }

  static String request(int id, String method) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\"}";
  }

  /** A full handshake; returns the session id. */
  String initialize() throws Exception {
    Reply r = post(initializeBody(1), null);
    if (r.status() != 200 || r.session().isEmpty()) {
      throw new AssertionError("initialize failed: " + r);
    }
    Reply n =
        post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", r.session().get());
    if (n.status() != 202) {
      throw new AssertionError("notifications/initialized: expected 202, got " + n);
    }
    return r.session().get();
  }

  /**
   * One POST over a plain socket with {@code rawHeaders} as given (CRLF-separated lines, no blank
   * line) and {@code body}; the body is written in chunks and writing stops if the server closes
   * early, so an early 413 can still be read.
   */
  RawReply rawPost(String rawHeaders, byte[] body) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      String head =
          "POST "
              + uri.getRawPath()
              + " HTTP/1.1\r\n"
              + (rawHeaders.endsWith("\r\n") ? rawHeaders : rawHeaders + "\r\n")
              + token.map(t -> "Authorization: Bearer " + t + "\r\n").orElse("")
              + "Content-Length: "
              + body.length
              + "\r\nConnection: close\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      boolean bodySent = true;
      try {
        for (int off = 0; off < body.length; off += 65536) {
          out.write(body, off, Math.min(65536, body.length - off));
        }
        out.flush();
      } catch (IOException e) {
        bodySent = false; // the server stopped reading; its answer may already be there
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        int n;
        while ((n = in.read(buf)) > 0) {
          got.write(buf, 0, n);
          if (got.size() > 1 << 20) {
            break;
          }
        }
      } catch (IOException e) {
        if (got.size() == 0) {
          return new RawReply(-1, "", "no answer: " + e, bodySent);
        }
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      int status = -1;
      if (text.startsWith("HTTP/1.")) {
        String[] parts = text.split(" ", 3);
        status = Integer.parseInt(parts[1]);
      }
      int split = text.indexOf("\r\n\r\n");
      String headers = split < 0 ? text : text.substring(0, split);
      String rest = split < 0 ? "" : text.substring(split + 4);
      return new RawReply(status, headers, rest, bodySent);
    }
  }

  /** What a raw POST got back; status -1 when nothing readable came. */
  record RawReply(int status, String headers, String body, boolean bodySent) {
    boolean hasSessionHeader() {
      return headers.toLowerCase(Locale.ROOT).contains("\r\nmcp-session-id:");
    }

    @Override
    public String toString() {
      return "HTTP " + status + " (body sent: " + bodySent + ")\n" + headers + "\n\n" + body;
    }
  }

  String hostPort() {
    return uri.getHost() + ":" + uri.getPort();
  }
}
