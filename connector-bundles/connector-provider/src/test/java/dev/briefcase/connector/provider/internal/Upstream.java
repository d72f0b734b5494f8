package dev.briefcase.connector.provider.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A JDK HTTP server on 127.0.0.1 that answers from a script and records every request. */
final class Upstream implements AutoCloseable {
  /** What one request looked like on the wire. */
  record Seen(
      String method,
      String rawPath,
      String rawQuery,
      Map<String, List<String>> headers,
      String body) {
    String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  /** The answer to one request. */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    static Answer json(int status, String json) {
      return new Answer(
          status,
          Map.of("Content-Type", "application/json"),
          json.getBytes(StandardCharsets.UTF_8));
    }
  }

  interface Script {
    Answer answer(Seen request, int index);
  }

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(2);
  private volatile Script script = (r, i) -> Answer.json(200, "{\"ok\":true}");

  Upstream() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void script(Script script) {
    this.script = script;
  }

  private void handle(HttpExchange ex) throws IOException {
    Seen request =
        new Seen(
            ex.getRequestMethod(),
            ex.getRequestURI().getRawPath(),
            ex.getRequestURI().getRawQuery(),
            Map.copyOf(ex.getRequestHeaders()),
            new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    seen.add(request);
    Answer answer = script.answer(request, seen.size() - 1);
    answer.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(answer.body());
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
