package dev.briefcase.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The answer to a tool call, tagged by {@link Status} (SPEC §2). Only the fields of the status are
 * set; the others are {@code null}. Results have already passed the output firewall; messages are
 * one line, at most 200 characters and free of secrets.
 *
 * @param status the tag
 * @param content the (firewalled) result for {@link Status#OK}
 * @param provenance where the result came from, for {@link Status#OK}
 * @param approval the approval to ask a human for, for {@link Status#APPROVAL_REQUIRED}
 * @param reason the stable deny code, for {@link Status#DENIED}
 * @param message the error message, for {@link Status#ERROR}
 * @param receiptId the receipt of this attempt
 */
public record ToolCallOutcome(
    Status status,
    JsonNode content,
    Provenance provenance,
    ApprovalRequest approval,
    String reason,
    String message,
    long receiptId) {

  /** The tag of an outcome; {@link #wire()} is its JSON form. */
  public enum Status {
    OK("ok"),
    APPROVAL_REQUIRED("approval_required"),
    DENIED("denied"),
    ERROR("error");

    private final String wire;

    Status(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  public ToolCallOutcome {
    Objects.requireNonNull(status, "status");
  }

  public static ToolCallOutcome ok(JsonNode content, Provenance provenance) {
    return new ToolCallOutcome(
        Status.OK, content, provenance, null, null, null, provenance.receiptId());
  }

  public static ToolCallOutcome approvalRequired(ApprovalRequest approval, long receiptId) {
    return new ToolCallOutcome(
        Status.APPROVAL_REQUIRED, null, null, approval, approval.reason(), null, receiptId);
  }

  public static ToolCallOutcome denied(String reason, long receiptId) {
    return new ToolCallOutcome(Status.DENIED, null, null, null, reason, null, receiptId);
  }

  public static ToolCallOutcome error(String message, long receiptId) {
    return new ToolCallOutcome(Status.ERROR, null, null, null, null, message, receiptId);
  }
}
