package dev.briefcase.provider.oauth.internal;

/**
 * A refused OAuth request: an RFC 6749 (or RFC 7591, RFC 8707, RFC 9449) {@code error} code, the
 * HTTP status and a one-line description that never repeats a code, verifier, token or proof.
 */
final class OAuthError extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final int status;

  OAuthError(String code, int status, String description) {
    super(description, null, false, false);
    this.code = code;
    this.status = status;
  }

  static OAuthError invalidRequest(String description) {
    return new OAuthError("invalid_request", 400, description);
  }

  static OAuthError invalidGrant(String description) {
    return new OAuthError("invalid_grant", 400, description);
  }

  /** The RFC error code. */
  String code() {
    return code;
  }

  int status() {
    return status;
  }
}
