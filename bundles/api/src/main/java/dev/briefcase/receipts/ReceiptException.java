package dev.briefcase.receipts;

/** A receipt could not be made durable; whatever asked for it must not report success. */
public class ReceiptException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ReceiptException(String message, Throwable cause) {
    super(message, cause);
  }
}
