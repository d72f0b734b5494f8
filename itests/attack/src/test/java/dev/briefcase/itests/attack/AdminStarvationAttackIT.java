package dev.briefcase.itests.attack;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.itests.common.Distribution;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/**
 * A local client without the token against the admin API's capacity: whatever it does with the open
 * routes, {@code /health} (and so approve and deny, served by the same listener) answers.
 */
public class AdminStarvationAttackIT {
  /**
   * More connections than the listener's cap (256), so that some wait in the accept backlog, and
   * fewer than cap and backlog (50) together, which would refuse the connections themselves.
   */
  private static final int ATTACK_CONNECTIONS = 280;

  /**
   * How long the operator's {@code /health} may wait: generous for a loaded machine and above the
   * listener's 10 s answer deadline, yet well below its 30 s idle timeout, until which a full
   * listener would leave it unanswered.
   */
  private static final Duration ANSWER_BOUND = Duration.ofSeconds(20);

  /** How long one attacking connection's answer is awaited before it counts as not accepted. */
  private static final int ATTACK_READ_MILLIS = 3_000;

  /** Slow readers: more than the listener's 16 request threads. */
  private static final int SLOW_READERS = 32;

  /** Answers each slow reader asks for: megabytes, far beyond what socket buffers take. */
  private static final int PIPELINED_REQUESTS = 200;

  /**
   * Connections kept alive after one open request each must not fill the connection cap and lock
   * {@code /health} out until the idle timeout ends them.
   */
  @Test
  public void idleKeptAliveConnectionsDoNotLockOutTheAdminApi() throws Exception {
    List<Socket> attack = new ArrayList<>();
    try (Distribution running = start("admin-cap")) {
      URI admin = URI.create(running.baseUrl());
      String host = admin.getHost() + ":" + admin.getPort();
      byte[] keepAlive =
          ("GET /health HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < ATTACK_CONNECTIONS; i++) {
        Socket s = new Socket();
        attack.add(s);
        s.connect(new InetSocketAddress(admin.getHost(), admin.getPort()), 5_000);
        s.getOutputStream().write(keepAlive);
        s.getOutputStream().flush();
      }
      // Each accepted connection answers and then sits idle, kept alive; stop at the first one
      // left in the backlog, which means the listener is full.
      int answered = 0;
      for (Socket s : attack) {
        s.setSoTimeout(ATTACK_READ_MILLIS);
        try {
          if (!HttpHead.read(s.getInputStream()).startsWith("HTTP/1.1 200")) {
            break;
          }
          answered++;
        } catch (SocketTimeoutException notAccepted) {
          break;
        }
      }
      assertTrue("the attack's connections were served: " + answered, answered > 0);

      String status = healthWithin(admin, host);
      assertTrue(
          "/health with the listener full of idle connections: " + status,
          status.startsWith("HTTP/1.1 200"));
    } finally {
      for (Socket s : attack) {
        s.close();
      }
    }
  }

  /**
   * Slow readers: connections that pipeline requests for {@code /openapi.json} behind a tiny
   * receive window and never read the answers must not hold the request threads.
   */
  @Test
  public void clientsThatDoNotReadTheirAnswersHoldNoRequestThread() throws Exception {
    List<Socket> attack = new ArrayList<>();
    try (Distribution running = start("admin-slow-read")) {
      URI admin = URI.create(running.baseUrl());
      String host = admin.getHost() + ":" + admin.getPort();
      byte[] requests =
          ("GET /openapi.json HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
              .repeat(PIPELINED_REQUESTS)
              .getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < SLOW_READERS; i++) {
        Socket s = new Socket();
        attack.add(s);
        s.setReceiveBufferSize(1024); // before connecting, so that the window stays small
        s.connect(new InetSocketAddress(admin.getHost(), admin.getPort()), 5_000);
        s.getOutputStream().write(requests);
        s.getOutputStream().flush();
      }
      // the first slow reader's answer has begun: the listener is serving the attack
      Socket first = attack.get(0);
      first.setSoTimeout(ATTACK_READ_MILLIS);
      String started = HttpHead.read(first.getInputStream()).split("\r\n", 2)[0];
      assertTrue("a slow reader's first answer: " + started, started.startsWith("HTTP/1.1 200"));

      String status = healthWithin(admin, host);
      assertTrue(
          "/health with every slow reader stuck: " + status, status.startsWith("HTTP/1.1 200"));
    } finally {
      for (Socket s : attack) {
        s.close();
      }
    }
  }

  /**
   * Slow readers on every slot of the connection cap, each taking a few bytes of its answers now
   * and then (so that the idle timeout never ends them): each whole answer must be taken within the
   * listener's answer deadline, so they cannot hold the slots and lock {@code /health} out.
   */
  @Test
  public void slowReadersDoNotHoldTheConnectionCap() throws Exception {
    List<Socket> attack = new ArrayList<>();
    Thread sipping = null;
    try (Distribution running = start("admin-slow-cap")) {
      URI admin = URI.create(running.baseUrl());
      String host = admin.getHost() + ":" + admin.getPort();
      byte[] requests =
          ("GET /openapi.json HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
              .repeat(PIPELINED_REQUESTS)
              .getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < ATTACK_CONNECTIONS; i++) {
        Socket s = new Socket();
        attack.add(s);
        s.setReceiveBufferSize(1024);
        s.connect(new InetSocketAddress(admin.getHost(), admin.getPort()), 5_000);
        s.getOutputStream().write(requests);
        s.getOutputStream().flush();
      }
      sipping = new Thread(() -> sip(attack), "slow-reader");
      sipping.setDaemon(true);
      sipping.start();

      String status = healthWithin(admin, host);
      assertTrue(
          "/health with the cap full of slow readers: " + status,
          status.startsWith("HTTP/1.1 200"));
    } finally {
      for (Socket s : attack) {
        s.close();
      }
      if (sipping != null) {
        sipping.join(5_000);
      }
    }
  }

  /** Reads a few bytes from each connection every second, until they are all closed. */
  private static void sip(List<Socket> connections) {
    byte[] few = new byte[16];
    boolean anyOpen = true;
    while (anyOpen) {
      anyOpen = false;
      for (Socket s : connections) {
        if (s.isClosed()) {
          continue;
        }
        anyOpen = true;
        try {
          s.setSoTimeout(20);
          if (s.getInputStream().read(few) < 0) {
            s.close();
          }
        } catch (SocketTimeoutException nothingYet) {
          // the server has sent nothing new: sip again next round
        } catch (IOException e) {
          try {
            s.close(); // cut off by the server
          } catch (IOException ignored) {
            // closed either way
          }
        }
      }
      try {
        synchronized (connections) {
          connections.wait(1_000); // the pacing of the sipping, not a wait for a result
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static Distribution start(String name) throws Exception {
    return new Distribution(Files.createTempDirectory("briefcase-attack-" + name))
        .env("BRIEFCASE_PROFILE_MODE", "reference")
        .start();
  }

  /** The status line of {@code GET /health}, which must come within {@link #ANSWER_BOUND}. */
  private static String healthWithin(URI admin, String host) throws IOException {
    long deadline = System.nanoTime() + ANSWER_BOUND.toNanos();
    try (Socket probe = new Socket()) {
      probe.connect(
          new InetSocketAddress(admin.getHost(), admin.getPort()), (int) ANSWER_BOUND.toMillis());
      int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      probe.setSoTimeout(left);
      probe
          .getOutputStream()
          .write(
              ("GET /health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      probe.getOutputStream().flush();
      String head = HttpHead.read(probe.getInputStream());
      return head.isEmpty() ? "(closed without an answer)" : head.split("\r\n", 2)[0];
    } catch (SocketTimeoutException e) {
      fail("/health was not answered within " + ANSWER_BOUND + " with the listener full");
      throw e;
    }
  }
}
