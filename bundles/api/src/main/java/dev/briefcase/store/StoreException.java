package dev.briefcase.store;

import dev.briefcase.error.BriefcaseException;

/**
 * The database failed; callers fail closed. The message carries no row data. Its code is always
 * {@value #STORAGE_FAILED}.
 */
public class StoreException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The one code of a database failure. */
  public static final String STORAGE_FAILED = "storage_failed";

  public StoreException(String message, Throwable cause) {
    super(STORAGE_FAILED, message, cause);
  }
}
