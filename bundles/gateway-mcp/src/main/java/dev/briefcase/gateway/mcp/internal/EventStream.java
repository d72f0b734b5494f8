package dev.briefcase.gateway.mcp.internal;

import java.io.IOException;

/**
 * A server-sent-events response that stays open (SPEC §10: the GET channel and held-open {@code
 * tools/call} POSTs). Thread-safe: writes are serialised. Once closed — by us, by the client or by
 * a failed write — every later write fails with an {@link IOException}.
 */
interface EventStream {

  /** Sends one JSON-RPC message as an SSE {@code message} event and flushes it. */
  void send(String json) throws IOException;

  /** Sends an SSE comment line (a keep-alive) and flushes it. */
  void comment(String text) throws IOException;

  /** Ends the response; idempotent. */
  void close();

  /** Whether the stream can still be written. */
  boolean isOpen();

  /** Runs {@code action} once when the stream closes, for whatever reason. */
  void onClose(Runnable action);
}
