package dev.briefcase.admin.api.internal;

import dev.briefcase.approvals.ApprovalEvent;
import dev.briefcase.approvals.ApprovalService;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The approval event stream of SPEC §4 ({@code GET /v1/approvals/stream}): server-sent events with
 * {@code id:} = sequence number, replay after {@code Last-Event-ID}, and a keep-alive comment every
 * 15 s. Each open stream holds a thread, so streams run on their own pool of {@code max} threads,
 * not on the request workers: {@code /health}, approve and deny keep answering however many clients
 * listen. A stream beyond {@code max} is refused with 503 {@code too_many_streams}.
 */
final class SseStreams {
  private static final Logger LOG = LoggerFactory.getLogger(SseStreams.class);
  static final long KEEP_ALIVE_MS = 15_000;
  private static final int QUEUE = 1024;

  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final Set<Thread> serving = ConcurrentHashMap.newKeySet();
  private final Set<Exchange> handedOff = ConcurrentHashMap.newKeySet();
  private final ExecutorService pool;
  private volatile boolean closed;

  SseStreams(int max) {
    this.max = max;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            max,
            r -> {
              Thread t = new Thread(r, "briefcase-admin-stream-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Takes the stream over onto the stream pool and returns at once; the caller must then leave the
   * exchange open ({@link #handedOff}). Refuses beyond the cap.
   */
  void serve(Exchange ex, ApprovalService approvals) throws HttpError {
    if (closed) {
      throw HttpError.unavailable("approval stream");
    }
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      throw new HttpError("too_many_streams", "too many open approval streams");
    }
    handedOff.add(ex);
    try {
      pool.execute(() -> stream(ex, approvals));
    } catch (RejectedExecutionException e) {
      handedOff.remove(ex);
      open.decrementAndGet();
      throw HttpError.unavailable("approval stream");
    }
  }

  /** Whether {@code ex} was taken over by a stream (and forgets it); the stream closes it. */
  boolean handedOff(Exchange ex) {
    return handedOff.remove(ex);
  }

  private void stream(Exchange ex, ApprovalService approvals) {
    try {
      serveOpen(ex, approvals);
      ex.complete();
    } catch (IOException e) {
      LOG.debug("approval stream ended: {}", e.toString());
      ex.fail(e);
    } finally {
      open.decrementAndGet();
    }
  }

  private void serveOpen(Exchange ex, ApprovalService approvals) throws IOException {
    String lastEventId = ex.header("Last-Event-ID");
    LinkedBlockingQueue<ApprovalEvent> queue = new LinkedBlockingQueue<>(QUEUE);
    serving.add(Thread.currentThread());
    try (AutoCloseable sub = approvals.subscribe(e -> queue.offer(e))) {
      ex.setHeader("Cache-Control", "no-store");
      OutputStream out = ex.stream(200, "text/event-stream");
      out.write(": stream open\n\n".getBytes(StandardCharsets.UTF_8));
      // Subscribed before reading the history, so nothing falls between; seq numbers dedupe.
      long lastSeen = lastEventId == null ? 0 : parseLastEventId(lastEventId);
      for (ApprovalEvent e : approvals.eventsAfter(lastSeen)) {
        // a client without Last-Event-ID starts from now; one with it gets what it missed
        lastSeen = lastEventId == null ? e.seq() : write(out, e, lastSeen);
      }
      out.flush();
      while (!closed) {
        ApprovalEvent e = queue.poll(KEEP_ALIVE_MS, TimeUnit.MILLISECONDS);
        if (e == null) {
          out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
        } else {
          lastSeen = write(out, e, lastSeen);
        }
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client closed the stream
    } catch (Exception e) {
      throw new IOException("approval stream failed", e);
    } finally {
      serving.remove(Thread.currentThread());
    }
  }

  private static long write(OutputStream out, ApprovalEvent e, long lastSeen) throws IOException {
    if (e.seq() <= lastSeen) {
      return lastSeen; // already sent during the replay
    }
    String data = Views.JSON.writeValueAsString(Views.approval(e.request()));
    String frame = "id: " + e.seq() + "\nevent: " + e.type() + "\ndata: " + data + "\n\n";
    out.write(frame.getBytes(StandardCharsets.UTF_8));
    return e.seq();
  }

  private static long parseLastEventId(String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(header.strip()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  void closeAll() {
    closed = true;
    serving.forEach(Thread::interrupt);
    pool.shutdownNow();
  }
}
