package dev.briefcase.approvals;

import dev.briefcase.tools.ApprovalRequest;

/**
 * A change of an approval request, as the SSE stream sends it.
 *
 * @param seq a sequence number, increasing by one per event for the life of the process
 * @param type {@code approval.created}, {@code approval.approved}, {@code approval.rejected} or
 *     {@code approval.expired}
 * @param request the request after the change
 */
public record ApprovalEvent(long seq, String type, ApprovalRequest request) {}
