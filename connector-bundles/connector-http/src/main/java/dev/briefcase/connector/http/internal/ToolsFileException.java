package dev.briefcase.connector.http.internal;

import dev.briefcase.error.BriefcaseException;

/**
 * A tool description file (or the OpenAPI document it names) that cannot be used. The connector
 * then offers no tool at all. The message is one line and names the place, never file content
 * beyond an id or a JSON pointer.
 */
final class ToolsFileException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The file is not configured, not an absolute path, missing, unreadable or too large. */
  static final String UNREADABLE = "tools_file_unreadable";

  /** The file is not JSON, or a member is missing, unknown or of the wrong type. */
  static final String INVALID = "tools_file_invalid";

  /**
   * {@code base_url} is not https (or loopback http in dev mode) or has userinfo/query/fragment.
   */
  static final String BASE_URL_INVALID = "base_url_invalid";

  /** A tool's id, method, path, query names or schema do not fit together. */
  static final String TOOL_INVALID = "tool_invalid";

  /** Two tools have one id. */
  static final String TOOL_DUPLICATE = "tool_duplicate";

  /** A credential need names an invalid strategy, reference or option. */
  static final String CREDENTIAL_INVALID = "credential_need_invalid";

  /** The OpenAPI document is missing, unreadable or too large. */
  static final String OPENAPI_UNREADABLE = "openapi_unreadable";

  /** The OpenAPI document is not a usable OpenAPI 3.0/3.1 document for the chosen operations. */
  static final String OPENAPI_INVALID = "openapi_invalid";

  /** An operation id listed in the file is not in the document. */
  static final String OPENAPI_UNKNOWN_OPERATION = "openapi_unknown_operation";

  /** A {@code $ref} points outside the document; it is never fetched. */
  static final String OPENAPI_REMOTE_REF = "openapi_remote_ref";

  /** A local {@code $ref} does not resolve, is cyclic or nests too deeply. */
  static final String OPENAPI_REF_INVALID = "openapi_ref_invalid";

  /**
   * A tool's input schema serializes to more than 1 MiB (an imported one after its {@code $ref}s
   * are inlined).
   */
  static final String INPUT_SCHEMA_TOO_LARGE = "input_schema_too_large";

  ToolsFileException(String code, String message) {
    super(code, code + ": " + message.replaceAll("[\\r\\n\\t]+", " "));
  }
}
