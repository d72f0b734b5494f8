package dev.briefcase.kernel.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The deterministic approval summary of SPEC §20, at most 512 characters: {@code Approve <category>
 * tool call: <id> | reason=<r> | approval=<kind> | access=net:<yes|no> fs:<yes|no>} plus {@code |
 * estimated_cost_usd=<4dp>} when the call costs something.
 */
final class CopilotSummary {
  static final int MAX_CHARS = 512;

  private CopilotSummary() {}

  static String of(
      String category,
      String toolId,
      String reason,
      String kind,
      boolean net,
      boolean fs,
      long costMicroUsd) {
    StringBuilder s =
        new StringBuilder()
            .append("Approve ")
            .append(category)
            .append(" tool call: ")
            .append(toolId)
            .append(" | reason=")
            .append(reason)
            .append(" | approval=")
            .append(kind)
            .append(" | access=net:")
            .append(net ? "yes" : "no")
            .append(" fs:")
            .append(fs ? "yes" : "no");
    if (costMicroUsd > 0) {
      s.append(" | estimated_cost_usd=")
          .append(BigDecimal.valueOf(costMicroUsd, 6).setScale(4, RoundingMode.HALF_UP));
    }
    String out = s.toString().replaceAll("[\\r\\n]+", " ");
    return out.length() <= MAX_CHARS ? out : out.substring(0, MAX_CHARS);
  }
}
