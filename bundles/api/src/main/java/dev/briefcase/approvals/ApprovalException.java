package dev.briefcase.approvals;

import dev.briefcase.error.BriefcaseException;

/**
 * A refused approval decision, with a stable code from SPEC §4: one of the constants below or a
 * shared one ({@value #NOT_FOUND}, {@value #INVALID_REQUEST}).
 */
public class ApprovalException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The approval was already approved, denied, used or expired. */
  public static final String ALREADY_DECIDED = "already_decided";

  /** Approving needs a signer for the approval token, and none is available. */
  public static final String SIGNER_REQUIRED = "signer_required";

  /** The decision's receipt could not be written, so the decision was not made. */
  public static final String RECEIPT_FAILED = "receipt_failed";

  /** Too many approvals are pending for the caller. */
  public static final String TOO_MANY_PENDING = "too_many_pending_approvals";

  /** The caller asks for approvals faster than allowed. */
  public static final String RATE_LIMITED = "approval_rate_limited";

  public ApprovalException(String code, String message) {
    super(code, message);
  }
}
