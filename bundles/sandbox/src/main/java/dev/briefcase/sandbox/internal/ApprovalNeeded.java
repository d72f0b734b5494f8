package dev.briefcase.sandbox.internal;

/**
 * The guest called {@code request_approval} in a call that carries no human approval. Unwinds the
 * interpreter like a {@link Violation}; {@link WasmTool} turns it into {@link
 * dev.briefcase.connector.ApprovalRequiredException}, so the kernel asks a human for exactly this
 * call.
 */
final class ApprovalNeeded extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ApprovalNeeded(String summary) {
    super(summary, null, false, false);
  }
}
