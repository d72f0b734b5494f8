package dev.briefcase.keys;

/**
 * A key operation was refused or failed, with a stable code: {@code invalid_role}, {@code
 * invalid_algorithm}, {@code invalid_backend}, {@code key_exists}, {@code key_not_found}, {@code
 * backend_unavailable}, {@code software_keys_refused}, {@code unsupported_algorithm}, or a signer's
 * own code. The message never carries key material.
 */
public class KeyException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public KeyException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
