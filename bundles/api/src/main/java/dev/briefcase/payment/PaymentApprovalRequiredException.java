package dev.briefcase.payment;

import dev.briefcase.connector.ApprovalRequiredException;

/**
 * A payment does not fit the call's budget (SPEC §5, §14.5): nothing was paid. A connector lets it
 * pass out of {@code execute}; the kernel then asks for a local approval with reason {@value
 * #BUDGET_EXCEEDED} bound to exactly this call, and the approved retry pays.
 */
public class PaymentApprovalRequiredException extends ApprovalRequiredException {
  private static final long serialVersionUID = 1L;

  /** The approval reason the kernel records. */
  public static final String BUDGET_EXCEEDED = "budget_exceeded";

  /**
   * @param summary what the approver is shown (rail, amount, provider); never a secret
   */
  public PaymentApprovalRequiredException(String summary) {
    super(summary);
  }
}
