package dev.briefcase.sandbox.internal;

/**
 * A limit breach raised inside the interpreter (from the meter or a host function). Unchecked so it
 * can unwind through Chicory's frames; {@link WasmTool} turns it into a {@link
 * dev.briefcase.connector.SandboxViolationException} with the same one-line message.
 */
final class Violation extends RuntimeException {
  private static final long serialVersionUID = 1L;

  Violation(String message) {
    super(message, null, false, false);
  }
}
