package dev.briefcase.connector.http.internal;

import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One HTTP tool as loaded: its spec and how a call becomes a request. The path is kept as segments;
 * a segment {@code {name}} is a parameter that takes the argument of that name as one whole
 * segment. Immutable.
 *
 * @param spec what the kernel sees
 * @param method GET, POST, PUT, PATCH or DELETE
 * @param base the file's base URL
 * @param segments the path after the base, split at {@code /} (the first element is empty)
 * @param query the arguments sent as query parameters
 * @param maxResponseBytes the tool's own response cap
 */
record HttpTool(
    ToolSpec spec,
    String method,
    BaseUrl base,
    List<String> segments,
    List<String> query,
    long maxResponseBytes) {

  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");
  static final long MAX_RESPONSE_CEILING = 4L << 20;
  static final long DEFAULT_MAX_RESPONSE_BYTES = 1L << 20;

  private static final String ID = "[A-Za-z0-9_-]{1,64}";
  private static final String PARAMETER = "\\{([A-Za-z0-9_.-]{1,64})\\}";

  // RFC 3986 pchar without '%': a literal segment of the template is sent as written.
  private static final String LITERAL = "[A-Za-z0-9\\-._~!$&'()*+,;=:@]+";

  HttpTool {
    segments = List.copyOf(segments);
    query = List.copyOf(query);
  }

  /** Checks that id, method, path, query and schema fit together; every refusal is TOOL_INVALID. */
  @SuppressWarnings("unchecked")
  static HttpTool define(
      String id,
      String name,
      String description,
      String method,
      String path,
      List<String> query,
      Map<String, Object> inputSchema,
      String category,
      long costMicroUsd,
      long maxResponseBytes,
      CredentialNeed credential,
      BaseUrl base) {
    if (id == null || !id.matches(ID)) {
      throw invalid("a tool id must match " + ID);
    }
    if (method == null || !METHODS.contains(method)) {
      throw invalid(id + ": method must be one of " + METHODS);
    }
    if (path == null || !path.startsWith("/") || path.length() > 1024) {
      throw invalid(id + ": path must start with /");
    }
    List<String> segments = List.of(path.split("/", -1));
    Set<String> pathNames = new LinkedHashSet<>();
    for (String segment : segments.subList(1, segments.size())) {
      if (segment.matches(PARAMETER)) {
        if (!pathNames.add(parameterName(segment))) {
          throw invalid(id + ": path names a parameter twice");
        }
      } else if (!segment.isEmpty()
          && (!segment.matches(LITERAL) || segment.equals(".") || segment.equals(".."))) {
        throw invalid(id + ": path segments are literal pchars or one whole {parameter}");
      }
    }
    if (inputSchema == null || !"object".equals(inputSchema.get("type"))) {
      throw invalid(id + ": input_schema must be a JSON Schema of type object");
    }
    Object props = inputSchema.get("properties");
    Map<String, Object> properties = props instanceof Map ? (Map<String, Object>) props : Map.of();
    Object req = inputSchema.get("required");
    List<Object> required = req instanceof List ? (List<Object>) req : List.of();
    for (String p : pathNames) {
      // the kernel's schema check then guarantees every path parameter at call time
      if (!properties.containsKey(p) || !required.contains(p)) {
        throw invalid(id + ": path parameter " + p + " must be a required property");
      }
    }
    Set<String> seen = new HashSet<>();
    for (String q : query) {
      if (q == null || !properties.containsKey(q) || pathNames.contains(q) || !seen.add(q)) {
        throw invalid(id + ": each query name must be a property, once, and not in the path");
      }
    }
    if (maxResponseBytes < 1 || maxResponseBytes > MAX_RESPONSE_CEILING) {
      throw invalid(id + ": max_response_bytes must be 1.." + MAX_RESPONSE_CEILING);
    }
    if (costMicroUsd < 0) {
      throw invalid(id + ": cost_micro_usd must not be negative");
    }
    ToolSpec spec;
    try {
      if (!SchemaSize.within(inputSchema, SchemaSize.MAX_INPUT_SCHEMA_BYTES)) {
        throw new ToolsFileException(
            ToolsFileException.INPUT_SCHEMA_TOO_LARGE,
            id + ": input_schema is larger than " + SchemaSize.MAX_INPUT_SCHEMA_BYTES + " bytes");
      }
      spec =
          new ToolSpec(
              id,
              name == null ? id : name,
              description == null ? "" : description,
              inputSchema,
              null,
              category == null ? (method.equals("GET") ? ToolSpec.READ : ToolSpec.WRITE) : category,
              costMicroUsd,
              OutputFirewall.allowAll(),
              credential);
    } catch (IllegalArgumentException e) {
      throw invalid(id + ": input_schema is not a JSON tree");
    }
    return new HttpTool(spec, method, base, new ArrayList<>(segments), query, maxResponseBytes);
  }

  /** The argument name of a {@code {name}} segment, or null for a literal segment. */
  static String parameterName(String segment) {
    return segment.matches(PARAMETER) ? segment.substring(1, segment.length() - 1) : null;
  }

  private static ToolsFileException invalid(String message) {
    return new ToolsFileException(ToolsFileException.TOOL_INVALID, message);
  }
}
