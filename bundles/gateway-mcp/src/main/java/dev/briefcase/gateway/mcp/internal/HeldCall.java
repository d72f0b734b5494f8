package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;

/**
 * A {@code tools/call} that needs approval and is held open on its own SSE response while a human
 * decides (SPEC §10 Δ 1). Cancellation ({@code notifications/cancelled}, session end, shutdown)
 * interrupts the waiting thread only while it waits for the decision, never while it calls the
 * kernel.
 */
final class HeldCall {
  final Session session;
  final String requestKey;
  final JsonNode requestId;
  final JsonNode progressToken;
  final ToolCallRequest request;
  final ToolCallOutcome first;
  final EventStream stream;

  private Thread waiter;
  private boolean waiting;
  private volatile boolean cancelled;

  HeldCall(
      Session session,
      String requestKey,
      JsonNode requestId,
      JsonNode progressToken,
      ToolCallRequest request,
      ToolCallOutcome first,
      EventStream stream) {
    this.session = session;
    this.requestKey = requestKey;
    this.requestId = requestId;
    this.progressToken = progressToken;
    this.request = request;
    this.first = first;
    this.stream = stream;
  }

  /** Called by the waiting thread before it blocks. */
  synchronized void enterWait() throws InterruptedException {
    if (cancelled) {
      throw new InterruptedException("cancelled");
    }
    waiter = Thread.currentThread();
    waiting = true;
  }

  /** Called by the waiting thread after it blocked; clears an interrupt that came too late. */
  synchronized void leaveWait() {
    waiting = false;
    waiter = null;
    Thread.interrupted();
  }

  /** Stops the wait; the call then ends without a response. */
  synchronized void cancel() {
    cancelled = true;
    if (waiting && waiter != null) {
      waiter.interrupt();
    }
  }

  boolean isCancelled() {
    return cancelled;
  }
}
