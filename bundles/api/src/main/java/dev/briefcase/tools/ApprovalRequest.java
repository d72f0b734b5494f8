package dev.briefcase.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A request for a human to approve one exact tool call (SPEC §4). The approval binds the tool id
 * and {@code callHash = H(JCS({tool_id, args}))}. Its id names it in receipts, streams and logs and
 * is never accepted as an approval token (SPEC §4 Δ 2026-12).
 *
 * @param id a UUID
 * @param createdAt when it was created
 * @param expiresAt when it stops being usable (created + 10 min)
 * @param toolId the tool
 * @param reason why approval is needed, e.g. {@code policy_requires_approval}
 * @param kind {@link #LOCAL} or {@link #MOBILE_SIGNER}
 * @param state {@code pending}, {@code approved}, {@code rejected}, {@code expired} or {@code
 *     consumed}
 * @param callHash lowercase hex SHA-256 of the JCS form of {@code {tool_id, args}}
 * @param summary what the approver is shown: {@code args_hash} and {@code args_preview}, the
 *     canonical arguments with secrets redacted, truncated ({@code args_truncated})
 * @param decidedBy the surface that approved or rejected it, or {@code null}
 */
public record ApprovalRequest(
    String id,
    Instant createdAt,
    Instant expiresAt,
    String toolId,
    String reason,
    String kind,
    String state,
    String callHash,
    ObjectNode summary,
    String decidedBy) {
  public static final String LOCAL = "local";
  public static final String MOBILE_SIGNER = "mobile_signer";

  public static final String PENDING = "pending";
  public static final String APPROVED = "approved";
  public static final String REJECTED = "rejected";
  public static final String EXPIRED = "expired";
  public static final String CONSUMED = "consumed";
}
