package dev.briefcase.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * I-JSON text (RFC 7493 §2.1): a request whose strings or member names hold a lone UTF-16 surrogate
 * (an escape such as {@code "\ud800"} that decodes to half a pair) cannot be hashed, signed or
 * passed on faithfully, so the listeners refuse it and say where it is. Stateless.
 */
public final class IJsonText {
  private static final int MAX_DEPTH = 64;
  private static final int MAX_KEY_SHOWN = 64;

  private IJsonText() {}

  /**
   * The JSON path ({@code root} then {@code .key} and {@code [i]}) of the first string or member
   * name holding a lone surrogate, or {@code null} when there is none (or it lies deeper than 64
   * levels). Key characters outside printable ASCII are shown as {@code ?}; a key longer than 64
   * characters is cut there and followed by {@code clipped}.
   */
  public static String loneSurrogatePath(JsonNode node, String root, String clipped) {
    return find(node, root, 0, clipped);
  }

  private static String find(JsonNode node, String path, int depth, String clipped) {
    if (node == null || depth > MAX_DEPTH) {
      return null;
    }
    if (node.isTextual()) {
      return wellFormed(node.textValue()) ? null : path;
    }
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> e = fields.next();
        String key = e.getKey();
        String shown = key.replaceAll("[^\\x20-\\x7E]", "?");
        String child =
            path
                + "."
                + (shown.length() <= MAX_KEY_SHOWN
                    ? shown
                    : shown.substring(0, MAX_KEY_SHOWN) + clipped);
        if (!wellFormed(key)) {
          return child;
        }
        String inner = find(e.getValue(), child, depth + 1, clipped);
        if (inner != null) {
          return inner;
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String inner = find(node.get(i), path + "[" + i + "]", depth + 1, clipped);
        if (inner != null) {
          return inner;
        }
      }
    }
    return null;
  }

  /** Whether every surrogate in {@code s} is half of a high-low pair. */
  public static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
