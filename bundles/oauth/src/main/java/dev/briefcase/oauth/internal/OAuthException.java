package dev.briefcase.oauth.internal;

/**
 * A refused or failed OAuth step with a stable code (SPEC §8.3, §9, §15). The message is one line
 * and never carries a token, code, verifier or proof; no cause is attached when the cause could
 * quote a response body.
 */
public final class OAuthException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  OAuthException(String code, String message) {
    super(message);
    this.code = code;
  }

  OAuthException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The stable error code, e.g. {@code oauth_state_mismatch}. */
  public String code() {
    return code;
  }

  @Override
  public String toString() {
    return "OAuthException[" + code + "]: " + getMessage();
  }
}
