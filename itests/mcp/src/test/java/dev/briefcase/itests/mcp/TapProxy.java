package dev.briefcase.itests.mcp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * A loopback forwarder in front of the reference provider process, which is configured with the
 * proxy's URL as its public base URL (so DPoP {@code htu} checks hold). It records what went
 * through — the route, the status, and the capability each quote carried, so a test can revoke that
 * capability at the provider — and can rewrite the mint's answer (to make the agent believe in more
 * calls than the provider allows, the only way to meet the provider's 429).
 */
final class TapProxy implements AutoCloseable {
  /**
   * One forwarded exchange: {@code route} = method and path, {@code target} = path and query as
   * sent, the DPoP-scheme credential and the {@code DPoP} proof it carried (null when absent).
   */
  record Seen(String route, int status, String capability, String proof, String target) {}

  private static final Set<String> HOP =
      Set.of("host", "connection", "content-length", "transfer-encoding", "expect", "upgrade");

  final List<Seen> seen = new CopyOnWriteArrayList<>();

  /**
   * Every credential value that went through, either way: Authorization values, DPoP proofs and the
   * {@code token}, {@code access_token} and {@code refresh_token} of JSON answers (the canary's
   * list).
   */
  final Set<String> values = java.util.concurrent.ConcurrentHashMap.newKeySet();

  volatile UnaryOperator<String> mintAnswer = UnaryOperator.identity();

  /** Paths the tap answers 503 itself, as if the provider could not be reached for them. */
  volatile java.util.function.Predicate<String> unreachable = path -> false;

  private final String target;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(4);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  TapProxy(String target) throws IOException {
    this.target = target;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      byte[] body = ex.getRequestBody().readAllBytes();
      if (unreachable.test(ex.getRequestURI().getRawPath())) {
        seen.add(
            new Seen(
                ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath(),
                503,
                null,
                null,
                ex.getRequestURI().getRawPath()));
        ex.sendResponseHeaders(503, -1);
        return;
      }
      URI uri =
          URI.create(
              target
                  + ex.getRequestURI().getRawPath()
                  + (ex.getRequestURI().getRawQuery() == null
                      ? ""
                      : "?" + ex.getRequestURI().getRawQuery()));
      HttpRequest.Builder b =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(15))
              .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
        if (!HOP.contains(h.getKey().toLowerCase(Locale.ROOT))) {
          for (String v : h.getValue()) {
            b.header(h.getKey(), v);
          }
        }
      }
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      byte[] answer = r.body();
      String path = ex.getRequestURI().getRawPath();
      if (path.equals("/token") && r.statusCode() == 200) {
        answer =
            mintAnswer
                .apply(new String(answer, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
      }
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      String proof = ex.getRequestHeaders().getFirst("DPoP");
      keep(auth == null ? null : auth.replaceFirst("^(DPoP|Bearer) ", ""));
      keep(proof);
      keep(ex.getRequestHeaders().getFirst("x-vc-jwt"));
      keepTokens(r.body());
      String query = ex.getRequestURI().getRawQuery();
      seen.add(
          new Seen(
              ex.getRequestMethod() + " " + path,
              r.statusCode(),
              auth != null && auth.startsWith("DPoP ") ? auth.substring(5) : null,
              proof,
              path + (query == null ? "" : "?" + query)));
      r.headers()
          .map()
          .forEach(
              (k, vs) -> {
                if (!HOP.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                  vs.forEach(v -> ex.getResponseHeaders().add(k, v));
                }
              });
      ex.sendResponseHeaders(r.statusCode(), answer.length == 0 ? -1 : answer.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(answer);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ex.sendResponseHeaders(502, -1);
    } catch (IOException e) {
      ex.sendResponseHeaders(502, -1);
    } finally {
      ex.close();
    }
  }

  private void keep(String value) {
    if (value != null && value.length() >= 16) {
      values.add(value);
    }
  }

  private void keepTokens(byte[] body) {
    try {
      com.fasterxml.jackson.databind.JsonNode json =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
      if (json != null && json.isObject()) {
        for (String field : List.of("token", "access_token", "refresh_token", "vc_jwt")) {
          if (json.path(field).isTextual()) {
            keep(json.path(field).asText());
          }
        }
      }
    } catch (IOException e) {
      // not JSON: nothing to keep
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
