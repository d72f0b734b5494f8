package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** The kernel requests of a {@code tools/call}: the first attempt and its re-run after approval. */
final class CallRequests {
  private CallRequests() {}

  /** The call as the agent sent it, on behalf of the session's kernel principal. */
  static ToolCallRequest first(
      Session s, String toolId, JsonNode args, String approvalToken, String argsDefect) {
    return new ToolCallRequest(
        toolId,
        args,
        new CallContext(requestId(), null, s.kernelId(), "mcp"),
        approvalToken,
        argsDefect);
  }

  /**
   * The approved call again, as the same session and without a token: the kernel matches the
   * approval this principal obtained for exactly this call and consumes it once. The approval id is
   * never a token, and the gateway never holds one (SPEC §4 Δ 2026-12).
   */
  static ToolCallRequest again(ToolCallRequest r) {
    return new ToolCallRequest(
        r.toolId(),
        r.args(),
        new CallContext(
            requestId(), r.context().agentId(), r.context().sessionId(), r.context().surface()),
        null,
        r.argsDefect());
  }

  /** The kernel's answer for a tool id it does not know; the agent gets JSON-RPC -32602. */
  static boolean isUnknownTool(ToolCallOutcome o) {
    return o.status() == ToolCallOutcome.Status.DENIED && "unknown_tool".equals(o.reason());
  }

  /** A random (version 4) UUID for tracing; not a secret, so no SecureRandom on the fast path. */
  private static String requestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(hi, lo).toString();
  }
}
