package dev.briefcase.gateway.mcp.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One MCP session: created by the answer to {@code initialize}, so every session is initialized.
 * Thread-safe.
 */
final class Session {
  private final String id;
  private final String kernelId;
  private final String protocolVersion;
  private final Map<String, HeldCall> held = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicReference<EventStream> channel = new AtomicReference<>();
  private volatile long lastSeenNanos;
  private volatile boolean initializedNotified;

  Session(String id, String protocolVersion, long nowNanos) {
    this.id = id;
    this.protocolVersion = protocolVersion;
    this.kernelId = kernelIdOf(id);
    this.lastSeenNanos = nowNanos;
  }

  /**
   * The session id as the kernel sees it: {@code mcp-} and 32 hex digits of its SHA-256. The header
   * value itself never reaches receipts, yet each session stays a distinct principal.
   */
  static String kernelIdOf(String id) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.US_ASCII));
      return "mcp-" + HexFormat.of().formatHex(h, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  String id() {
    return id;
  }

  String kernelId() {
    return kernelId;
  }

  String protocolVersion() {
    return protocolVersion;
  }

  void touch(long nowNanos) {
    lastSeenNanos = nowNanos;
  }

  long lastSeenNanos() {
    return lastSeenNanos;
  }

  void markInitializedNotified() {
    initializedNotified = true;
  }

  boolean initializedNotified() {
    return initializedNotified;
  }

  boolean isClosed() {
    return closed.get();
  }

  /**
   * Makes {@code stream} the session's GET stream and closes the one before it. The newest wins
   * rather than the oldest: a client that lost its stream reconnects at once, and a half-closed
   * connection is only noticed at the next write, so refusing it would lock the client out.
   */
  void attachGetStream(EventStream stream) {
    EventStream previous = channel.getAndSet(stream);
    stream.onClose(() -> channel.compareAndSet(stream, null));
    if (previous != null) {
      previous.close();
    }
    if (closed.get()) {
      stream.close();
    }
  }

  /** The open GET stream, or {@code null}. */
  EventStream getStream() {
    EventStream s = channel.get();
    return s != null && s.isOpen() ? s : null;
  }

  /** Registers a held call under its JSON-RPC id; false if that id is already held. */
  boolean hold(String requestKey, HeldCall call) {
    return !closed.get() && held.putIfAbsent(requestKey, call) == null;
  }

  void release(String requestKey, HeldCall call) {
    held.remove(requestKey, call);
  }

  /** The held call with this JSON-RPC id, or {@code null}. */
  HeldCall held(String requestKey) {
    return held.get(requestKey);
  }

  boolean hasHeldCalls() {
    return !held.isEmpty();
  }

  /** Ends the session: cancels held calls and closes the GET stream. Idempotent. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    held.values().forEach(HeldCall::cancel);
    EventStream s = channel.get();
    if (s != null) {
      s.close();
    }
  }
}
