package dev.briefcase.signer;

/** A signer refused or failed, with a stable code such as {@code unknown_handle}. */
public class SignerException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public SignerException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
