package dev.briefcase.runtime.mcp;

import java.io.PrintStream;

/**
 * The bridge's log: standard error only, one line per entry, prefixed {@code briefcase mcp:}.
 * Entries name methods, statuses and timings, never message bodies or tokens. Thread-safe.
 */
public final class BridgeLog {
  private final PrintStream err;
  private final boolean verbose;

  /**
   * @param err where log lines go (standard error in production)
   * @param verbose whether {@link #verbose} entries (method names and timings) are written
   */
  public BridgeLog(PrintStream err, boolean verbose) {
    this.err = err;
    this.verbose = verbose;
  }

  /** Writes one line. */
  public void info(String message) {
    String line = "briefcase mcp: " + message.replace('\r', ' ').replace('\n', ' ');
    synchronized (err) {
      err.println(line);
      err.flush();
    }
  }

  /** Writes one line with {@code --verbose} only. */
  public void verbose(String message) {
    if (verbose) {
      info(message);
    }
  }

  boolean isVerbose() {
    return verbose;
  }
}
