package dev.briefcase.payhelper;

import java.util.Optional;

/** The payer's Lightning node: pays a BOLT11 invoice, and says what became of a payment hash. */
public interface LightningNode {
  /** What the node knows about a payment. */
  enum Status {
    SUCCEEDED,
    FAILED,
    IN_FLIGHT
  }

  /**
   * A payment as the node reports it.
   *
   * @param preimage 64 lowercase hex characters when {@link Status#SUCCEEDED}, else null
   */
  record Payment(Status status, String paymentHash, String preimage) {}

  /**
   * A node failure. {@code definite}: the node certainly did not pay (refused, unreachable before
   * sending); otherwise the payment may be in flight and must be resolved by {@link #lookup}, never
   * by paying again.
   */
  final class NodeException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean definite;

    public NodeException(String message, boolean definite) {
      super(message);
      this.definite = definite;
    }

    public boolean definite() {
      return definite;
    }
  }

  /**
   * Pays {@code bolt11} (whose hash is {@code paymentHash}) and returns the settled payment; an
   * invoice the node has paid before is looked up, not paid again.
   */
  Payment pay(String bolt11, String paymentHash) throws NodeException;

  /** The node's record of the payment with {@code paymentHash}, or empty when it has none. */
  Optional<Payment> lookup(String paymentHash) throws NodeException;
}
