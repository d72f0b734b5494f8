package dev.briefcase.payhelper;

/**
 * A refusal with a stable code (PAYMENTS §3). The message is one line and never carries a secret:
 * it is printed on stdout for the kernel.
 */
public final class HelperException extends Exception {
  private static final long serialVersionUID = 1L;

  public static final String REQUEST_INVALID = "payment_request_invalid";
  public static final String LIMIT_EXCEEDED = "payment_limit_exceeded";
  public static final String ASSET_NOT_ALLOWED = "payment_asset_not_allowed";
  public static final String NETWORK_NOT_ALLOWED = "payment_network_not_allowed";
  public static final String KEY_UNAVAILABLE = "payment_key_unavailable";
  public static final String NODE_FAILED = "payment_node_failed";
  public static final String IDEMPOTENCY_CONFLICT = "payment_idempotency_conflict";
  public static final String INVOICE_INVALID = "payment_invoice_invalid";
  public static final String INVOICE_EXPIRED = "payment_invoice_expired";
  public static final String INVOICE_NETWORK = "payment_invoice_network";
  public static final String PREIMAGE_MISMATCH = "payment_preimage_mismatch";

  private final String code;

  public HelperException(String code, String message) {
    super(message);
    this.code = code;
  }

  public HelperException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The stable code. */
  public String code() {
    return code;
  }
}
