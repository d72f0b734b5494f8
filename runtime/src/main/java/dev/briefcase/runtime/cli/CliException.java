package dev.briefcase.runtime.cli;

/**
 * Ends a command with a message for standard error and an exit code from {@link ExitCodes}. The
 * message is one line and never contains the admin token.
 */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  /** A failure with {@code exitCode}; {@code message} is printed as it is. */
  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** The process exit code. */
  public int exitCode() {
    return exitCode;
  }

  /** The "not running" failure (exit 4). */
  public static CliException notRunning() {
    return new CliException(
        ExitCodes.NOT_RUNNING, "briefcase: not running (start it with: briefcase start)");
  }
}
