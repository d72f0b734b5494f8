package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The strings and keys of a JSON value, scanned within the bounds of SPEC §20 (depth 32, 128
 * strings, 1024 characters each) so a hostile value cannot make a scan expensive.
 */
final class BoundedStrings {
  static final int MAX_DEPTH = 32;
  static final int MAX_STRINGS = 128;
  static final int MAX_CHARS = 1024;

  final List<String> values = new ArrayList<>();
  final List<String> keys = new ArrayList<>();

  private BoundedStrings() {}

  static BoundedStrings of(JsonNode node) {
    BoundedStrings s = new BoundedStrings();
    s.walk(node, 0);
    return s;
  }

  private boolean full() {
    return values.size() + keys.size() >= MAX_STRINGS;
  }

  private void walk(JsonNode node, int depth) {
    if (node == null || depth > MAX_DEPTH || full()) {
      return;
    }
    if (node.isTextual()) {
      values.add(clip(node.textValue()));
    } else if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext() && !full()) {
        Map.Entry<String, JsonNode> e = it.next();
        keys.add(clip(e.getKey()));
        walk(e.getValue(), depth + 1);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size() && !full(); i++) {
        walk(node.get(i), depth + 1);
      }
    }
  }

  private static String clip(String s) {
    return s.length() <= MAX_CHARS ? s : s.substring(0, MAX_CHARS);
  }
}
