package dev.briefcase.itests.payments;

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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback forwarder in front of the L402 provider (its public base URL, so DPoP {@code htu}
 * checks hold) that keeps every {@code Authorization: L402|LSAT} value sent to the mint and every
 * {@code WWW-Authenticate} challenge the mint answered: the macaroons and preimages in them are the
 * canaries that must show up nowhere else.
 */
final class L402Tap implements AutoCloseable {
  private static final Set<String> HOP =
      Set.of("host", "connection", "content-length", "transfer-encoding", "expect", "upgrade");

  /** Every L402/LSAT Authorization value that went to the mint. */
  final Set<String> credentials = ConcurrentHashMap.newKeySet();

  /** Every WWW-Authenticate value the provider answered. */
  final Set<String> challenges = ConcurrentHashMap.newKeySet();

  /** Paid mints (with an L402 credential) the provider answered 200. */
  final AtomicInteger paidAccepted = new AtomicInteger();

  private final String target;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  L402Tap(String target) throws IOException {
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
      boolean paid = false;
      for (String a : ex.getRequestHeaders().getOrDefault("Authorization", List.of())) {
        String scheme = a.strip().split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
        if (scheme.equals("L402") || scheme.equals("LSAT")) {
          credentials.add(a);
          paid = true;
        }
      }
      String query = ex.getRequestURI().getRawQuery();
      URI uri =
          URI.create(target + ex.getRequestURI().getRawPath() + (query == null ? "" : "?" + query));
      HttpRequest.Builder b =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(45))
              .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
        if (!HOP.contains(h.getKey().toLowerCase(Locale.ROOT))) {
          for (String v : h.getValue()) {
            b.header(h.getKey(), v);
          }
        }
      }
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (paid && r.statusCode() == 200) {
        paidAccepted.incrementAndGet();
      }
      challenges.addAll(r.headers().allValues("www-authenticate"));
      r.headers()
          .map()
          .forEach(
              (k, vs) -> {
                if (!HOP.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                  vs.forEach(v -> ex.getResponseHeaders().add(k, v));
                }
              });
      byte[] answer = r.body();
      ex.sendResponseHeaders(r.statusCode(), answer.length == 0 ? -1 : answer.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(answer);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ex.sendResponseHeaders(502, -1);
    } catch (IOException e) {
      try {
        ex.sendResponseHeaders(502, -1);
      } catch (IOException ignored) {
        // already answered or the connection is closed
      }
    } finally {
      ex.close();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
