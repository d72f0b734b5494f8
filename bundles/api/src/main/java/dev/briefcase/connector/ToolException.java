package dev.briefcase.connector;

/**
 * A tool call failed. The message reaches the caller: one line, no secrets, no raw upstream body.
 */
public class ToolException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Code for a connector or backend that is gone or shutting down. */
  public static final String BACKEND_UNAVAILABLE = "backend_unavailable";

  private final String code;

  public ToolException(String code, String message) {
    super(message);
    this.code = code;
  }

  /** A stable, machine-readable code such as {@value #BACKEND_UNAVAILABLE}. */
  public String code() {
    return code;
  }

  public static ToolException unavailable(String what) {
    return new ToolException(BACKEND_UNAVAILABLE, BACKEND_UNAVAILABLE + ": " + what);
  }
}
