package dev.briefcase.connector;

/**
 * The tool asks for a human approval of the current call before it goes on (SPEC §11 {@code
 * request_approval}). Thrown by {@link Connector#execute} only when {@link
 * ToolInvocation#approved()} is false; the kernel then creates a local approval bound to exactly
 * this call (tool id and call hash) with reason {@value #REASON}, receipts it and answers {@code
 * approval_required}. A retry with the approved token runs the call again with {@link
 * ToolInvocation#approvalId()} set. Nothing is ever approved by the tool itself.
 */
public class ApprovalRequiredException extends ToolException {
  private static final long serialVersionUID = 1L;

  /** The approval reason the kernel records. */
  public static final String REASON = "tool_requested_approval";

  private final String summary;

  /**
   * @param summary what the approver is shown (one line, at most 200 characters are kept); must not
   *     contain secrets
   */
  public ApprovalRequiredException(String summary) {
    super(APPROVAL_REQUIRED, REASON);
    String s = summary == null ? "" : summary.replaceAll("[\\r\\n\\t]+", " ").strip();
    this.summary = s.length() <= 200 ? s : s.substring(0, 200);
  }

  /** What the tool wants the approver to see, one line. */
  public String summary() {
    return summary;
  }
}
