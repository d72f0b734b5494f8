package dev.briefcase.egress;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One outbound request. The client sets {@code Host}, {@code Content-Length} and {@code Connection}
 * itself; supplying them (or {@code Transfer-Encoding}) is refused with {@code
 * egress_request_invalid}. {@link #toString()} shows neither header values nor the body, since they
 * may carry credentials.
 *
 * @param method an HTTP method token, e.g. {@code GET}
 * @param url the absolute URL as a string; parsed strictly by the client
 * @param headers header names to values, never null (copied, insertion order kept)
 * @param body the request body, never null (empty for none)
 */
public record EgressRequest(String method, String url, Map<String, String> headers, byte[] body) {

  /** Copies the arguments; nulls for headers or body mean none. */
  public EgressRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(url, "url");
    headers =
        headers == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    body = body == null ? new byte[0] : body.clone();
  }

  /** A GET without extra headers. */
  public static EgressRequest get(String url) {
    return new EgressRequest("GET", url, Map.of(), new byte[0]);
  }

  /** A POST with the given content type and body. */
  public static EgressRequest post(String url, String contentType, byte[] body) {
    return new EgressRequest("POST", url, Map.of("Content-Type", contentType), body);
  }

  /** A POST of a UTF-8 JSON document. */
  public static EgressRequest postJson(String url, String json) {
    return post(url, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  /** The body (a copy). */
  @Override
  public byte[] body() {
    return body.clone();
  }

  @Override
  public String toString() {
    return "EgressRequest[" + method + ", headers=" + headers.keySet() + ", " + body.length + " B]";
  }
}
