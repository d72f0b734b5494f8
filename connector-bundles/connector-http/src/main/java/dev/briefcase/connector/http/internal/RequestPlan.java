package dev.briefcase.connector.http.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.ToolException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The request one call sends: the URL built from the tool's template and the arguments, and the
 * JSON body for POST, PUT and PATCH. Every argument value is percent-encoded except RFC 3986
 * unreserved characters, so a value can add neither a path segment, a query parameter nor a line to
 * the request; a path value that is empty, {@code .} or {@code ..} or holds {@code /} or {@code \}
 * is refused rather than encoded, since the egress layer refuses encoded separators anyway.
 *
 * @param uri the absolute URL
 * @param body the JSON body, or null for none
 */
record RequestPlan(URI uri, byte[] body) {

  /** A path argument is missing, empty, a dot segment, not a scalar, or holds a separator. */
  static final String INVALID_PATH_PARAMETER = "invalid_path_parameter";

  /** A query argument is an object or an array holding one. */
  static final String INVALID_QUERY_PARAMETER = "invalid_query_parameter";

  /** The path and query built from the arguments are longer than {@link #MAX_REQUEST_TARGET}. */
  static final String INVALID_REQUEST_TARGET = "invalid_request_target";

  /**
   * The longest request target (path and query, as on the request line) a call may send: servers
   * commonly refuse more, and a long list argument would otherwise grow the URL without bound.
   */
  static final int MAX_REQUEST_TARGET = 8 << 10;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  static RequestPlan build(HttpTool tool, Map<String, Object> args) throws ToolException {
    Map<String, Object> rest = new LinkedHashMap<>(args);
    StringBuilder url = new StringBuilder(tool.base().prefix());
    int origin = url.length() - tool.base().path().length();
    List<String> segments = tool.segments();
    for (int i = 1; i < segments.size(); i++) {
      String segment = segments.get(i);
      String name = HttpTool.parameterName(segment);
      url.append('/');
      if (name == null) {
        url.append(segment);
        continue;
      }
      String value = scalar(rest.remove(name));
      if (value == null
          || value.isEmpty()
          || value.equals(".")
          || value.equals("..")
          || value.indexOf('/') >= 0
          || value.indexOf('\\') >= 0) {
        throw new ToolException(
            INVALID_PATH_PARAMETER,
            INVALID_PATH_PARAMETER
                + ": "
                + name
                + " must be a non-empty value without / or \\ and not . or ..");
      }
      appendEncoded(url, origin, value);
    }
    char separator = '?';
    for (String name : tool.query()) {
      Object value = rest.remove(name);
      List<?> values =
          value instanceof List<?> list ? list : value == null ? List.of() : List.of(value);
      for (Object v : values) {
        String text = scalar(v);
        if (text == null) {
          if (v == null) {
            continue;
          }
          throw new ToolException(
              INVALID_QUERY_PARAMETER,
              INVALID_QUERY_PARAMETER + ": " + name + " must be a scalar or a list of scalars");
        }
        url.append(separator).append(encode(name)).append('=');
        appendEncoded(url, origin, text);
        separator = '&';
      }
    }
    checkLength(url, origin);
    byte[] body = null;
    if (HttpTool.BODY_METHODS.contains(tool.method())) {
      try {
        body = JSON.writeValueAsString(rest).getBytes(StandardCharsets.UTF_8);
      } catch (JsonProcessingException e) {
        throw new ToolException(ToolException.TOOL_FAILED, "tool_failed: body not serializable");
      }
    }
    try {
      return new RequestPlan(new URI(url.toString()), body);
    } catch (URISyntaxException e) {
      // cannot happen for what we built, but fail closed
      throw new ToolException(ToolException.TOOL_FAILED, "tool_failed: request URL invalid");
    }
  }

  /**
   * Appends one encoded value, checking the request target's length before (a value never gets
   * shorter encoded) and after, so a long value or list stops at the cap instead of being built.
   */
  private static void appendEncoded(StringBuilder url, int origin, String value)
      throws ToolException {
    if (url.length() - origin + value.length() > MAX_REQUEST_TARGET) {
      throw tooLong();
    }
    url.append(encode(value));
    checkLength(url, origin);
  }

  private static void checkLength(StringBuilder url, int origin) throws ToolException {
    if (url.length() - origin > MAX_REQUEST_TARGET) {
      throw tooLong();
    }
  }

  private static ToolException tooLong() {
    return new ToolException(
        INVALID_REQUEST_TARGET,
        INVALID_REQUEST_TARGET
            + ": the path and query would be longer than "
            + MAX_REQUEST_TARGET
            + " characters");
  }

  /** A string, number or boolean as text; null for anything else. */
  private static String scalar(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    return null;
  }

  /** UTF-8 percent-encoding of everything but ALPHA / DIGIT / "-" / "." / "_" / "~". */
  static String encode(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }
}
