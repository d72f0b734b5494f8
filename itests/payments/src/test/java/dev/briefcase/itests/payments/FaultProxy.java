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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback forwarder in front of the provider process (whose public base URL is this proxy's, so
 * DPoP {@code htu} checks hold). It keeps every {@code PAYMENT-SIGNATURE} value it forwards (the
 * canary list: none may show up anywhere else) and injects the failures around a paid mint: an
 * answer of 500 after the provider settled, a paid mint held until the test releases it, and a paid
 * mint forwarded (so the provider settles it) whose answer is held until the test releases it.
 */
final class FaultProxy implements AutoCloseable {
  private static final Set<String> HOP =
      Set.of("host", "connection", "content-length", "transfer-encoding", "expect", "upgrade");

  /** Every PAYMENT-SIGNATURE value that went through. */
  final Set<String> signatures = ConcurrentHashMap.newKeySet();

  /** Paid mints forwarded to the provider, and how many of those it answered 200. */
  final AtomicInteger paidForwarded = new AtomicInteger();

  final AtomicInteger paidAccepted = new AtomicInteger();

  /** While positive, a paid mint is forwarded and its (settled) answer replaced by a 500. */
  final AtomicInteger failAfterSettle = new AtomicInteger();

  private volatile CountDownLatch holdArrived;
  private volatile CountDownLatch holdRelease;
  // the latch of the mint being held, armed by holdNextPaidMint and taken by the first paid mint
  private volatile CountDownLatch armed;
  // the same for a paid mint whose answer (not the request) is held
  private volatile CountDownLatch armedAnswer;

  private final String target;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  FaultProxy(String target) throws IOException {
    this.target = target;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next paid mint waits (after the helper signed it) until {@link #release()}. */
  void holdNextPaidMint() {
    holdRelease = new CountDownLatch(1);
    holdArrived = new CountDownLatch(1);
    armed = holdRelease;
  }

  /**
   * The next paid mint goes to the provider (which settles it) and its answer waits until {@link
   * #release()}: the caller sees no answer for as long as the test wants.
   */
  void holdNextPaidAnswer() {
    holdRelease = new CountDownLatch(1);
    holdArrived = new CountDownLatch(1);
    armedAnswer = holdRelease;
  }

  /** Whether the held paid mint (or its answer) has arrived within {@code timeout}. */
  boolean awaitHeld(Duration timeout) throws InterruptedException {
    return holdArrived.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Forwards the held paid mint, or its held answer. */
  void release() {
    holdRelease.countDown();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      byte[] body = ex.getRequestBody().readAllBytes();
      String signature = ex.getRequestHeaders().getFirst("PAYMENT-SIGNATURE");
      boolean paid = signature != null && ex.getRequestURI().getRawPath().equals("/token");
      if (signature != null) {
        signatures.add(signature);
      }
      CountDownLatch release = armed;
      if (paid && release != null) {
        armed = null;
        holdArrived.countDown();
        if (!release.await(60, TimeUnit.SECONDS)) {
          ex.sendResponseHeaders(504, -1);
          return;
        }
      }
      CountDownLatch answerRelease = paid ? armedAnswer : null;
      if (answerRelease != null) {
        armedAnswer = null;
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
      if (paid) {
        paidForwarded.incrementAndGet();
        if (r.statusCode() == 200) {
          paidAccepted.incrementAndGet();
        }
        if (failAfterSettle.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          ex.sendResponseHeaders(500, -1);
          return;
        }
        if (answerRelease != null) {
          holdArrived.countDown();
          if (!answerRelease.await(60, TimeUnit.SECONDS)) {
            ex.sendResponseHeaders(504, -1);
            return;
          }
        }
      }
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
      // the caller may be gone (a killed agent): nothing to answer
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
