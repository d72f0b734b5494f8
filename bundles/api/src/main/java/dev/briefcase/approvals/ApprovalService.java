package dev.briefcase.approvals;

import dev.briefcase.tools.ApprovalRequest;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Human decisions on approval requests (SPEC §4), provided by the kernel. Approval is idempotent;
 * an approval is consumed by the one call it was granted for. The approval id is not a token: a
 * requester that cannot retry as the same principal presents the token {@link #grant} issued.
 * Thread-safe.
 */
@ProviderType
public interface ApprovalService {

  /**
   * Pending requests, newest first, up to the sum of the per-door caps on pending requests (at
   * least 100), so every request the flood limits let in is listed; stale ones are expired as a
   * side effect. Each summary carries {@code args_preview} (the canonical arguments, secrets
   * redacted, truncated) and {@code args_truncated} beside {@code args_hash}.
   */
  List<ApprovalRequest> pending();

  /** Any request by id, in whatever state it is. */
  Optional<ApprovalRequest> get(String id);

  /**
   * Approves a pending request. {@code surface} is the actor: the granting surface, optionally with
   * the operator ({@code admin-api}, {@code console:alice}, {@code gogo:bob}); it is stored as
   * {@code decidedBy} and named in the one {@code approval_decision} receipt the service writes for
   * each decision (none for an idempotent repeat).
   *
   * @throws ApprovalException {@code invalid_request} when the actor is blank, {@code
   *     receipt_failed} when the receipt could not be written (the decision is then undone), {@code
   *     not_found} when unknown or expired, {@code signer_required} when only a paired signer may
   *     grant it, {@code already_decided} when it was rejected
   */
  ApprovalRequest approve(String id, String surface) throws ApprovalException;

  /**
   * Approves like {@link #approve} and issues a fresh approval token for the principal that asked;
   * the token is returned only here (the kernel keeps its hash). Granting an approval that is
   * already approved issues a new token and retires the previous one, without a second decision
   * receipt.
   *
   * @throws ApprovalException as {@link #approve}
   */
  ApprovalGrant grant(String id, String surface) throws ApprovalException;

  /**
   * Rejects a pending request, as {@link #approve} with the decision {@code denied}.
   *
   * @throws ApprovalException {@code invalid_request}, {@code receipt_failed}, {@code not_found} or
   *     {@code already_decided}
   */
  ApprovalRequest deny(String id, String surface) throws ApprovalException;

  /** Events with a sequence number greater than {@code afterSeq}, oldest first. */
  List<ApprovalEvent> eventsAfter(long afterSeq);

  /**
   * Registers a listener for new events until the returned handle is closed. The listener is called
   * on a kernel thread and must not block.
   */
  AutoCloseable subscribe(ApprovalListener listener);
}
