package dev.briefcase.egress;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A complete, non-redirect response. {@link #toString()} never shows the body or header values.
 *
 * @param status the HTTP status code (never 3xx)
 * @param headers lower-case header names to their values in arrival order
 * @param body the body, de-chunked, at most the policy's cap
 * @param truncated the upstream sent more than the cap and the body was cut to it (only with {@link
 *     EgressPolicy#truncateOversized()})
 */
public record EgressResponse(
    int status, Map<String, List<String>> headers, byte[] body, boolean truncated) {

  /** Copies the arguments. */
  public EgressResponse {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
    body = body == null ? new byte[0] : body.clone();
  }

  /** A complete, uncut response. */
  public EgressResponse(int status, Map<String, List<String>> headers, byte[] body) {
    this(status, headers, body, false);
  }

  /** The first value of a header (name case-insensitive), or null. */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The body (a copy). */
  @Override
  public byte[] body() {
    return body.clone();
  }

  /** The body decoded as UTF-8. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "EgressResponse["
        + status
        + ", "
        + body.length
        + " B"
        + (truncated ? ", truncated" : "")
        + "]";
  }
}
