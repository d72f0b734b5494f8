package dev.briefcase.kernel.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts the credential values issued for a call out of what the tool hands back (its result, its
 * approval summary, its error message): pure functions. An upstream may echo a request's {@code
 * Authorization} in an error body or a challenge; the agent must never see it. Each occurrence, in
 * a string or an object member name, becomes {@value #MARK}.
 */
final class CredentialEcho {
  /** What an issued value is replaced by. */
  static final String MARK = "[REDACTED:credential]";

  private CredentialEcho() {}

  /** A scrubbed copy of a plain JSON tree and how many values were cut. */
  record Scrubbed(Object tree, int cuts) {}

  /**
   * A copy of {@code tree} (a plain JSON tree) with every issued value cut, or the same tree when
   * none occurs.
   *
   * @param issued the values, longest first (so a value's suffix never leaves the rest behind)
   */
  static Scrubbed tree(Object tree, List<String> issued) {
    int[] cuts = {0};
    Object out = walk(tree, issued, cuts);
    return new Scrubbed(cuts[0] == 0 ? tree : out, cuts[0]);
  }

  /** {@code text} with every issued value cut; {@code null} stays {@code null}. */
  static String text(String text, List<String> issued) {
    if (text == null || issued.isEmpty()) {
      return text;
    }
    return cut(text, issued, new int[1]);
  }

  private static Object walk(Object node, List<String> issued, int[] cuts) {
    if (node instanceof String s) {
      return cut(s, issued, cuts);
    }
    if (node instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = cut((String) e.getKey(), issued, cuts);
        // two members that differed only by a cut value keep both, numbered
        String unique = key;
        for (int n = 2; out.containsKey(unique); n++) {
          unique = key + "#" + n;
        }
        out.put(unique, walk(e.getValue(), issued, cuts));
      }
      return out;
    }
    if (node instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object item : l) {
        out.add(walk(item, issued, cuts));
      }
      return out;
    }
    return node;
  }

  private static String cut(String s, List<String> issued, int[] cuts) {
    String out = s;
    for (String value : issued) {
      int at = out.indexOf(value);
      if (at >= 0) {
        for (; at >= 0; at = out.indexOf(value, at + value.length())) {
          cuts[0]++;
        }
        out = out.replace(value, MARK);
      }
    }
    return out;
  }
}
