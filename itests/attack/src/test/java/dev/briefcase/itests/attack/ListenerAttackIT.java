package dev.briefcase.itests.attack;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Issue items 9–11 and the token-file part of 12: every listener (MCP gateway, admin API, web
 * console) against a local attacker and a DNS-rebinding web page. Hostile requests are written on
 * raw sockets, since a rebinding page controls exactly what a raw socket does ({@code Host}, {@code
 * Origin}) and the JDK HTTP client refuses to set {@code Host}.
 */
public class ListenerAttackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INIT =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
          + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"attack\",\"version\":\"1\"}}}";

  /**
   * One kernel per profile for the cases that only send requests to it (no token, a foreign {@code
   * Origin} or {@code Host}) and change nothing a later case reads; they are started together
   * before the class runs. The reference one listens on {@code BRIEFCASE_TCP_ADDR} ({@link
   * #adminApiListensOnBriefcaseTcpAddr}). Cases that load a listener, need another setting or must
   * not start get their own.
   */
  private static Distribution ga;

  private static Distribution reference;
  private static int referenceAdminPort;

  @BeforeClass
  public static void startSharedKernels() throws Exception {
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      referenceAdminPort = free.getLocalPort();
    }
    Distribution onTcpAddr =
        new Distribution(Files.createTempDirectory("briefcase-attack-shared-reference"))
            .env("BRIEFCASE_PROFILE_MODE", "reference")
            .env("BRIEFCASE_TCP_ADDR", "127.0.0.1:" + referenceAdminPort);
    ExecutorService starter = Executors.newFixedThreadPool(2);
    try {
      Future<Distribution> g = starter.submit(() -> start("shared-ga", "ga"));
      Future<Distribution> r = starter.submit(() -> startPatiently(onTcpAddr));
      try {
        ga = g.get();
      } finally {
        reference = r.get(); // waited for even when ga failed, so that @AfterClass stops it
      }
    } finally {
      starter.shutdown();
    }
  }

  @AfterClass
  public static void stopSharedKernels() throws Exception {
    try {
      if (ga != null) {
        ga.close();
      }
    } finally {
      if (reference != null) {
        reference.close();
      }
    }
  }

  /** Item 9: no token on a loopback bind → 401, in both profiles; the token file is 0600. */
  @Test
  public void mcpCallWithoutTokenOnLoopbackIsRefused() throws Exception {
    for (String profile : List.of("ga", "reference")) {
      Distribution d = "ga".equals(profile) ? ga : reference;
      URI mcp = URI.create(Poll.fileText(d.dataDir.resolve("mcp.url"), Duration.ofSeconds(30)));
      Raw none = Raw.send(mcp, post(mcp, hostOf(mcp), null, null, INIT));
      assertEquals(profile + ": initialize without a token: " + none, 401, none.status);
      Raw toolsCall =
          Raw.send(
              mcp,
              post(
                  mcp,
                  hostOf(mcp),
                  null,
                  null,
                  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
                      + "\"echo\",\"arguments\":{\"text\":\"hi\"}}}"));
      assertEquals(profile + ": tools/call without a token", 401, toolsCall.status);
      Raw wrong = Raw.send(mcp, post(mcp, hostOf(mcp), null, "Bearer not-the-token", INIT));
      assertEquals(profile + ": a wrong token", 401, wrong.status);
      Path tokenFile = d.dataDir.resolve("mcp_token");
      assertTrue("the gateway made its token file", Files.exists(tokenFile));
      assertEquals(
          "mcp_token is owner-only",
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
      String token = Files.readString(tokenFile).strip();
      Raw ok = Raw.send(mcp, post(mcp, hostOf(mcp), null, "Bearer " + token, INIT));
      assertEquals(profile + ": the token opens it: " + ok, 200, ok.status);
    }
  }

  /** Item 9: in ga, the development switch that serves without a token refuses to start. */
  @Test
  public void gaRefusesServingWithoutToken() throws Exception {
    Path data = Files.createTempDirectory("briefcase-attack-notoken-ga");
    Distribution d =
        new Distribution(data)
            .env("BRIEFCASE_PROFILE_MODE", "ga")
            .env("BRIEFCASE_MASTER_PASSPHRASE", "attack-suite-passphrase")
            .env("BRIEFCASE_MCP_ALLOW_NO_TOKEN", "1");
    try {
      d.start();
      fail("ga started with BRIEFCASE_MCP_ALLOW_NO_TOKEN=1");
    } catch (IOException expected) {
      String log = Files.readString(d.logFile);
      assertTrue(log, log.contains("mcp_token_required"));
    } finally {
      d.close();
    }
  }

  /**
   * Item 9, the other side of the switch: outside ga the development setting still serves loopback
   * requests without the token (no other test runs the gateway with it).
   */
  @Test
  public void referenceServesLoopbackWithoutTokenWhenAllowed() throws Exception {
    Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-attack-notoken-reference"))
            .env("BRIEFCASE_PROFILE_MODE", "reference")
            .env("BRIEFCASE_MCP_ALLOW_NO_TOKEN", "1");
    try (Distribution running = startPatiently(d)) {
      URI mcp = URI.create(Poll.fileText(d.dataDir.resolve("mcp.url"), Duration.ofSeconds(30)));
      Raw none = Raw.send(mcp, post(mcp, hostOf(mcp), null, null, INIT));
      assertEquals("initialize without a token, dev setting on: " + none, 200, none.status);
    }
  }

  /** Item 9: a browser page on another loopback port is not a configured origin → 403. */
  @Test
  public void mcpRefusesOtherLoopbackOrigins() throws Exception {
    Distribution d = reference;
    try (ServerSocket other = new ServerSocket(0)) {
      URI mcp = URI.create(Poll.fileText(d.dataDir.resolve("mcp.url"), Duration.ofSeconds(30)));
      Path tokenFile = d.dataDir.resolve("mcp_token");
      // (read only if there is one, so that this case shows the origin rule on its own)
      String token = Files.exists(tokenFile) ? Files.readString(tokenFile).strip() : "none";
      for (String origin :
          List.of(
              "http://127.0.0.1:" + other.getLocalPort(),
              "http://localhost:" + other.getLocalPort(),
              "http://[::1]:" + other.getLocalPort())) {
        Raw r = Raw.send(mcp, post(mcp, hostOf(mcp), origin, "Bearer " + token, INIT));
        assertEquals("Origin " + origin + ": " + r, 403, r.status);
        assertFalse(r.head.toLowerCase().contains("mcp-session-id"));
      }
      // an MCP SDK client sends no Origin: still served; so is the listener's own origin
      Raw sdk = Raw.send(mcp, post(mcp, hostOf(mcp), null, "Bearer " + token, INIT));
      assertEquals(200, sdk.status);
      Raw own =
          Raw.send(mcp, post(mcp, hostOf(mcp), "http://" + hostOf(mcp), "Bearer " + token, INIT));
      assertEquals("same-origin: " + own, 200, own.status);
    }
  }

  /** Item 10: a rebinding page reaches the admin API under a foreign Host → refused. */
  @Test
  public void adminApiRefusesRebindingHost() throws Exception {
    Distribution d = ga;
    URI admin = URI.create(d.baseUrl());
    for (String host :
        List.of(
            "evil.example:" + admin.getPort(),
            "evil.example",
            "127.0.0.1.nip.io:" + admin.getPort(),
            "localhost:" + (admin.getPort() == 1 ? 2 : admin.getPort() - 1))) {
      for (String path : List.of("/health", "/v1/approvals")) {
        Raw r = Raw.send(admin, get(path, host, "Bearer " + d.token()));
        assertTrue("Host " + host + " " + path + ": " + r, r.status == 421 || r.status == 403);
        assertTrue(r.body, r.body.contains("invalid_host"));
      }
    }
    Raw good = Raw.send(admin, get("/health", "localhost:" + admin.getPort(), null));
    assertEquals(200, good.status);
    Raw ip = Raw.send(admin, get("/health", hostOf(admin), null));
    assertEquals(200, ip.status);
  }

  /**
   * Item 10: 20 event streams and a slowloris client do not starve the workers: {@code /health} and
   * approve still answer within a deadline; streams over the cap get 503 {@code too_many_streams},
   * and the slow client is disconnected.
   */
  @Test
  public void streamsAndSlowClientsDoNotStarveTheAdminApi() throws Exception {
    try (Distribution d = start("admin-exhaust", "reference")) {
      URI admin = URI.create(d.baseUrl());
      Distribution.Answer call =
          d.post(
              "/v1/tools/call",
              "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"exhaust\"}}}");
      assertEquals(call.body(), 200, call.status());
      JsonNode pending = d.get("/v1/approvals").json().path("approvals");
      assertEquals(pending.toString(), 1, pending.size());
      String approvalId = pending.get(0).path("id").asText();

      List<Socket> streams = new ArrayList<>();
      Socket slow = null;
      try {
        int refused = 0;
        int open = 0;
        for (int i = 0; i < 20; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress(admin.getHost(), admin.getPort()), 5_000);
          streams.add(s);
          s.getOutputStream()
              .write(
                  get("/v1/approvals/stream", hostOf(admin), "Bearer " + d.token())
                      .getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
        }
        for (Socket s : streams) {
          s.setSoTimeout(10_000);
          String head = HttpHead.read(s.getInputStream());
          if (head.startsWith("HTTP/1.1 200")) {
            open++;
          } else if (head.startsWith("HTTP/1.1 503")) {
            refused++;
          } else {
            // an un-answered stream means it is still holding a worker without being served
            fail("event stream answered " + head);
          }
        }
        assertTrue("some streams are served: " + open, open > 0);
        assertTrue("streams over the cap are refused (503): " + refused, refused > 0);
        // slowloris: a request line and half a header, then nothing
        slow = new Socket();
        slow.connect(new InetSocketAddress(admin.getHost(), admin.getPort()), 5_000);
        slow.getOutputStream()
            .write(
                ("GET /health HTTP/1.1\r\nHost: " + hostOf(admin) + "\r\nX-Slow: a")
                    .getBytes(StandardCharsets.US_ASCII));
        slow.getOutputStream().flush();

        long t0 = System.nanoTime();
        Raw health = Raw.send(admin, get("/health", hostOf(admin), null), Duration.ofSeconds(5));
        assertEquals("/health under load: " + health, 200, health.status);
        Raw approve =
            Raw.send(
                admin,
                "POST /v1/approvals/"
                    + approvalId
                    + "/approve HTTP/1.1\r\nHost: "
                    + hostOf(admin)
                    + "\r\nAuthorization: Bearer "
                    + d.token()
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                Duration.ofSeconds(5));
        assertEquals("approve under load: " + approve, 200, approve.status);
        System.out.println(
            "[ListenerAttackIT] streams open "
                + open
                + ", refused "
                + refused
                + "; /health and approve answered in "
                + (System.nanoTime() - t0) / 1_000_000
                + " ms");

        // the slow client is cut off by the request timeout instead of holding a worker forever
        slow.setSoTimeout(60_000);
        long s0 = System.nanoTime();
        int b;
        try {
          InputStream in = slow.getInputStream();
          do {
            b = in.read();
          } while (b >= 0);
        } catch (SocketTimeoutException e) {
          fail("the slowloris connection was still open after 60 s");
        } catch (IOException e) {
          // reset: closed by the server
        }
        System.out.println(
            "[ListenerAttackIT] slowloris connection closed by the server after "
                + (System.nanoTime() - s0) / 1_000_000
                + " ms");
      } finally {
        for (Socket s : streams) {
          s.close();
        }
        if (slow != null) {
          slow.close();
        }
      }
    }
  }

  /**
   * The admin API's configuration (PID {@code dev.briefcase.admin.api}, from the core feature)
   * reaches the component: {@code BRIEFCASE_TCP_ADDR} names where it listens.
   */
  @Test
  public void adminApiListensOnBriefcaseTcpAddr() throws Exception {
    assertEquals("admin.url", "http://127.0.0.1:" + referenceAdminPort, reference.baseUrl());
    URI there = URI.create("http://127.0.0.1:" + referenceAdminPort);
    Raw health = Raw.send(there, get("/health", hostOf(there), null));
    assertEquals("/health on BRIEFCASE_TCP_ADDR: " + health, 200, health.status);
  }

  /**
   * A sustained, reconnecting slowloris: 64 clients each open a connection, trickle one header byte
   * a second and reconnect as soon as the server closes, for 20 s. Throughout, {@code /health}
   * answers within the bound, and approving and denying pending approvals each answer 200 within
   * it. (On the JDK server, whose 16 workers read request heads, this starved every route.)
   */
  @Test
  public void reconnectingSlowlorisDoesNotStarveTheAdminApi() throws Exception {
    try (Distribution d = start("admin-slowloris", "reference")) {
      URI admin = URI.create(d.baseUrl());
      List<String> pending = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Distribution.Answer call =
            d.post(
                "/v1/tools/call",
                "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"slow" + i + "\"}}}");
        assertEquals(call.body(), 200, call.status());
        assertEquals(call.body(), "approval_required", call.json().path("status").asText());
        pending.add(call.json().path("approval").path("id").asText());
      }
      JsonNode listed = d.get("/v1/approvals").json().path("approvals");
      assertEquals(listed.toString(), 3, listed.size());

      Slowloris attack = new Slowloris(admin, 64);
      ExecutorService probe = Executors.newCachedThreadPool();
      try {
        attack.start();
        awaitCondition(
            "the slowloris clients are connected", () -> attack.connects.get() >= 64, 10);
        long end = System.nanoTime() + SLOWLORIS_SECONDS * 1_000_000_000L;
        long nextDecision = System.nanoTime() + 4_000_000_000L;
        int healthChecks = 0;
        int decided = 0;
        while (System.nanoTime() < end) {
          Raw health = within(probe, admin, get("/health", hostOf(admin), null));
          assertEquals("/health under a slowloris: " + health, 200, health.status);
          healthChecks++;
          if (decided < pending.size() && System.nanoTime() >= nextDecision) {
            String verb = decided == 1 ? "deny" : "approve";
            Raw decision =
                within(
                    probe,
                    admin,
                    "POST /v1/approvals/"
                        + pending.get(decided)
                        + "/"
                        + verb
                        + " HTTP/1.1\r\nHost: "
                        + hostOf(admin)
                        + "\r\nAuthorization: Bearer "
                        + d.token()
                        + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            assertEquals(verb + " under a slowloris: " + decision, 200, decision.status);
            decided++;
            nextDecision = System.nanoTime() + 5_000_000_000L;
          }
          pause(Duration.ofMillis(300));
        }
        assertEquals("every pending approval was decided", pending.size(), decided);
        assertTrue(
            "the server cut the trickling connections off and they came back: " + attack,
            attack.closedByServer.get() > 0);
        System.out.println(
            "[ListenerAttackIT] reconnecting slowloris: "
                + healthChecks
                + " /health checks and "
                + decided
                + " decisions answered; "
                + attack);
      } finally {
        attack.stop();
        probe.shutdownNow();
      }
      assertEquals(
          "nothing is pending any more", 0, d.get("/v1/approvals").json().path("approvals").size());
    }
  }

  /** How long the reconnecting slowloris runs. */
  private static final int SLOWLORIS_SECONDS = 20;

  /**
   * The bound within which each probe must be answered under attack: generous for a loaded 2-core
   * machine (probes answer in about 100 ms), yet far below the attack's 20 s, for which a starved
   * listener leaves every probe unanswered.
   */
  private static final Duration ANSWER_BOUND = Duration.ofSeconds(5);

  /** One raw request that must be answered, whole, within {@link #ANSWER_BOUND}. */
  private static Raw within(ExecutorService probe, URI server, String request) throws Exception {
    Future<Raw> answer = probe.submit(() -> Raw.send(server, request, ANSWER_BOUND));
    try {
      return answer.get(ANSWER_BOUND.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      answer.cancel(true);
      throw new AssertionError(
          request.substring(0, request.indexOf('\r'))
              + " was not answered within "
              + ANSWER_BOUND
              + " under a slowloris: "
              + e,
          e);
    }
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void awaitCondition(String what, Condition condition, int seconds)
      throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        fail(what + ": not within " + seconds + " s");
      }
      pause(Duration.ofMillis(50));
    }
  }

  private static final Object PACER = new Object();

  /** Waits {@code time} on a monitor nobody notifies: the pacing of a poll with a deadline. */
  private static void pause(Duration time) throws InterruptedException {
    synchronized (PACER) {
      PACER.wait(time.toMillis());
    }
  }

  /**
   * Clients that each keep one connection trickling a request head, a byte a second, and open a new
   * one whenever the server closes theirs. The pacing is a read with a one-second timeout, which
   * also notices the close.
   */
  private static final class Slowloris {
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger closedByServer = new AtomicInteger();
    private final URI server;
    private final List<Thread> clients = new ArrayList<>();
    private volatile boolean running = true;

    Slowloris(URI server, int count) {
      this.server = server;
      for (int i = 0; i < count; i++) {
        Thread t = new Thread(this::run, "slowloris-" + i);
        t.setDaemon(true);
        clients.add(t);
      }
    }

    void start() {
      clients.forEach(Thread::start);
    }

    private void run() {
      byte[] head =
          ("GET /health HTTP/1.1\r\nHost: " + hostOf(server) + "\r\nX-Slow: ")
              .getBytes(StandardCharsets.US_ASCII);
      while (running) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(server.getHost(), server.getPort()), 5_000);
          connects.incrementAndGet();
          s.setSoTimeout(1_000);
          OutputStream out = s.getOutputStream();
          InputStream in = s.getInputStream();
          out.write(head);
          out.flush();
          while (running) {
            out.write('a');
            out.flush();
            try {
              in.read(); // any answer (or end of stream) means the server gave up on us
              closedByServer.incrementAndGet();
              break;
            } catch (SocketTimeoutException stillOpen) {
              // the server still waits for the rest of the head: trickle on
            }
          }
        } catch (IOException e) {
          if (running) {
            closedByServer.incrementAndGet(); // reset or refused: reconnect at once
          }
        }
      }
    }

    void stop() throws InterruptedException {
      running = false;
      for (Thread t : clients) {
        t.join(5_000);
      }
    }

    @Override
    public String toString() {
      return connects.get() + " slow connections opened, " + closedByServer.get() + " cut off";
    }
  }

  /**
   * Item 11: the console has no default password (a generated one in a 0600 file, its location in
   * the log), refuses a rebinding Host, and a foreign Origin cannot post even with the right Host.
   */
  @Test
  public void consoleRefusesDefaultPasswordAndRebinding() throws Exception {
    Path data = Files.createTempDirectory("briefcase-attack-console");
    Distribution d =
        new Distribution(data)
            .env("BRIEFCASE_CONSOLE_HTTP_PORT", "0")
            .startArgs(
                "--feature", Distribution.home().resolve("features/console.json").toString());
    try (d) {
      startPatiently(d);
      URI console = URI.create(Poll.fileText(data.resolve("console.url"), Duration.ofSeconds(30)));
      String page = console.getPath() + "/briefcase-approvals";
      Path pwFile = data.resolve("console_password");
      Poll.fileText(pwFile, Duration.ofSeconds(30)); // generated when the console bundle starts
      assertEquals(
          "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pwFile)));
      String password = Files.readString(pwFile).strip();
      assertFalse("admin".equals(password));
      String log = Files.readString(d.logFile);
      assertTrue("the log says where the password is", log.contains(pwFile.toString()));
      assertFalse("the log never holds the password", log.contains(password));

      // a pending approval, so that the page has a form (and a CSRF token) to forge
      Distribution.Answer call =
          d.post(
              "/v1/tools/call",
              "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"rebind\"}}}");
      assertEquals(call.body(), 200, call.status());
      String approvalId =
          d.get("/v1/approvals").json().path("approvals").get(0).path("id").asText();

      // wait until the web console serves its pages (a 401 instead of 404)
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      Raw first;
      do {
        first = Raw.send(console, get(page, hostOf(console), basic("admin", "admin")));
        if (first.status != 404) {
          break;
        }
        Thread.sleep(100);
      } while (System.nanoTime() < deadline);
      assertEquals("default admin/admin: " + first, 401, first.status);
      Raw good = Raw.send(console, get(page, hostOf(console), basic("admin", password)));
      assertEquals("the generated password: " + good, 200, good.status);

      for (String host : List.of("evil.example:" + console.getPort(), "evil.example")) {
        Raw r = Raw.send(console, get(page, host, basic("admin", password)));
        assertTrue("Host " + host + ": " + r, r.status == 421 || r.status == 403);
        assertTrue(r.body, r.body.contains("invalid_host"));
      }
      // CSRF: the attacker picks both Host and Origin; Origin must be the console's own
      String csrf = csrf(good.body);
      String form = "csrf=" + csrf + "&action=approve&id=" + approvalId;
      for (String[] hostOrigin :
          List.of(
              new String[] {
                "evil.example:" + console.getPort(), "http://evil.example:" + console.getPort()
              },
              new String[] {hostOf(console), "http://evil.example:" + console.getPort()},
              new String[] {hostOf(console), "http://127.0.0.1:1"})) {
        Raw r =
            Raw.send(
                console,
                "POST "
                    + page
                    + " HTTP/1.1\r\nHost: "
                    + hostOrigin[0]
                    + "\r\nOrigin: "
                    + hostOrigin[1]
                    + "\r\nAuthorization: "
                    + basic("admin", password)
                    + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                    + form.length()
                    + "\r\nConnection: close\r\n\r\n"
                    + form);
        assertTrue(
            "Host " + hostOrigin[0] + " Origin " + hostOrigin[1] + ": " + r,
            r.status == 403 || r.status == 421);
      }
      JsonNode still = d.get("/v1/approvals").json().path("approvals");
      assertEquals("the forged approvals changed nothing: " + still, 1, still.size());
      assertEquals(approvalId, still.get(0).path("id").asText());
    }
  }

  /** Item 12: a pre-existing auth_token readable by others refuses start, naming the file. */
  @Test
  public void worldReadableTokenFileRefusesStart() throws Exception {
    for (String file : List.of("auth_token", "mcp_token")) {
      Path data = Files.createTempDirectory("briefcase-attack-perm-" + file);
      Path token = data.resolve(file);
      byte[] raw = new byte[32];
      new java.security.SecureRandom().nextBytes(raw);
      Files.writeString(token, Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n");
      Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
      Distribution d =
          new Distribution(data)
              .env("BRIEFCASE_PROFILE_MODE", "ga")
              .env("BRIEFCASE_MASTER_PASSPHRASE", "attack-suite-passphrase");
      try {
        d.start();
        fail("started with a 0644 " + file);
      } catch (IOException expected) {
        String log = Files.readString(d.logFile);
        assertTrue(log, log.contains("token_file_permissions"));
        assertTrue(log, log.contains(token.toString()));
      } finally {
        d.close();
      }
      Set<PosixFilePermission> after = Files.getPosixFilePermissions(token);
      assertTrue("the file was left as it was", after.contains(PosixFilePermission.OTHERS_READ));
      assertFalse("no admin.url: nothing listens", Files.exists(data.resolve("admin.url")));
    }
  }

  // ------------------------------------------------------------------ helpers

  private static Distribution start(String name, String profile) throws Exception {
    Distribution d = new Distribution(Files.createTempDirectory("briefcase-attack-" + name));
    d.env("BRIEFCASE_PROFILE_MODE", profile);
    if ("ga".equals(profile)) {
      d.env("BRIEFCASE_MASTER_PASSPHRASE", "attack-suite-passphrase");
    }
    return startPatiently(d);
  }

  /**
   * {@link Distribution#start} waits 60 s for readiness; a loaded build machine can take longer, so
   * a runtime that is still starting gets more time (one that exited fails at once).
   */
  private static Distribution startPatiently(Distribution d) throws Exception {
    try {
      try {
        return d.start();
      } catch (IOException e) {
        if (!e.getMessage().startsWith("runtime not ready")) {
          throw e;
        }
        d.awaitReady(Duration.ofMinutes(3));
        return d;
      }
    } catch (Exception | Error e) {
      d.close(); // never leave a runtime behind
      throw e;
    }
  }

  private static String hostOf(URI uri) {
    return uri.getHost() + ":" + uri.getPort();
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String csrf(String html) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
    assertTrue("a CSRF token on the page", m.find());
    return m.group(1);
  }

  private static String get(String path, String host, String authorization) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: "
        + host
        + "\r\n"
        + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
        + "Connection: close\r\n\r\n";
  }

  private static String post(URI uri, String host, String origin, String authorization, String b) {
    byte[] body = b.getBytes(StandardCharsets.UTF_8);
    return "POST "
        + uri.getPath()
        + " HTTP/1.1\r\nHost: "
        + host
        + "\r\n"
        + (origin == null ? "" : "Origin: " + origin + "\r\n")
        + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
        + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
        + "Content-Length: "
        + body.length
        + "\r\nConnection: close\r\n\r\n"
        + b;
  }

  /** One request on a raw socket; the answer read until the server closes. */
  private record Raw(int status, String head, String body) {
    static Raw send(URI server, String request) throws IOException {
      return send(server, request, Duration.ofSeconds(30));
    }

    static Raw send(URI server, String request, Duration timeout) throws IOException {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(server.getHost(), server.getPort()), 5_000);
        s.setSoTimeout((int) timeout.toMillis());
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = s.getInputStream();
        String head = HttpHead.read(in);
        assertNotNull(head);
        if (head.isEmpty()) {
          return new Raw(-1, "", "");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
          for (int n; (n = in.read(buf)) >= 0; ) {
            body.write(buf, 0, n);
            if (head.toLowerCase().contains("text/event-stream")) {
              break; // an event stream stays open: the head is the answer
            }
          }
        } catch (SocketTimeoutException e) {
          if (body.size() == 0 && !head.toLowerCase().contains("content-length: 0")) {
            throw e;
          }
        }
        String[] status = head.split(" ", 3);
        return new Raw(Integer.parseInt(status[1]), head, body.toString(StandardCharsets.UTF_8));
      }
    }

    @Override
    public String toString() {
      return status + " " + head.replace("\r\n", " | ") + body;
    }
  }
}
