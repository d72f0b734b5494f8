package dev.briefcase.approvals;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives approval events; see {@link ApprovalService#subscribe}. */
@ConsumerType
@FunctionalInterface
public interface ApprovalListener {
  void onEvent(ApprovalEvent event);
}
