package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.ApprovalWatch;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.Provenance;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolSpec;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Fakes of the kernel services the gateway uses. */
final class Fakes {
  private Fakes() {}

  static final JsonNodeFactory F = JsonNodeFactory.instance;

  static ToolSpec spec(String id) {
    return new ToolSpec(
        id,
        id + " title",
        "does " + id,
        java.util.Map.of("type", "object"),
        null,
        "read",
        0,
        OutputFirewall.allowAll());
  }

  static ApprovalRequest approval(String id, String state) {
    ObjectNode summary = F.objectNode();
    summary.put("tool_id", "note_add");
    return new ApprovalRequest(
        id,
        Instant.parse("2026-01-01T00:00:00Z"),
        Instant.parse("2026-01-01T00:10:00Z"),
        "note_add",
        "policy_requires_approval",
        ApprovalRequest.LOCAL,
        state,
        "ab".repeat(32),
        summary,
        null);
  }

  static ToolCallOutcome ok(JsonNode content, long receipt) {
    return ToolCallOutcome.ok(
        content, new Provenance("local:echo", new BigDecimal("0.25"), Instant.EPOCH, receipt));
  }

  /** A kernel whose answers a test decides; records every request. */
  static final class Tools implements ToolCallService {
    final List<ToolCallRequest> calls = new ArrayList<>();
    volatile Function<ToolCallRequest, ToolCallOutcome> answer;

    Tools(Function<ToolCallRequest, ToolCallOutcome> answer) {
      this.answer = answer;
    }

    @Override
    public List<ToolSpec> listTools() {
      return List.of(spec("echo"), spec("note_add"));
    }

    @Override
    public ToolCallOutcome call(ToolCallRequest request) {
      synchronized (calls) {
        calls.add(request);
      }
      return answer.apply(request);
    }

    List<ToolCallRequest> calls() {
      synchronized (calls) {
        return new ArrayList<>(calls);
      }
    }
  }

  /** An approval watch fed with decisions; without one it reports "pending" after the timeout. */
  static final class Watch implements ApprovalWatch {
    final LinkedBlockingQueue<String> decisions = new LinkedBlockingQueue<>();

    @Override
    public Optional<ApprovalRequest> await(String approvalId, Duration timeout)
        throws InterruptedException {
      String state = decisions.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return Optional.of(approval(approvalId, state == null ? ApprovalRequest.PENDING : state));
    }
  }
}
