package dev.briefcase.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 *       are refused, and so are subclasses of {@link BigInteger} and {@link BigDecimal} (their text
 *       could change between two readings) and integers or unscaled decimals of more than {@link
 *       #MAX_NUMBER_DIGITS} digits (formatting one costs seconds of CPU).
 * </ul>
 *
 * <p>A tree is a tree: a map or list that holds itself (directly or deeper) is refused, and so is
 * one of more than {@link #MAX_NODES} values counted with every repetition of a shared map or list
 * (which could otherwise expand exponentially).
 *
 * <p>{@link #copyOf} checks a tree against this mapping and returns a deep copy whose maps and
 * lists are unmodifiable, so a holder can neither change what it was given nor what it handed on.
 * Thread-safe; the copies may be shared freely.
 */
public final class JsonTree {

  /** The deepest nesting accepted: deeper trees (and cyclic ones) are refused. */
  public static final int MAX_DEPTH = 1000;

  /**
   * The most values (members, elements and scalars, a shared map or list counted at every place it
   * occurs) a tree may hold: more than a 16 MiB JSON text can spell.
   */
  public static final int MAX_NODES = 8 << 20;

  /** The most decimal digits an integer or the unscaled value of a decimal may have. */
  public static final int MAX_NUMBER_DIGITS = 1000;

  private static final BigInteger NUMBER_BOUND = BigInteger.TEN.pow(MAX_NUMBER_DIGITS);

  private JsonTree() {}

  /**
   * Checks {@code value} and returns an unmodifiable deep copy of it ({@code null} for {@code
   * null}).
   *
   * @throws IllegalArgumentException when the tree holds anything outside the mapping above (the
   *     message names the path and the class, never a value), a non-finite or over-long number, is
   *     cyclic, holds more than {@link #MAX_NODES} values or is nested deeper than {@link
   *     #MAX_DEPTH}
   */
  public static Object copyOf(Object value) {
    return copy(value, new Walk());
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
    return (Map<String, Object>) copy(value, new Walk());
  }

  /** One copy in progress: where it is, the maps and lists open above it, the values seen. */
  private static final class Walk {
    /** The member names and array indexes leading to the current value. */
    final List<Object> path = new ArrayList<>();

    final Set<Object> open = Collections.newSetFromMap(new IdentityHashMap<>());
    int nodes;
  }

  private static Object copy(Object value, Walk walk) {
    List<Object> path = walk.path;
    if (++walk.nodes > MAX_NODES) {
      throw refused(path, "more than " + MAX_NODES + " values");
    }
    if (value == null
        || value instanceof String
        || value instanceof Boolean
        || value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      return value;
    }
    // exactly these classes: a subclass could answer toString differently at each reading
    if (value.getClass() == BigInteger.class) {
      return digitsChecked((BigInteger) value, value, path);
    }
    if (value.getClass() == BigDecimal.class) {
      return digitsChecked(((BigDecimal) value).unscaledValue(), value, path);
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
    if ((value instanceof Map || value instanceof List) && !walk.open.add(value)) {
      throw refused(path, "cyclic: a map or list holds itself");
    }
    try {
      return copyContainer(value, walk);
    } finally {
      walk.open.remove(value);
    }
  }

  /** {@code value} when {@code digits} has at most {@link #MAX_NUMBER_DIGITS} digits. */
  private static Object digitsChecked(BigInteger digits, Object value, List<Object> path) {
    // the bit length first: abs() of a huge number would copy it
    if (digits.bitLength() > NUMBER_BOUND.bitLength()
        || digits.abs().compareTo(NUMBER_BOUND) >= 0) {
      throw refused(path, "number has more than " + MAX_NUMBER_DIGITS + " digits");
    }
    return value;
  }

  private static Object copyContainer(Object value, Walk walk) {
    List<Object> path = walk.path;
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>(Math.max(4, map.size() * 2));
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          throw refused(path, "object key is not a string");
        }
        path.add(key);
        out.put(key, copy(e.getValue(), walk));
        path.remove(path.size() - 1);
      }
      return Collections.unmodifiableMap(out);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object element : list) {
        path.add(out.size());
        out.add(copy(element, walk));
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
