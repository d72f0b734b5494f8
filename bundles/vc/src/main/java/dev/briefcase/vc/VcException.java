package dev.briefcase.vc;

/**
 * A refused credential, DID, status entry or status list. {@link #code()} is a stable snake_case
 * error code (see the module README); the message is one line and never holds a token, a key or a
 * signature.
 */
public final class VcException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public VcException(String code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public VcException(String code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  /** The stable error code, e.g. {@code invalid_did} or {@code vc_expired}. */
  public String code() {
    return code;
  }
}
