package dev.briefcase.connector;

/**
 * The call tried to reach something its manifest does not allow (network, filesystem, limits). The
 * kernel answers {@code denied/sandbox_violation:<message>} and writes a deny receipt.
 */
public class SandboxViolationException extends ToolException {
  private static final long serialVersionUID = 1L;

  public SandboxViolationException(String message) {
    super(SANDBOX_VIOLATION, message);
  }
}
