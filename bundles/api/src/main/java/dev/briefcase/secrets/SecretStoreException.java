package dev.briefcase.secrets;

/**
 * The secret store refused or failed. Codes: {@code secret_store_unavailable}, {@code
 * wrong_passphrase}, {@code secret_tampered}, {@code invalid_secret_id}, {@code
 * invalid_secret_backend}. Messages never contain secret material.
 */
public class SecretStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;

  public SecretStoreException(String code, String message) {
    super(message);
    this.code = code;
  }

  public SecretStoreException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
