package dev.briefcase.admin.api.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;

/** What every resource does with a request: method checks, bodies, JSON fields, parameters. */
final class Requests {
  static final int MAX_BODY = 1 << 20;

  /** Rejects duplicate keys: a body with two values for one field has no single meaning. */
  static final ObjectMapper STRICT =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private Requests() {}

  static void requireMethod(Exchange ex, String expected) throws HttpError {
    if (!expected.equals(ex.method())) {
      throw HttpError.wrongMethod(expected);
    }
  }

  /** The body, at most 1 MiB. */
  static byte[] body(Exchange ex) throws IOException, HttpError {
    return ex.readBody(MAX_BODY, "request body exceeds 1 MiB");
  }

  /** Reads and discards the body (a route that takes none still must not leave it unread). */
  static void drain(Exchange ex) throws IOException, HttpError {
    body(ex);
  }

  /** The body as strict JSON, or 400 {@code invalid_json} with {@code message}. */
  static JsonNode json(Exchange ex, String message) throws IOException, HttpError {
    try {
      return STRICT.readTree(body(ex));
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("invalid_json", message);
    }
  }

  static JsonNode json(Exchange ex) throws IOException, HttpError {
    return json(ex, "request body is not valid JSON");
  }

  /** An optional string field of at most {@code max} characters. */
  static String text(JsonNode o, String field, int max) throws HttpError {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || v.textValue().length() > max) {
      throw HttpError.badRequest("invalid_request", field + " must be a string of ≤" + max);
    }
    return v.textValue();
  }

  /** An integer query parameter, clamped to {@code [min, max]}. */
  static long intParam(Map<String, String> q, String name, long dflt, long min, long max)
      throws HttpError {
    String v = q.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Math.max(min, Math.min(max, Long.parseLong(v)));
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("invalid_request", name + " must be an integer");
    }
  }

  static ObjectNode wrap(String field, JsonNode value) {
    ObjectNode o = Views.JSON.createObjectNode();
    o.set(field, value);
    return o;
  }
}
