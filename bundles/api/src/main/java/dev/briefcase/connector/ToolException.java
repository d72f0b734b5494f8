package dev.briefcase.connector;

import dev.briefcase.error.BriefcaseException;

/**
 * A tool call failed. The message reaches the caller: one line, no secrets, no raw upstream body.
 * Besides the shared codes ({@value #BACKEND_UNAVAILABLE}, {@value #NOT_FOUND}), the codes
 * connectors raise are declared here.
 */
public class ToolException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /**
   * The call tried to reach what its manifest does not allow ({@link SandboxViolationException}).
   */
  public static final String SANDBOX_VIOLATION = "sandbox_violation";

  /** The tool asks for a human approval first ({@link ApprovalRequiredException}). */
  public static final String APPROVAL_REQUIRED = "approval_required";

  /** The connector does not offer the tool it was asked to run. */
  public static final String UNKNOWN_TOOL = "unknown_tool";

  /** The call was interrupted before it finished. */
  public static final String INTERRUPTED = "interrupted";

  /** The connector was called after it was deactivated. */
  public static final String CALLED_AFTER_DEACTIVATION = "called_after_deactivation";

  /** The connector was deactivated while the call ran. */
  public static final String DEACTIVATED_DURING_CALL = "deactivated_during_call";

  /** A file tool could not read or write its file. */
  public static final String IO_ERROR = "io_error";

  /** A file tool was pointed at something that is not a regular file. */
  public static final String NOT_A_FILE = "not_a_file";

  /** A WebAssembly tool module is not valid. */
  public static final String WASM_MODULE_INVALID = "wasm_module_invalid";

  /** A WebAssembly tool produced output that is not valid. */
  public static final String WASM_OUTPUT_INVALID = "wasm_output_invalid";

  /** A tool failed for a reason it does not name more precisely. */
  public static final String TOOL_FAILED = "tool_failed";

  /** A WebAssembly tool failed while it ran. */
  public static final String WASM_RUNTIME_ERROR = "wasm_runtime_error";

  public ToolException(String code, String message) {
    super(code, message);
  }

  public static ToolException unavailable(String what) {
    return new ToolException(BACKEND_UNAVAILABLE, BACKEND_UNAVAILABLE + ": " + what);
  }
}
