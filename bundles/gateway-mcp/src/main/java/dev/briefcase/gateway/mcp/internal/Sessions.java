package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session table: sessions keyed by their {@code Mcp-Session-Id}, capped at {@code
 * max.sessions}, expired after {@code session.idle.minutes} without a request, an open GET stream
 * or a held call. Also writes to every session's GET stream (list_changed, keep-alive).
 * Thread-safe; once {@link #close() closed} it holds no session.
 */
final class Sessions {
  private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);

  private final Settings settings;
  private final ConcurrentHashMap<String, Session> table = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private final SecureRandom random = new SecureRandom();
  private volatile boolean closed;

  Sessions(Settings settings) {
    this.settings = settings;
  }

  int count() {
    return count.get();
  }

  /** Whether the gateway is stopping; the caller refuses new work. */
  boolean isClosed() {
    return closed;
  }

  /**
   * A new session in the table, or {@code null} when {@code max.sessions} are open. A caller that
   * then finds the table {@link #isClosed() closed} removes it again.
   */
  Session open(String protocolVersion) {
    if (count.incrementAndGet() > settings.maxSessions()) {
      count.decrementAndGet();
      return null;
    }
    Session s = new Session(newSessionId(), protocolVersion, System.nanoTime());
    table.put(s.id(), s);
    return s;
  }

  /** The session named by the request, or {@code null} after answering 400 or 404. */
  Session lookup(Exchange ex) throws IOException {
    String sid = ex.header(McpEndpoint.SESSION_HEADER);
    if (sid == null) {
      JsonRpc.transportError(ex, 400, "Bad Request: Mcp-Session-Id header is required");
      return null;
    }
    Session s = table.get(sid);
    if (s == null || s.isClosed()) {
      JsonRpc.rpcError(ex, 404, NullNode.instance, JsonRpc.SESSION_NOT_FOUND, "Session not found");
      return null;
    }
    s.touch(System.nanoTime());
    return s;
  }

  void remove(Session s) {
    if (table.remove(s.id(), s)) {
      count.decrementAndGet();
    }
    s.close();
  }

  /** Sends {@code message} on every open GET stream; a stream that fails is closed. */
  void broadcast(String message) {
    for (Session s : table.values()) {
      EventStream stream = s.getStream();
      if (stream != null) {
        try {
          stream.send(message);
        } catch (IOException e) {
          stream.close();
        }
      }
    }
  }

  /** A comment on every open GET stream, so proxies keep it and a dead client is noticed. */
  void keepAlive() {
    long now = System.nanoTime();
    for (Session s : table.values()) {
      EventStream stream = s.getStream();
      if (stream != null) {
        try {
          stream.comment("keep-alive");
          s.touch(now);
        } catch (IOException e) {
          stream.close();
        }
      }
    }
  }

  /** Removes sessions idle for longer than the configured time. */
  void sweep() {
    long now = System.nanoTime();
    long idle = TimeUnit.MILLISECONDS.toNanos(settings.sessionIdleMillis());
    for (Session s : table.values()) {
      if (now - s.lastSeenNanos() > idle && !s.hasHeldCalls() && s.getStream() == null) {
        remove(s);
        LOG.debug("MCP session expired");
      }
    }
  }

  /** Refuses new sessions and ends every session (its held calls and GET stream). */
  void close() {
    closed = true;
    for (Session s : table.values()) {
      remove(s);
    }
  }

  private String newSessionId() {
    byte[] raw = new byte[24];
    random.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }
}
