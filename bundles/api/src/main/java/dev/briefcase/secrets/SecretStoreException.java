package dev.briefcase.secrets;

import dev.briefcase.error.BriefcaseException;

/**
 * The secret store refused or failed, with one of the codes below. Messages never contain secret
 * material.
 */
public class SecretStoreException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The store (or the OS keyring behind it) cannot be reached or is not open. */
  public static final String SECRET_STORE_UNAVAILABLE = "secret_store_unavailable";

  /** The master passphrase does not open the store. */
  public static final String WRONG_PASSPHRASE = "wrong_passphrase";

  /** A stored value failed its integrity check. */
  public static final String SECRET_TAMPERED = "secret_tampered";

  /** The secret id is not allowed. */
  public static final String INVALID_SECRET_ID = "invalid_secret_id";

  /** The configured secret backend is unknown or refused. */
  public static final String INVALID_SECRET_BACKEND = "invalid_secret_backend";

  /** The value is larger than the store keeps. */
  public static final String SECRET_TOO_LARGE = "secret_too_large";

  public SecretStoreException(String code, String message) {
    super(code, message);
  }

  public SecretStoreException(String code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
