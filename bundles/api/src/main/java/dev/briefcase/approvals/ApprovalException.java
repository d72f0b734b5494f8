package dev.briefcase.approvals;

/** A refused approval decision, with a stable code from SPEC §4. */
public class ApprovalException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public ApprovalException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
