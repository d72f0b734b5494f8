package dev.briefcase.error;

/**
 * The base of every Briefcase exception: a refusal or failure with a stable, machine-readable code
 * (SPEC.md) and a one-line message. Each family ({@code ToolException}, {@code KeyException},
 * {@code PluginException}, …) extends it and declares the codes it raises as constants; the codes
 * several families share are declared here.
 *
 * <p>Unchecked on purpose. Codes are turned into an answer once at each edge — the admin API's
 * status table, the MCP gateway's JSON-RPC errors, the CLI's exit codes, the console's flash line —
 * and the tool-call pipeline's last resort catches everything, so nothing in between gains from the
 * compiler forcing a catch; a mix of checked and unchecked families only forced per-type catch
 * ladders that all did the same thing. Methods still name the family they throw in their {@code
 * throws} clause as documentation.
 *
 * <p>{@link #code()} is never null: a family built without a code reports {@value #INTERNAL_ERROR}.
 * The message reaches callers as it is (HTTP bodies, tool results, console lines), so it must never
 * carry a secret, key material, a token, a payment proof or a request body; whoever throws is
 * responsible for that. Instances are immutable and safe to share between threads.
 */
public class BriefcaseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure with no more specific code; also what a missing code becomes. */
  public static final String INTERNAL_ERROR = "internal_error";

  /** A service, plugin or backend that is missing, stopped or shutting down. */
  public static final String BACKEND_UNAVAILABLE = "backend_unavailable";

  /** The input is malformed or out of range; nothing was changed. */
  public static final String INVALID_REQUEST = "invalid_request";

  /** The thing named does not exist. */
  public static final String NOT_FOUND = "not_found";

  private final String code;

  /**
   * @param code the stable code; {@code null} or blank becomes {@value #INTERNAL_ERROR}
   * @param message one line without secrets
   */
  protected BriefcaseException(String code, String message) {
    super(message);
    this.code = orInternal(code);
  }

  /**
   * @param code the stable code; {@code null} or blank becomes {@value #INTERNAL_ERROR}
   * @param message one line without secrets
   * @param cause the underlying failure, for logs only; it never reaches a caller
   */
  protected BriefcaseException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = orInternal(code);
  }

  /** The stable, machine-readable code; never null. */
  public final String code() {
    return code;
  }

  private static String orInternal(String code) {
    return code == null || code.isBlank() ? INTERNAL_ERROR : code;
  }
}
