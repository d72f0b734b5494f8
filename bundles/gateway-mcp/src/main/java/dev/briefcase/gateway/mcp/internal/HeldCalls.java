package dev.briefcase.gateway.mcp.internal;

import static dev.briefcase.gateway.mcp.internal.JsonRpc.F;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.INTERNAL_ERROR;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.INVALID_PARAMS;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.JSON;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.clip;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.errorMessage;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.ApprovalWatch;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approval waits (SPEC §10 Δ 1): a {@code tools/call} that needs a human's approval is answered
 * with an SSE stream and held open on a gateway thread — with progress while the approval is
 * pending — until the human approves (the call runs again and its result is sent), rejects, or the
 * wait ends (the agent gets the approval result and retries later). At most {@code maxHeld} calls
 * wait at once. Thread-safe; {@link #close()} stops every waiting thread.
 */
final class HeldCalls implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HeldCalls.class);

  private final Settings settings;
  private final Supplier<ToolCallService> tools;
  private final Supplier<ApprovalWatch> watch;
  private final Results results;
  private final Semaphore permits;
  private final ExecutorService waiters;

  /** {@code waiters} runs the waits; it must take up to {@code settings.maxHeld()} at once. */
  HeldCalls(
      Settings settings,
      Supplier<ToolCallService> tools,
      Supplier<ApprovalWatch> watch,
      Results results,
      ExecutorService waiters) {
    this.settings = settings;
    this.tools = tools;
    this.watch = watch;
    this.results = results;
    this.waiters = waiters;
    this.permits = new Semaphore(Math.max(0, settings.maxHeld()));
  }

  /**
   * Answers with an SSE stream and waits for the human on a gateway thread. False when holding is
   * off or impossible; the caller then answers at once.
   */
  boolean holdOpen(
      Exchange ex,
      Session s,
      JsonNode id,
      JsonNode progressToken,
      ToolCallRequest request,
      ToolCallOutcome outcome)
      throws IOException {
    ApprovalWatch w = watch.get();
    String key = id.toString();
    if (settings.approvalWaitMillis() <= 0
        || w == null
        || outcome.approval() == null
        || s.held(key) != null
        || !permits.tryAcquire()) {
      return false;
    }
    EventStream stream;
    try {
      stream = ex.openStream();
    } catch (IOException | RuntimeException e) {
      permits.release();
      throw e;
    }
    HeldCall h = new HeldCall(s, key, id, progressToken, request, outcome, stream);
    if (!s.hold(key, h)) {
      permits.release();
      finish(h, response(id, results.callResult(outcome)));
      return true;
    }
    stream.onClose(h::cancel);
    try {
      waiters.execute(() -> run(h, w));
    } catch (RejectedExecutionException e) {
      s.release(key, h);
      permits.release();
      finish(h, response(id, results.callResult(outcome)));
    }
    return true;
  }

  private void run(HeldCall h, ApprovalWatch w) {
    try {
      ApprovalRequest approval = h.first.approval();
      long sliceNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, settings.progressMillis()));
      long deadline =
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.approvalWaitMillis());
      int tick = 0;
      progress(h, tick, approval);
      while (true) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          finish(h, response(h.requestId, results.approvalRequired(approval, h.first.receiptId())));
          return;
        }
        Optional<ApprovalRequest> now;
        h.enterWait();
        try {
          now = w.await(approval.id(), Duration.ofNanos(Math.min(remaining, sliceNanos)));
        } finally {
          h.leaveWait();
        }
        if (h.isCancelled()) {
          return;
        }
        if (now.isEmpty()) {
          finish(h, response(h.requestId, results.approvalRequired(approval, h.first.receiptId())));
          return;
        }
        approval = now.get();
        switch (approval.state()) {
          case ApprovalRequest.APPROVED -> {
            finish(h, executeApproved(h));
            return;
          }
          case ApprovalRequest.REJECTED -> {
            finish(
                h, response(h.requestId, results.denied("approval_rejected", h.first.receiptId())));
            return;
          }
          case ApprovalRequest.PENDING -> progress(h, ++tick, approval);
          default -> {
            // expired or used up elsewhere: the agent gets the approval result to act on
            finish(
                h, response(h.requestId, results.approvalRequired(approval, h.first.receiptId())));
            return;
          }
        }
      }
    } catch (InterruptedException e) {
      LOG.debug("held call cancelled");
    } catch (IOException e) {
      LOG.debug("client left a held call");
    } catch (RuntimeException e) {
      LOG.warn("held call failed: {}", e.toString());
      try {
        finish(h, errorMessage(h.requestId, INTERNAL_ERROR, "Internal error"));
      } catch (IOException ignored) {
        // the stream is gone as well
      }
    } finally {
      h.session.release(h.requestKey, h);
      permits.release();
      h.stream.close();
    }
  }

  /** Runs the approved call again as the same session ({@link CallRequests#again}). */
  private ObjectNode executeApproved(HeldCall h) {
    ToolCallService service = tools.get();
    if (service == null) {
      return errorMessage(h.requestId, INTERNAL_ERROR, McpMethods.KERNEL_UNAVAILABLE);
    }
    ToolCallRequest again = CallRequests.again(h.request);
    ToolCallOutcome outcome = service.call(again);
    if (CallRequests.isUnknownTool(outcome)) {
      return errorMessage(
          h.requestId, INVALID_PARAMS, "Unknown tool: " + clip(again.toolId(), 256));
    }
    return response(h.requestId, results.callResult(outcome));
  }

  private void progress(HeldCall h, int tick, ApprovalRequest approval) throws IOException {
    if (h.progressToken == null) {
      h.stream.comment("waiting for approval");
      return;
    }
    ObjectNode n = F.objectNode();
    n.put("jsonrpc", "2.0");
    n.put("method", "notifications/progress");
    ObjectNode p = n.putObject("params");
    p.set("progressToken", h.progressToken);
    p.put("progress", tick);
    p.put(
        "message",
        "Waiting for a human to approve "
            + approval.toolId()
            + " in Briefcase (approval "
            + approval.id()
            + ")");
    h.stream.send(JSON.writeValueAsString(n));
  }

  private void finish(HeldCall h, ObjectNode message) throws IOException {
    try {
      if (!h.isCancelled()) {
        h.stream.send(JSON.writeValueAsString(message));
      }
    } finally {
      h.stream.close();
    }
  }

  /** Stops every waiting thread; cancel the held calls first (by closing their sessions). */
  @Override
  public void close() {
    waiters.shutdownNow();
  }
}
