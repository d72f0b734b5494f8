package dev.briefcase.runtime.mcp;

/** The kernel's MCP endpoint cannot be used; the message is one line without secrets. */
final class BridgeUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  BridgeUnavailableException(String message) {
    super(message);
  }
}
