package dev.briefcase.store;

/** The database failed; callers fail closed. The message carries no row data. */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
