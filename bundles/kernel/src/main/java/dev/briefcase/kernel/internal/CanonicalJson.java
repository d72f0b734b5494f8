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
 * have no canonical form, so two different calls can never share a hash.
 */
final class CanonicalJson {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private static final BigInteger MAX_SAFE = BigInteger.valueOf((1L << 53) - 1);
  private static final BigInteger MIN_SAFE = MAX_SAFE.negate();
  private static final int MAX_DEPTH = 64;

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
    if (node.isIntegralNumber()) {
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
        collect(e.getValue(), path + "." + e.getKey(), depth + 1, problems, limit);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collect(node.get(i), path + "[" + i + "]", depth + 1, problems, limit);
      }
    }
  }

  /** The canonical UTF-8 text of an I-JSON value. */
  static String canonical(JsonNode value) {
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

  static String sha256Hex(String text) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
