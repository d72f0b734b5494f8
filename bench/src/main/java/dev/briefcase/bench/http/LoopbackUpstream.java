package dev.briefcase.bench.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The upstream API: a JDK {@code HttpServer} on loopback answering {@code GET /items/<id>} with a
 * small JSON body. It counts which credential each request carried (the API key, the DPoP-bound
 * token with a proof, or none), so the bench can show every call reached it with the header its
 * variant promised. It checks no proof: signing, not verifying, is what the bench measures.
 */
final class LoopbackUpstream implements AutoCloseable {
  static final byte[] BODY =
      "{\"id\":\"42\",\"name\":\"widget\",\"in_stock\":true}".getBytes(StandardCharsets.UTF_8);

  final LongAdder withApiKey = new LongAdder();
  final LongAdder withDpop = new LongAdder();
  final LongAdder withNone = new LongAdder();

  private final String apiKey;
  private final String dpopAuthorization;
  private final HttpServer server;
  private final ExecutorService workers;

  LoopbackUpstream(String apiKey, String accessToken) throws IOException {
    this.apiKey = apiKey;
    this.dpopAuthorization = "DPoP " + accessToken;
    this.workers =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "bench-upstream");
              t.setDaemon(true);
              return t;
            });
    this.server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    server.setExecutor(workers);
    server.createContext("/items/", this::answer);
    server.start();
  }

  URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange;
        InputStream in = exchange.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
      var headers = exchange.getRequestHeaders();
      if (apiKey.equals(headers.getFirst("X-Api-Key"))) {
        withApiKey.increment();
      } else if (dpopAuthorization.equals(headers.getFirst("Authorization"))
          && headers.getFirst("DPoP") != null) {
        withDpop.increment();
      } else {
        withNone.increment();
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, BODY.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(BODY);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }
}
