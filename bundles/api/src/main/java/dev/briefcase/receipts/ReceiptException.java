package dev.briefcase.receipts;

import dev.briefcase.error.BriefcaseException;

/**
 * A receipt could not be made durable; whatever asked for it must not report success. Its code is
 * always {@value #RECEIPT_FAILED}.
 */
public class ReceiptException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The one code of a receipt that could not be written. */
  public static final String RECEIPT_FAILED = "receipt_failed";

  public ReceiptException(String message, Throwable cause) {
    super(RECEIPT_FAILED, message, cause);
  }
}
