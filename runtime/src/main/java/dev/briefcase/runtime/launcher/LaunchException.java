package dev.briefcase.runtime.launcher;

/**
 * A start-up failure with a one-line, secret-free message meant for the operator, and the exit code
 * the {@code briefcase} command returns for it.
 */
public final class LaunchException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  /** A failure that exits with code 1. */
  public LaunchException(String message) {
    this(message, 1, null);
  }

  /** A failure that exits with code 1, keeping its cause for debugging. */
  public LaunchException(String message, Throwable cause) {
    this(message, 1, cause);
  }

  /** A failure with an explicit exit code. */
  public LaunchException(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** The process exit code for this failure. */
  public int exitCode() {
    return exitCode;
  }
}
