package dev.briefcase.l402;

/**
 * A refused macaroon, identifier, challenge, authorization, invoice or preimage. {@link #code()} is
 * a stable snake_case error code (see the module README); the message is one line and never holds a
 * macaroon, a signature or a preimage.
 */
public final class L402Exception extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public L402Exception(String code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  /** The stable error code, e.g. {@code macaroon_invalid} or {@code invoice_expired}. */
  public String code() {
    return code;
  }
}
