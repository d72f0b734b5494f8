package dev.briefcase.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON value as plain, immutable Java objects — the one JSON form of the plugin SPIs (JSON
 * Schemas in {@code ToolSpec}, arguments in {@code ToolInvocation} and {@code RiskAssessor}, the
 * content of a {@code ToolResult}):
 *
 * <ul>
 *   <li>object: {@code Map<String, Object>}, member order kept, no {@code null} key;
 *   <li>array: {@code List<Object>};
 *   <li>string: {@link String}; {@code true}/{@code false}: {@link Boolean}; {@code null}: {@code
 *       null} (also as a member value or array element);
 *   <li>number: {@link Integer}, {@link Long} or {@link BigInteger} for integers and {@link Double}
 *       or {@link BigDecimal} for the others ({@link Short}, {@link Byte} and {@link Float} are
 *       accepted too). A number is kept exactly as the class that holds it; nothing here rounds it
 *       through {@code double}, so read one as {@link Number} (or {@code new
 *       BigDecimal(n.toString())} when every digit matters). Non-finite doubles are not JSON and
 *       are refused.
 * </ul>
 *
 * <p>{@link #copyOf} checks a tree against this mapping and returns a deep copy whose maps and
 * lists are unmodifiable, so a holder can neither change what it was given nor what it handed on.
 * Thread-safe; the copies may be shared freely.
 */
public final class JsonTree {

  /** The deepest nesting accepted: deeper trees (and cyclic ones) are refused. */
  public static final int MAX_DEPTH = 1000;

  private JsonTree() {}

  /**
   * Checks {@code value} and returns an unmodifiable deep copy of it ({@code null} for {@code
   * null}).
   *
   * @throws IllegalArgumentException when the tree holds anything outside the mapping above (the
   *     message names the path and the class, never a value), a non-finite number, or is nested
   *     deeper than {@link #MAX_DEPTH}
   */
  public static Object copyOf(Object value) {
    return copy(value, new ArrayList<>());
  }

  /**
   * {@link #copyOf} for a JSON object.
   *
   * @throws IllegalArgumentException as {@link #copyOf}, or when {@code value} is {@code null}
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> copyOfObject(Map<String, ?> value) {
    if (value == null) {
      throw new IllegalArgumentException("$: a JSON object is required, not null");
    }
    return (Map<String, Object>) copy(value, new ArrayList<>());
  }

  /** {@code path} holds the member names and array indexes leading to {@code value}. */
  private static Object copy(Object value, List<Object> path) {
    if (value == null
        || value instanceof String
        || value instanceof Boolean
        || value instanceof Integer
        || value instanceof Long
        || value instanceof BigInteger
        || value instanceof BigDecimal
        || value instanceof Short
        || value instanceof Byte) {
      return value;
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw refused(path, "number is not finite");
      }
      return value;
    }
    if (path.size() >= MAX_DEPTH) {
      throw refused(path, "nested deeper than " + MAX_DEPTH);
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>(Math.max(4, map.size() * 2));
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          throw refused(path, "object key is not a string");
        }
        path.add(key);
        out.put(key, copy(e.getValue(), path));
        path.remove(path.size() - 1);
      }
      return Collections.unmodifiableMap(out);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object element : list) {
        path.add(out.size());
        out.add(copy(element, path));
        path.remove(path.size() - 1);
      }
      return Collections.unmodifiableList(out);
    }
    throw refused(path, value.getClass().getName() + " is not a JSON value");
  }

  private static IllegalArgumentException refused(List<Object> path, String problem) {
    StringBuilder where = new StringBuilder("$");
    for (Object segment : path) {
      if (where.length() > 120) {
        where.append("...");
        break;
      }
      if (segment instanceof Integer i) {
        where.append('[').append(i).append(']');
      } else {
        where.append('.').append(segment);
      }
    }
    return new IllegalArgumentException(where + ": " + problem);
  }
}
