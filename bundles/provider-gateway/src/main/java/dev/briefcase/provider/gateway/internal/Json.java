package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Strict JSON: one value, no trailing tokens, no duplicate member names, no comments or other
 * leniency; bodies are bounded before they get here.
 */
final class Json {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonParser.Feature.ALLOW_COMMENTS)
          .build();

  private Json() {}

  /** A JSON object, or {@code invalid_json}. */
  static ObjectNode object(byte[] body) {
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new ProviderError(400, "invalid_json", "body is not strict JSON");
    }
    if (!(node instanceof ObjectNode object)) {
      throw new ProviderError(400, "invalid_json", "body is not a JSON object");
    }
    return object;
  }

  static ObjectNode newObject() {
    return MAPPER.createObjectNode();
  }

  static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] error(String code) {
    return bytes(newObject().put("error", code));
  }
}
