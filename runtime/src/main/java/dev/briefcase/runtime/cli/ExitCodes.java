package dev.briefcase.runtime.cli;

/** Exit codes of the {@code briefcase} command; scripts may rely on them. */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;

  /** An error, or a denied tool call. */
  public static final int ERROR = 1;

  /** Bad command-line usage. */
  public static final int USAGE = 2;

  /** The tool call needs a human approval first. */
  public static final int APPROVAL_REQUIRED = 3;

  /** The kernel is not running or cannot be reached. */
  public static final int NOT_RUNNING = 4;

  /** Receipt chain verification failed. */
  public static final int CHAIN_BROKEN = 5;

  /** {@code provider check}: at least one contract check failed. */
  public static final int CONTRACT_FAILED = 6;

  private ExitCodes() {}
}
