package dev.briefcase.egress.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocketFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Real HTTP/1.1 against JDK servers on 127.0.0.1, with dev-mode loopback on. */
public class LocalServerTest {
  private HttpServer upstream;
  private HttpServer redirectTarget;
  private ExecutorService threads;
  private final AtomicInteger redirectTargetHits = new AtomicInteger();
  private final AtomicReference<String> seenHost = new AtomicReference<>();
  private final AtomicReference<String> seenQuery = new AtomicReference<>();
  private final AtomicReference<String> seenConnection = new AtomicReference<>();
  private final AtomicReference<byte[]> seenBody = new AtomicReference<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final HttpEgressClient client =
      new HttpEgressClient(
          4 << 20,
          60_000,
          Resolver.SYSTEM,
          Dialer.SYSTEM,
          (SSLSocketFactory) SSLSocketFactory.getDefault());
  private EgressPolicy policy;
  private String base;

  @Before
  public void start() throws IOException {
    threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "egress-test-server");
              t.setDaemon(true);
              return t;
            });
    redirectTarget =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    redirectTarget.createContext(
        "/",
        ex -> {
          redirectTargetHits.incrementAndGet();
          respond(ex, 200, "reached".getBytes(StandardCharsets.UTF_8));
        });
    redirectTarget.setExecutor(threads);
    redirectTarget.start();
    String location = "http://127.0.0.1:" + redirectTarget.getAddress().getPort() + "/api/landing";

    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext(
        "/api/hello",
        ex -> {
          seenHost.set(ex.getRequestHeaders().getFirst("Host"));
          seenQuery.set(ex.getRequestURI().getRawQuery());
          seenConnection.set(ex.getRequestHeaders().getFirst("Connection"));
          ex.getResponseHeaders().add("X-Test", "yes");
          respond(ex, 200, "hello".getBytes(StandardCharsets.UTF_8));
        });
    upstream.createContext(
        "/api/echo",
        ex -> {
          seenBody.set(ex.getRequestBody().readAllBytes());
          respond(ex, 201, seenBody.get());
        });
    upstream.createContext(
        "/api/chunked",
        ex -> {
          byte[] big = new byte[100_000];
          Arrays.fill(big, (byte) 'c');
          ex.sendResponseHeaders(200, 0); // 0 = chunked
          try (OutputStream out = ex.getResponseBody()) {
            for (int i = 0; i < big.length; i += 7_000) {
              out.write(big, i, Math.min(7_000, big.length - i));
              out.flush();
            }
          }
        });
    upstream.createContext(
        "/api/notfound", ex -> respond(ex, 404, "nope".getBytes(StandardCharsets.UTF_8)));
    upstream.createContext(
        "/api/redirect",
        ex -> {
          ex.getResponseHeaders().add("Location", location);
          respond(ex, 302, new byte[0]);
        });
    upstream.createContext(
        "/api/etag",
        ex -> {
          ex.getResponseHeaders().add("ETag", "\"v1\"");
          ex.getResponseHeaders().add("Location", location);
          ex.sendResponseHeaders(304, -1);
          ex.close();
        });
    upstream.createContext("/api/big", ex -> respond(ex, 200, new byte[5_000]));
    upstream.createContext(
        "/api/slow",
        ex -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(ex, 200, "late".getBytes(StandardCharsets.UTF_8));
        });
    upstream.setExecutor(threads);
    upstream.start();
    int port = upstream.getAddress().getPort();
    base = "http://127.0.0.1:" + port;
    policy =
        EgressPolicy.of(Set.of("127.0.0.1", "localhost"), List.of("/api")).withDevLoopback(true);
  }

  @After
  public void stop() {
    release.countDown();
    upstream.stop(0);
    redirectTarget.stop(0);
    threads.shutdownNow();
  }

  private static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private String code(EgressRequest request, EgressPolicy p) {
    try {
      client.send(request, p);
      fail("expected a refusal");
      return null;
    } catch (EgressException e) {
      return e.code();
    }
  }

  @Test
  public void okResponseIsReadFully() throws Exception {
    EgressResponse r = client.send(EgressRequest.get(base + "/api/hello?a=1&b=two"), policy);
    assertEquals(200, r.status());
    assertEquals("hello", r.bodyText());
    assertEquals("yes", r.header("x-test"));
    assertEquals("127.0.0.1:" + upstream.getAddress().getPort(), seenHost.get());
    assertEquals("a=1&b=two", seenQuery.get());
    assertEquals("close", seenConnection.get());
    assertFalse(r.toString().contains("hello"));
  }

  @Test
  public void postBodyArrivesAndErrorsAreResponses() throws Exception {
    EgressResponse r = client.send(EgressRequest.postJson(base + "/api/echo", "{\"x\":1}"), policy);
    assertEquals(201, r.status());
    assertEquals("{\"x\":1}", new String(seenBody.get(), StandardCharsets.UTF_8));
    assertEquals("{\"x\":1}", r.bodyText());
    assertEquals(404, client.send(EgressRequest.get(base + "/api/notfound"), policy).status());
  }

  @Test
  public void localhostNameWorksInDevMode() throws Exception {
    String url = "http://localhost:" + upstream.getAddress().getPort() + "/api/hello";
    try {
      assertEquals("hello", client.send(EgressRequest.get(url), policy).bodyText());
    } catch (EgressException e) {
      // localhost may resolve to ::1 first where the server only listens on 127.0.0.1
      assertEquals(EgressException.CONNECT_FAILED, e.code());
    }
  }

  @Test
  public void chunkedBodyIsDechunked() throws Exception {
    EgressResponse r = client.send(EgressRequest.get(base + "/api/chunked"), policy);
    assertEquals(200, r.status());
    byte[] expected = new byte[100_000];
    Arrays.fill(expected, (byte) 'c');
    assertArrayEquals(expected, r.body());
  }

  @Test
  public void redirectIsRefusedAndTheTargetNeverContacted() throws Exception {
    assertEquals(
        EgressException.REDIRECT_REFUSED, code(EgressRequest.get(base + "/api/redirect"), policy));
    // the redirect target is a real server that counts every request it gets
    assertEquals(0, redirectTargetHits.get());
    // and it does answer when asked directly, so zero means "never contacted"
    String direct = "http://127.0.0.1:" + redirectTarget.getAddress().getPort() + "/api/landing";
    assertEquals("reached", client.send(EgressRequest.get(direct), policy).bodyText());
    assertEquals(1, redirectTargetHits.get());
  }

  @Test
  public void notModifiedIsAnAnswerNotARedirect() throws Exception {
    EgressResponse r =
        client.send(
            new EgressRequest(
                "GET", base + "/api/etag", java.util.Map.of("If-None-Match", "\"v1\""), null),
            policy);
    assertEquals(304, r.status());
    assertEquals("\"v1\"", r.header("etag"));
    assertEquals(0, r.body().length);
    // a Location on a 304 is never followed
    assertEquals(0, redirectTargetHits.get());
  }

  @Test
  public void oversizeBodyIsRefused() throws Exception {
    EgressPolicy small = policy.withMaxResponseBytes(1_000);
    assertEquals(
        EgressException.RESPONSE_TOO_LARGE, code(EgressRequest.get(base + "/api/big"), small));
    assertEquals(
        EgressException.RESPONSE_TOO_LARGE, code(EgressRequest.get(base + "/api/chunked"), small));
    assertEquals(5_000, client.send(EgressRequest.get(base + "/api/big"), policy).body().length);
  }

  @Test
  public void truncatingPolicyCutsTheBodyToTheCapAndSaysSo() throws Exception {
    EgressPolicy cutting = policy.withMaxResponseBytes(1_000).withTruncation(true);
    // Content-Length, chunked, and a body within the cap
    EgressResponse fixed = client.send(EgressRequest.get(base + "/api/big"), cutting);
    assertEquals(1_000, fixed.body().length);
    assertTrue(fixed.truncated());
    EgressResponse chunked = client.send(EgressRequest.get(base + "/api/chunked"), cutting);
    assertEquals(1_000, chunked.body().length);
    assertTrue(chunked.truncated());
    byte[] expected = new byte[1_000];
    Arrays.fill(expected, (byte) 'c');
    assertArrayEquals(expected, chunked.body());
    EgressResponse whole = client.send(EgressRequest.get(base + "/api/hello"), cutting);
    assertEquals("hello", whole.bodyText());
    assertFalse(whole.truncated());
    // the default still refuses
    assertFalse(policy.truncateOversized());
  }

  @Test
  public void slowServerTimesOut() {
    EgressPolicy impatient =
        policy.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(5));
    assertEquals(EgressException.TIMEOUT, code(EgressRequest.get(base + "/api/slow"), impatient));
  }

  @Test
  public void overallDeadlineBoundsTheCall() {
    EgressPolicy impatient =
        policy.withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(20), Duration.ofMillis(300));
    assertEquals(EgressException.TIMEOUT, code(EgressRequest.get(base + "/api/slow"), impatient));
  }

  @Test
  public void withoutDevModeLoopbackIsRefused() {
    EgressPolicy strict = policy.withDevLoopback(false);
    assertEquals(
        EgressException.SCHEME_REFUSED, code(EgressRequest.get(base + "/api/hello"), strict));
    String https = "https://127.0.0.1:" + upstream.getAddress().getPort() + "/api/hello";
    assertEquals(EgressException.ADDRESS_REFUSED, code(EgressRequest.get(https), strict));
    assertTrue(seenHost.get() == null);
  }

  @Test
  public void httpsToAPlainServerNeverFallsBackToPlaintext() {
    String https = "https://127.0.0.1:" + upstream.getAddress().getPort() + "/api/hello";
    EgressPolicy impatient =
        policy.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofSeconds(5));
    String c = code(EgressRequest.get(https), impatient);
    // the plain server waits for a request line inside the ClientHello, or rejects it
    assertTrue(
        c,
        List.of(EgressException.TLS_FAILED, EgressException.PROTOCOL_ERROR, EgressException.TIMEOUT)
            .contains(c));
    assertTrue("no plaintext request reached the handler", seenHost.get() == null);
  }
}
