package dev.briefcase.kernel.internal;

import dev.briefcase.payment.PaymentApprovalRequiredException;

/**
 * A payment over the call's budget, with the terms the approver is shown. The pipeline stores the
 * terms in the approval's summary ({@code payment}), and the approved retry may pay at most that
 * amount, to that provider, on that rail: an approval is never a blank cheque for whatever the
 * provider asks next.
 */
final class PaymentOverBudgetException extends PaymentApprovalRequiredException {
  private static final long serialVersionUID = 1L;

  private final transient CallsInFlight.ApprovedPayment terms;

  PaymentOverBudgetException(String summary, CallsInFlight.ApprovedPayment terms) {
    super(summary);
    this.terms = terms;
  }

  CallsInFlight.ApprovedPayment terms() {
    return terms;
  }
}
