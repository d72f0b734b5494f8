package dev.briefcase.policy;

/** A refused policy text or compilation, with a stable code such as {@code invalid_cedar}. */
public class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public PolicyException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
