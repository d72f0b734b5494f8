package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * RFC 8785 (JCS) canonical form and the {@code H(x)} hash of SPEC §0. Values that are not I-JSON
 * (integers beyond ±(2^53−1), non-finite numbers, strings or keys holding a lone UTF-16 surrogate)
 * have no canonical form, so two different calls can never share a hash: encoding a lone surrogate
 * to UTF-8 would replace it with {@code ?}, making a lone U+D800, a lone U+DFFF and {@code "?"}
 * hash alike, so {@link #canonical} and {@link #sha256Hex} refuse it instead.
 */
final class CanonicalJson {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private static final BigInteger MAX_SAFE = BigInteger.valueOf((1L << 53) - 1);
  private static final BigInteger MIN_SAFE = MAX_SAFE.negate();
  private static final int MAX_DEPTH = 64;

  /** The problem text for a string or key that is not well-formed UTF-16. */
  static final String LONE_SURROGATE = "lone UTF-16 surrogate (not I-JSON)";

  private CanonicalJson() {}

  /** Problems that keep {@code value} from being I-JSON, at most {@code limit} of them. */
  static List<String> iJsonProblems(JsonNode value, int limit) {
    List<String> problems = new ArrayList<>();
    collect(value, "$", 0, problems, limit);
    return problems;
  }

  private static void collect(
      JsonNode node, String path, int depth, List<String> problems, int limit) {
    if (problems.size() >= limit) {
      return;
    }
    if (depth > MAX_DEPTH) {
      problems.add(path + ": nested deeper than " + MAX_DEPTH);
      return;
    }
    if (node.isTextual()) {
      if (!wellFormed(node.textValue())) {
        problems.add(path + ": " + LONE_SURROGATE);
      }
    } else if (node.isIntegralNumber()) {
      BigInteger v = node.bigIntegerValue();
      if (v.compareTo(MAX_SAFE) > 0 || v.compareTo(MIN_SAFE) < 0) {
        problems.add(path + ": integer outside ±(2^53−1)");
      }
    } else if (node.isFloatingPointNumber()) {
      double d = node.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        problems.add(path + ": number is not finite");
      }
    } else if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> e = fields.next();
        String key = e.getKey();
        String child = path + "." + printable(key);
        if (!wellFormed(key)) {
          problems.add(child + ": key " + LONE_SURROGATE);
          if (problems.size() >= limit) {
            return;
          }
        }
        collect(e.getValue(), child, depth + 1, problems, limit);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collect(node.get(i), path + "[" + i + "]", depth + 1, problems, limit);
      }
    }
  }

  /**
   * The canonical UTF-8 text of an I-JSON value.
   *
   * @throws IllegalArgumentException when the value is not I-JSON (it has no canonical form)
   */
  static String canonical(JsonNode value) {
    List<String> problems = iJsonProblems(value, 1);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("value is not I-JSON: " + problems.get(0));
    }
    try {
      return new JsonCanonicalizer(MAPPER.writeValueAsString(value)).getEncodedString();
    } catch (IOException e) {
      throw new IllegalArgumentException("value has no canonical JSON form", e);
    }
  }

  /** {@code H(JCS(value))}: lowercase hex SHA-256 of the canonical form. */
  static String hash(JsonNode value) {
    return sha256Hex(canonical(value));
  }

  /** The call hash of SPEC §4: {@code H(JCS({"tool_id", "args"}))}. */
  static String callHash(String toolId, JsonNode args) {
    ObjectNode call = MAPPER.createObjectNode();
    call.put("tool_id", toolId);
    call.set("args", args);
    return hash(call);
  }

  /**
   * Lowercase hex SHA-256 of the UTF-8 form of {@code text}.
   *
   * @throws IllegalArgumentException when {@code text} holds a lone surrogate (no UTF-8 form)
   */
  static String sha256Hex(String text) {
    if (!wellFormed(text)) {
      // String.getBytes would silently substitute '?', and two texts would share a hash
      throw new IllegalArgumentException("text is not well-formed UTF-16: " + LONE_SURROGATE);
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Whether {@code s} is well-formed UTF-16: every surrogate is half of a high-low pair. */
  static boolean wellFormed(String s) {
    return loneSurrogateAt(s) < 0;
  }

  /** The index of the first lone surrogate in {@code s}, or -1 when there is none. */
  static int loneSurrogateAt(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A well-formed stand-in for {@code s}, for receipts and messages: {@code s} itself when it is
   * well-formed, else {@code s} with every backslash doubled and every lone surrogate written as
   * {@code \\uXXXX} (so distinct malformed strings stay distinct and none can pass for a
   * well-formed one that has no backslash escapes).
   */
  static String printable(String s) {
    if (s == null || wellFormed(s)) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        out.append("\\\\");
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
