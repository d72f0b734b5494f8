package dev.briefcase.oauth.internal;

import dev.briefcase.error.BriefcaseException;

/**
 * A refused or failed OAuth step with a stable code (SPEC §8.3, §9, §15). The message is one line
 * and never carries a token, code, verifier or proof; no cause is attached when the cause could
 * quote a response body.
 */
public final class OAuthException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  OAuthException(String code, String message) {
    super(code, message);
  }

  OAuthException(String code, String message, Throwable cause) {
    super(code, message, cause);
  }

  @Override
  public String toString() {
    return "OAuthException[" + code() + "]: " + getMessage();
  }
}
