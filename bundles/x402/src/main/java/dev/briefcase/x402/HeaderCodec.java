package dev.briefcase.x402;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The header encoding of SPEC §0/§14.1: standard base64 (padded or not) of one JSON object.
 * URL-safe values are refused, because the reference server ignores them and a client that sent one
 * would pay nothing and learn nothing.
 */
final class HeaderCodec {
  /** Every x402 header is at most 64 KiB as received. */
  static final int MAX_HEADER_CHARS = 64 * 1024;

  /**
   * Duplicate keys are refused (two readers could see two different offers), floats are kept as
   * written so a copied {@code accepted} keeps its numbers.
   */
  static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(
              com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private HeaderCodec() {}

  /** Decodes a header value to its JSON object, or throws {@code code}. */
  static ObjectNode decode(String value, String code, String what) throws PaymentException {
    if (value == null || value.isEmpty()) {
      throw new PaymentException(code, what + " is empty");
    }
    if (value.length() > MAX_HEADER_CHARS) {
      throw new PaymentException(code, what + " is larger than 64 KiB");
    }
    String text = utf8(base64(value.strip(), code, what), code, what);
    JsonNode node;
    try (JsonParser parser = JSON.createParser(text)) {
      node = JSON.readTree(parser);
      if (parser.nextToken() != null) {
        throw new PaymentException(code, what + " holds more than one JSON value");
      }
    } catch (IOException e) {
      throw new PaymentException(code, what + " is not one JSON object");
    }
    if (!(node instanceof ObjectNode object)) {
      throw new PaymentException(code, what + " is not a JSON object");
    }
    return object;
  }

  /**
   * Standard base64 of the compact JSON, as the reference client's {@code btoa(JSON.stringify)}.
   */
  static String encode(JsonNode node) {
    try {
      return Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(node));
    } catch (IOException e) {
      throw new IllegalStateException("JSON tree could not be written", e);
    }
  }

  /**
   * Strict UTF-8, as the reference decodes: Jackson alone would also take UTF-16/32 by sniffing the
   * first bytes, so two readers could disagree on the same header.
   */
  private static String utf8(byte[] bytes, String code, String what) throws PaymentException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new PaymentException(code, what + " is not UTF-8");
    }
  }

  private static byte[] base64(String value, String code, String what) throws PaymentException {
    int end = value.length();
    while (end > 0 && value.charAt(end - 1) == '=') {
      end--;
    }
    int padding = value.length() - end;
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '+'
              || c == '/';
      if (!ok) {
        // '-' and '_' (URL-safe alphabet) land here too
        throw new PaymentException(code, what + " is not standard base64");
      }
    }
    int rest = end % 4;
    boolean padded = padding > 0;
    if (rest == 1
        || padding > 2
        || (padded && (value.length() % 4 != 0 || padding != (4 - rest) % 4))) {
      throw new PaymentException(code, what + " is not standard base64");
    }
    try {
      return Base64.getDecoder().decode(padded ? value : pad(value, rest));
    } catch (IllegalArgumentException e) {
      throw new PaymentException(code, what + " is not standard base64");
    }
  }

  private static String pad(String value, int rest) {
    return rest == 0 ? value : value + "=".repeat(4 - rest);
  }
}
