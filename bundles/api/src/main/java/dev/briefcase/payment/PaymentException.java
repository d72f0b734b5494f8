package dev.briefcase.payment;

import dev.briefcase.error.BriefcaseException;

/** A payment was refused or failed, with a stable code; the message holds no proof. */
public class PaymentException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  public PaymentException(String code, String message) {
    super(code, message);
  }
}
