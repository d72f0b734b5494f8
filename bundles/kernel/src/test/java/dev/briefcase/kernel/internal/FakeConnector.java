package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.SandboxViolationException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Tools that exercise the pipeline's edges: an admin tool, a paid tool, failures. */
class FakeConnector implements Connector {
  static final String OPEN = "{\"type\":\"object\",\"additionalProperties\":true}";
  static final String SYMBOL =
      "{\"type\":\"object\",\"properties\":{\"symbol\":{\"type\":\"string\",\"minLength\":1,"
          + "\"maxLength\":16}},\"required\":[\"symbol\"],\"additionalProperties\":false}";

  final AtomicInteger executions = new AtomicInteger();
  volatile Map<String, Object> lastArgs;

  /** Whether the {@code mutate} tool found its arguments unmodifiable. */
  volatile boolean mutationRefused;

  @Override
  public List<ToolSpec> tools() {
    return List.of(
        spec("wipe", ToolSpec.ADMIN, 0, OPEN, OutputFirewall.allowAll()),
        spec(
            "quote",
            ToolSpec.READ,
            2000,
            SYMBOL,
            OutputFirewall.allowPaths("symbol", "price", "ts")),
        spec("boom", ToolSpec.READ, 0, OPEN, OutputFirewall.allowAll()),
        spec("escape", ToolSpec.READ, 0, OPEN, OutputFirewall.allowAll()),
        spec("mutate", ToolSpec.READ, 0, OPEN, OutputFirewall.allowAll()),
        spec("gated", ToolSpec.READ, 0, OPEN, OutputFirewall.allowAll()));
  }

  private static ToolSpec spec(
      String id, String category, long cost, String schema, OutputFirewall fw) {
    return new ToolSpec(
        id, id, "test tool " + id, Fixture.object(schema), null, category, cost, fw);
  }

  @Override
  public ToolResult execute(ToolInvocation call) throws ToolException {
    executions.incrementAndGet();
    lastArgs = call.args();
    ObjectNode out = CanonicalJson.MAPPER.createObjectNode();
    switch (call.toolId()) {
      case "quote" -> {
        if ("FAIL".equals(call.args().get("symbol"))) {
          throw new ToolException("upstream_failed", "upstream said no after billing");
        }
        out.put("symbol", (String) call.args().get("symbol"));
        out.put("price", 12.5);
        out.put("ts", "2026-11-27T10:00:00Z");
        out.put("secret", "CANARY-upstream-field");
        return ToolResult.of(PlainJson.object(out), "provider:demo");
      }
      case "boom" -> throw new IllegalStateException("kaboom with details nobody should see");
      case "escape" -> throw new SandboxViolationException("egress to 169.254.169.254 refused");
      case "gated" -> {
        if (!call.approved()) {
          throw new dev.briefcase.connector.ApprovalRequiredException("send the report to bob");
        }
        out.put("approval_id", call.approvalId());
        return ToolResult.of(PlainJson.object(out), "local:gated");
      }
      case "mutate" -> {
        try {
          call.args().put("injected", true);
        } catch (UnsupportedOperationException expected) {
          mutationRefused = true;
        }
        out.put("ok", true);
        return ToolResult.of(PlainJson.object(out), "local:mutate");
      }
      default -> {
        out.put("ok", true);
        return ToolResult.of(PlainJson.object(out), "local:" + call.toolId());
      }
    }
  }
}
