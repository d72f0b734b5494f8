package dev.briefcase.receipts.internal;

import dev.briefcase.error.BriefcaseException;

/**
 * The configured receipt durability is not allowed here: {@code process} in the {@code ga} profile,
 * or a value that names no mode. The receipt log does not activate.
 */
public final class ReceiptDurabilityRefused extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The one code of this refusal. */
  public static final String CODE = "receipt_durability_refused";

  ReceiptDurabilityRefused(String message) {
    super(CODE, message);
  }
}
