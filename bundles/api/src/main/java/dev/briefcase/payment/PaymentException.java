package dev.briefcase.payment;

/** A payment was refused or failed, with a stable code; the message holds no proof. */
public class PaymentException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String code;

  public PaymentException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
