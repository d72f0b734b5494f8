package dev.briefcase.receipts.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * The pure functions of the receipt chain (SPEC §6), shared by the log, its tests and offline
 * verifiers: {@code hash_hex = hex SHA-256(ASCII(prev_hash_hex) || UTF-8(JCS(event)))} with the
 * genesis {@code prev_hash_hex} of 64 zeros, JCS being RFC 8785.
 *
 * <p>Events must be I-JSON: integers within ±(2^53−1), finite numbers, well-formed UTF-16 strings,
 * plain JSON node types only. Stateless and thread-safe.
 */
public final class ReceiptChain {

  /** The {@code prev_hash_hex} of the first receipt. */
  public static final String GENESIS_HASH_HEX = "0".repeat(64);

  /** The largest integer magnitude I-JSON allows, 2^53−1. */
  public static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  private static final BigInteger MAX_SAFE = BigInteger.valueOf(MAX_SAFE_INTEGER);
  private static final int MAX_DEPTH = 64;
  // Thread-safe once configured, and never reconfigured.
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ReceiptChain() {}

  /**
   * The RFC 8785 canonical form of an event.
   *
   * @throws IllegalArgumentException when the event is not I-JSON
   */
  public static String canonicalize(JsonNode event) {
    requireIJson(event);
    String json;
    try {
      json = MAPPER.writeValueAsString(event);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("event cannot be serialized", e);
    }
    return canonicalJson(json);
  }

  /**
   * Re-canonicalizes JSON text (parse, then RFC 8785), as a verifier does with a stored event.
   *
   * @throws IllegalArgumentException when the text is not a JSON object or array, or has duplicate
   *     keys
   */
  public static String canonicalJson(String json) {
    try {
      return new JsonCanonicalizer(json).getEncodedString();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not canonicalizable JSON", e);
    }
  }

  /**
   * The hash of one link: lowercase hex SHA-256 of the ASCII previous hash followed by the UTF-8
   * canonical event.
   */
  public static String hashHex(String prevHashHex, String canonicalEventJson) {
    if (!isHashHex(prevHashHex)) {
      throw new IllegalArgumentException("prev_hash_hex must be 64 lowercase hex digits");
    }
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
    sha256.update(prevHashHex.getBytes(StandardCharsets.US_ASCII));
    sha256.update(canonicalEventJson.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** {@link #hashHex} of {@link #canonicalize canonicalized} {@code event}. */
  public static String hashEvent(String prevHashHex, JsonNode event) {
    return hashHex(prevHashHex, canonicalize(event));
  }

  /** True for exactly 64 lowercase hex digits. */
  public static boolean isHashHex(String s) {
    if (s == null || s.length() != 64) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks that a JSON tree is I-JSON (RFC 7493) as far as hashing needs.
   *
   * @throws IllegalArgumentException naming the first violation (never the offending value)
   */
  public static void requireIJson(JsonNode node) {
    if (node == null) {
      throw new IllegalArgumentException("event is null");
    }
    check(node, 0);
  }

  private static void check(JsonNode node, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("event is nested deeper than " + MAX_DEPTH);
    }
    switch (node.getNodeType()) {
      case OBJECT -> {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> field = fields.next();
          requireWellFormed(field.getKey());
          check(field.getValue(), depth + 1);
        }
      }
      case ARRAY -> {
        for (JsonNode element : node) {
          check(element, depth + 1);
        }
      }
      case STRING -> requireWellFormed(node.textValue());
      case NUMBER -> checkNumber(node);
      case BOOLEAN, NULL -> {}
      default ->
          throw new IllegalArgumentException(
              "event holds a non-JSON node of type " + node.getNodeType());
    }
  }

  private static void checkNumber(JsonNode node) {
    if (node.isIntegralNumber()) {
      requireSafe(node.bigIntegerValue());
      return;
    }
    if (!Double.isFinite(node.doubleValue())) {
      throw new IllegalArgumentException("event holds a non-finite number");
    }
    if (node.isBigDecimal()) {
      BigDecimal value = node.decimalValue();
      // an integral decimal is an integer to a reader: the same range applies
      if (value.signum() == 0 || value.stripTrailingZeros().scale() <= 0) {
        requireSafe(value.toBigInteger());
      }
    }
  }

  private static void requireSafe(BigInteger value) {
    if (value.abs().compareTo(MAX_SAFE) > 0) {
      throw new IllegalArgumentException("event holds an integer beyond ±(2^53−1)");
    }
  }

  private static void requireWellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          throw new IllegalArgumentException("event holds a string with a lone surrogate");
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        throw new IllegalArgumentException("event holds a string with a lone surrogate");
      }
    }
  }
}
