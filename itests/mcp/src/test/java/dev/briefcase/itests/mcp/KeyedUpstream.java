package dev.briefcase.itests.mcp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP API on 127.0.0.1 that wants one API key in {@code X-Api-Key}: with it every request
 * answers 200 JSON naming the method and path; without it (or with another key) 401. It records
 * every request it receives, with the key it carried, so a test can say exactly which calls reached
 * it and with what.
 */
final class KeyedUpstream implements AutoCloseable {
  /** One request as received: method, path (with query) and the {@code X-Api-Key} value or null. */
  record Seen(String method, String path, String apiKey) {}

  private final HttpServer server;
  private final String key;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  private KeyedUpstream(HttpServer server, String key) {
    this.server = server;
    this.key = key;
  }

  /** Starts on a free loopback port, accepting only {@code key}. */
  static KeyedUpstream start(String key) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    KeyedUpstream upstream = new KeyedUpstream(server, key);
    server.createContext("/", upstream::answer);
    server.start();
    return upstream;
  }

  /** {@code http://127.0.0.1:PORT}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Every request so far, oldest first. */
  List<Seen> seen() {
    return List.copyOf(seen);
  }

  private void answer(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getRequestBody().readAllBytes();
      String presented = ex.getRequestHeaders().getFirst("X-Api-Key");
      String path = ex.getRequestURI().getRawPath();
      seen.add(new Seen(ex.getRequestMethod(), path, presented));
      boolean ok = key.equals(presented);
      String body =
          ok
              ? "{\"ok\":true,\"method\":\""
                  + ex.getRequestMethod()
                  + "\",\"path\":\""
                  + path
                  + "\"}"
              : "{\"error\":\"unauthorized\"}";
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(ok ? 200 : 401, bytes.length);
      ex.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
