package dev.briefcase.runtime.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns the JSON properties of a feature configuration into Config Admin values, following the
 * typing rules of the OSGi Configurator: a key may carry a type ({@code "port:Integer"}, {@code
 * "hosts:String[]"}, {@code "ids:Collection<Long>"}); without one, strings stay strings, integral
 * numbers become {@link Long}, other numbers {@link Double}, booleans {@link Boolean}, arrays of
 * one JSON kind the matching array, and objects their JSON text. {@code ${name}} placeholders in
 * string values are substituted before conversion.
 */
public final class ConfigurationValues {
  private ConfigurationValues() {}

  /**
   * Converts one configuration.
   *
   * @throws IllegalArgumentException with a one-line reason naming the PID and key
   */
  public static Hashtable<String, Object> toProperties(
      String pid, ObjectNode json, Placeholders placeholders) {
    Hashtable<String, Object> properties = new Hashtable<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      String type = null;
      int colon = key.indexOf(':');
      if (colon > 0) {
        type = key.substring(colon + 1).trim();
        key = key.substring(0, colon);
      }
      String where = "configuration " + pid + " " + key;
      if (e.getValue().isNull()) {
        continue; // Config Admin has no null values: an explicit null means "leave unset"
      }
      properties.put(key, convert(e.getValue(), type, placeholders, where));
    }
    return properties;
  }

  private static Object convert(JsonNode value, String type, Placeholders ph, String where) {
    if (type == null) {
      return untyped(value, ph, where);
    }
    if (type.endsWith("[]")) {
      String element = type.substring(0, type.length() - 2);
      List<Object> items = items(value, element, ph, where);
      Class<?> cls = elementClass(element, where);
      Object array = Array.newInstance(cls, items.size());
      for (int i = 0; i < items.size(); i++) {
        Array.set(array, i, items.get(i));
      }
      return array;
    }
    if (type.startsWith("Collection<") && type.endsWith(">")) {
      return items(value, type.substring(11, type.length() - 1), ph, where);
    }
    if (type.equals("Collection")) {
      return items(value, "String", ph, where);
    }
    if (value.isContainerNode()) {
      throw new IllegalArgumentException(where + ": a " + type + " cannot be a JSON container");
    }
    return scalar(text(value, ph, where), type, where);
  }

  private static List<Object> items(JsonNode value, String element, Placeholders ph, String w) {
    List<Object> items = new ArrayList<>();
    if (value.isArray()) {
      for (JsonNode item : value) {
        items.add(scalar(text(item, ph, w), element, w));
      }
    } else {
      items.add(scalar(text(value, ph, w), element, w));
    }
    return items;
  }

  private static Object untyped(JsonNode value, Placeholders ph, String where) {
    if (value.isTextual()) {
      return ph.substitute(value.asText(), where);
    }
    if (value.isBoolean()) {
      return value.asBoolean();
    }
    if (value.isIntegralNumber()) {
      if (!value.canConvertToLong()) {
        throw new IllegalArgumentException(where + ": integer out of range");
      }
      return value.asLong();
    }
    if (value.isNumber()) {
      return value.asDouble();
    }
    if (value.isObject()) {
      return value.toString();
    }
    // an array: one element type for all, else strings
    boolean allText = true;
    boolean allBool = true;
    boolean allLong = true;
    boolean allNumber = true;
    for (JsonNode item : value) {
      allText &= item.isTextual();
      allBool &= item.isBoolean();
      allLong &= item.isIntegralNumber() && item.canConvertToLong();
      allNumber &= item.isNumber();
    }
    String element =
        value.isEmpty() || allText
            ? "String"
            : allBool ? "Boolean" : allLong ? "Long" : allNumber ? "Double" : "String";
    List<Object> items = items(value, element, ph, where);
    Object array = Array.newInstance(elementClass(element, where), items.size());
    for (int i = 0; i < items.size(); i++) {
      Array.set(array, i, items.get(i));
    }
    return array;
  }

  private static String text(JsonNode value, Placeholders ph, String where) {
    if (value.isContainerNode()) {
      return value.toString();
    }
    return value.isTextual() ? ph.substitute(value.asText(), where) : value.asText();
  }

  private static Class<?> elementClass(String type, String where) {
    return switch (type) {
      case "String" -> String.class;
      case "Integer" -> Integer.class;
      case "int" -> int.class;
      case "Long" -> Long.class;
      case "long" -> long.class;
      case "Double" -> Double.class;
      case "double" -> double.class;
      case "Float" -> Float.class;
      case "float" -> float.class;
      case "Boolean" -> Boolean.class;
      case "boolean" -> boolean.class;
      case "Short" -> Short.class;
      case "short" -> short.class;
      case "Byte" -> Byte.class;
      case "byte" -> byte.class;
      case "Character" -> Character.class;
      case "char" -> char.class;
      default -> throw new IllegalArgumentException(where + ": unknown type '" + type + "'");
    };
  }

  private static Object scalar(String text, String type, String where) {
    try {
      return switch (type) {
        case "String" -> text;
        case "Integer", "int" -> Integer.valueOf(text.trim());
        case "Long", "long" -> Long.valueOf(text.trim());
        case "Double", "double" -> Double.valueOf(text.trim());
        case "Float", "float" -> Float.valueOf(text.trim());
        case "Short", "short" -> Short.valueOf(text.trim());
        case "Byte", "byte" -> Byte.valueOf(text.trim());
        case "Boolean", "boolean" -> parseBoolean(text, where);
        case "Character", "char" -> {
          if (text.length() != 1) {
            throw new IllegalArgumentException(where + ": not a single character");
          }
          yield text.charAt(0);
        }
        default -> throw new IllegalArgumentException(where + ": unknown type '" + type + "'");
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(where + ": '" + text + "' is not a " + type);
    }
  }

  private static Boolean parseBoolean(String text, String where) {
    String t = text.trim();
    if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
      return Boolean.valueOf(t);
    }
    throw new IllegalArgumentException(where + ": '" + text + "' is not a Boolean");
  }
}
