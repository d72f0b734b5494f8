package dev.briefcase.runtime.launcher;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Replaces {@code ${name}} in feature values. Names are looked up in order in the given maps (the
 * launcher passes its own properties first, then the feature's variables, then the framework
 * launching properties). An unknown name is an error rather than an empty string: a silently empty
 * bind address or directory is worse than a refusal to start.
 */
public final class Placeholders {
  private final List<Map<String, String>> sources;

  /** Looks names up in {@code sources}, first match wins. */
  public Placeholders(List<Map<String, String>> sources) {
    this.sources = List.copyOf(sources);
  }

  /** The value for {@code name}, or {@code null}. */
  public String lookup(String name) {
    for (Map<String, String> source : sources) {
      String value = source.get(name);
      if (value != null) {
        return value;
      }
    }
    return null;
  }

  /**
   * Substitutes every {@code ${name}} in {@code value}; values of names may contain placeholders
   * too (up to a small depth, which also stops cycles).
   *
   * @param where names the setting in the error message
   * @throws IllegalArgumentException on an unknown name, an unclosed {@code ${} or a cycle
   */
  public String substitute(String value, String where) {
    return substitute(value, where, this::lookup, 0);
  }

  private static String substitute(
      String value, String where, Function<String, String> lookup, int depth) {
    if (value == null || !value.contains("${")) {
      return value;
    }
    if (depth > 8) {
      throw new IllegalArgumentException(where + ": placeholders nest too deep (a cycle?)");
    }
    StringBuilder out = new StringBuilder(value.length());
    int i = 0;
    while (i < value.length()) {
      int start = value.indexOf("${", i);
      if (start < 0) {
        out.append(value, i, value.length());
        break;
      }
      int end = value.indexOf('}', start + 2);
      if (end < 0) {
        throw new IllegalArgumentException(where + ": unclosed placeholder in '" + value + "'");
      }
      String name = value.substring(start + 2, end);
      String replacement = lookup.apply(name);
      if (replacement == null) {
        throw new IllegalArgumentException(where + ": unknown placeholder ${" + name + "}");
      }
      out.append(value, i, start).append(substitute(replacement, where, lookup, depth + 1));
      i = end + 1;
    }
    return out.toString();
  }

  /** Substitutes every value of {@code properties}; keys are kept as they are. */
  public Map<String, String> substituteAll(Map<String, String> properties, String where) {
    Map<String, String> out = new LinkedHashMap<>();
    properties.forEach((k, v) -> out.put(k, substitute(v, where + " " + k)));
    return out;
  }
}
