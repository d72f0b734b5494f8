package dev.briefcase.tools;

import java.time.Duration;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Lets a caller that was told {@code approval_required} wait for a human's decision without being
 * able to make one. The MCP gateway uses it to hold a call open (SPEC §10). Provided by the kernel;
 * thread-safe.
 */
@ProviderType
public interface ApprovalWatch {

  /**
   * Waits until the approval leaves {@code pending} or the timeout elapses, whichever is first.
   *
   * @return the approval in its state at that moment (still {@code pending} on timeout), or empty
   *     when no approval has this id
   * @throws InterruptedException when the waiting thread is interrupted
   */
  Optional<ApprovalRequest> await(String approvalId, Duration timeout) throws InterruptedException;
}
