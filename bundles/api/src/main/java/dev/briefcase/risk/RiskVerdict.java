package dev.briefcase.risk;

import java.util.List;

/**
 * An assessor's opinion.
 *
 * @param requireApproval whether a human should approve the call
 * @param reasons short reason codes such as {@code prompt_injection_signals}
 */
public record RiskVerdict(boolean requireApproval, List<String> reasons) {
  public static final RiskVerdict NONE = new RiskVerdict(false, List.of());

  public RiskVerdict {
    reasons = List.copyOf(reasons);
  }
}
