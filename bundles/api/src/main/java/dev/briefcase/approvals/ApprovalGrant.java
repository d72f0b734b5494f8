package dev.briefcase.approvals;

import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.ApprovalRequest;
import java.util.Objects;

/**
 * An approval together with the token that lets its requester run the approved call (SPEC §4 Δ
 * 2026-12). The token is a fresh random value (256 bits, b64url); the kernel keeps only its hash,
 * so this is the only time it can be read. It is bound to the principal that asked for the
 * approval: anyone else presenting it is refused with {@code invalid_or_expired_approval}. Show it
 * to the approver only, never log it.
 *
 * @param request the approval after the decision
 * @param token the approval token; prints as {@code [REDACTED]}
 */
public record ApprovalGrant(ApprovalRequest request, Sensitive<String> token) {
  public ApprovalGrant {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(token, "token");
  }
}
