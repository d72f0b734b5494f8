package dev.briefcase.admin.api.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A total deadline for a connection to deliver its request headers. Jetty's idle timeout restarts
 * with every byte, so a client trickling one header byte a second would keep a connection (and one
 * of the capped connection slots) forever; here the clock starts when the connection is accepted,
 * or when the first byte of a later request on a kept-alive connection is seen, and does not care
 * how many bytes have come since. A connection still without a whole request head when it runs out
 * is closed. A kept-alive connection that sends nothing is left to the idle timeout, unless the
 * listener is full: then it is closed at once, since idle connections kept alive by a client
 * without the token would otherwise hold every slot of the connection cap for that long and lock
 * {@code /health}, approve and deny out (new connections wait in the accept backlog). Likewise a
 * whole answer, written without a thread, must be taken within its own deadline.
 */
final class RequestDeadlines implements Connection.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(RequestDeadlines.class);
  private static final long SWEEP_MILLIS = 250;

  private enum State {
    WAITING,
    IN_REQUEST,
    ANSWERING,
    IDLE
  }

  private static final class Tracked {
    State state = State.WAITING;

    /**
     * When this connection started waiting for a request head, or writing a whole answer ({@link
     * System#nanoTime}).
     */
    long waitingSince;

    /** Bytes read when the last request ended: more means a new request has begun arriving. */
    long bytesAtIdle;

    Tracked(long now) {
      this.waitingSince = now;
    }
    // guarded by this
  }

  private final long headerNanos;
  private final long answerNanos;
  private final int maxConnections;
  private final Map<Connection, Tracked> open = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "briefcase-admin-deadlines");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param headerMillis how long a connection has to deliver a whole request head
   * @param answerMillis how long a client has to take a whole answer ({@link #answerStarted})
   * @param maxConnections the listener's connection cap: with this many open, idle ones are closed
   */
  RequestDeadlines(long headerMillis, long answerMillis, int maxConnections) {
    this.headerNanos = TimeUnit.MILLISECONDS.toNanos(headerMillis);
    this.answerNanos = TimeUnit.MILLISECONDS.toNanos(answerMillis);
    this.maxConnections = maxConnections;
    sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onOpened(Connection connection) {
    open.put(connection, new Tracked(System.nanoTime()));
  }

  @Override
  public void onClosed(Connection connection) {
    open.remove(connection);
  }

  /** A whole request head arrived on {@code connection}: no deadline while it is served. */
  void requestStarted(Connection connection) {
    Tracked t = open.get(connection);
    if (t != null) {
      synchronized (t) {
        t.state = State.IN_REQUEST;
      }
    }
  }

  /**
   * A whole answer is being written on {@code connection} without a thread: the client must take it
   * within the answer deadline, or a client reading a byte now and then would hold its connection
   * (and a slot of the cap) for as long as it likes.
   */
  void answerStarted(Connection connection) {
    Tracked t = open.get(connection);
    if (t != null) {
      synchronized (t) {
        t.waitingSince = System.nanoTime();
        t.state = State.ANSWERING;
      }
    }
  }

  /** The answer on {@code connection} is complete; the next request's clock starts on its bytes. */
  void requestEnded(Connection connection) {
    Tracked t = open.get(connection);
    if (t != null) {
      synchronized (t) {
        t.bytesAtIdle = connection.getBytesIn();
        t.state = State.IDLE;
      }
    }
  }

  /** What the sweep makes of a connection. */
  private enum Verdict {
    /** Serving a request, or a request head still within its deadline. */
    KEEP,
    /** No whole request head within the deadline. */
    HEAD_LATE,
    /** A whole answer not taken within the deadline. */
    ANSWER_LATE,
    /** Kept alive between requests, nothing arriving. */
    IDLE
  }

  private void sweep() {
    long now = System.nanoTime();
    boolean full = open.size() >= maxConnections;
    open.forEach(
        (connection, t) -> {
          Verdict verdict = verdict(connection, t, now);
          if (verdict == Verdict.HEAD_LATE) {
            close(connection, "no request head within the deadline");
          } else if (verdict == Verdict.ANSWER_LATE) {
            close(connection, "the answer was not taken within the deadline");
          } else if (full && verdict == Verdict.IDLE) {
            close(connection, "kept alive without a request while the listener is full");
          }
        });
  }

  private Verdict verdict(Connection connection, Tracked t, long now) {
    synchronized (t) {
      if (t.state == State.IDLE && connection.getBytesIn() != t.bytesAtIdle) {
        t.waitingSince = now; // a new request has begun arriving: its clock starts
        t.state = State.WAITING;
      }
      return switch (t.state) {
        case IDLE -> Verdict.IDLE;
        case WAITING -> now - t.waitingSince > headerNanos ? Verdict.HEAD_LATE : Verdict.KEEP;
        case ANSWERING -> now - t.waitingSince > answerNanos ? Verdict.ANSWER_LATE : Verdict.KEEP;
        case IN_REQUEST -> Verdict.KEEP;
      };
    }
  }

  private void close(Connection connection, String why) {
    LOG.debug("closing {}: {}", connection, why);
    open.remove(connection);
    connection.getEndPoint().close();
  }

  void stop() {
    sweeper.shutdownNow();
  }
}
