package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.FloatNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.ShortNode;
import dev.briefcase.json.JsonTree;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts between the kernel's Jackson trees and the plain {@link JsonTree} form of the plugin
 * SPIs. Every number keeps the class that holds it in both directions ({@code IntNode} ↔ {@link
 * Integer}, {@code DoubleNode} ↔ {@link Double}, {@code DecimalNode} ↔ {@link BigDecimal}, …), so a
 * value that crosses to a plugin and back serialises to the same bytes and the call hash never sees
 * a difference.
 */
final class PlainJson {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private PlainJson() {}

  /** The arguments (a JSON object) as the unmodifiable plain tree a plugin is handed. */
  static Map<String, Object> object(JsonNode args) {
    if (!args.isObject()) {
      throw new IllegalArgumentException("arguments must be a JSON object");
    }
    return JsonTree.copyOfObject(fromObject(args, 0));
  }

  /** A plain tree as a Jackson tree; {@code null} is JSON {@code null}. */
  static JsonNode node(Object value) {
    return toNode(value, 0);
  }

  private static Object from(JsonNode node, int depth) {
    if (depth > JsonTree.MAX_DEPTH) {
      throw new IllegalArgumentException("nested deeper than " + JsonTree.MAX_DEPTH);
    }
    switch (node.getNodeType()) {
      case OBJECT:
        return fromObject(node, depth);
      case ARRAY:
        List<Object> list = new ArrayList<>(node.size());
        for (JsonNode element : node) {
          list.add(from(element, depth + 1));
        }
        return list;
      case STRING:
        return node.textValue();
      case BOOLEAN:
        return node.booleanValue();
      case NUMBER:
        return node.numberValue();
      case NULL:
        return null;
      default:
        throw new IllegalArgumentException(node.getNodeType() + " is not a JSON value");
    }
  }

  private static Map<String, Object> fromObject(JsonNode node, int depth) {
    Map<String, Object> map = new LinkedHashMap<>(Math.max(4, node.size() * 2));
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      map.put(e.getKey(), from(e.getValue(), depth + 1));
    }
    return map;
  }

  private static JsonNode toNode(Object value, int depth) {
    if (depth > JsonTree.MAX_DEPTH) {
      throw new IllegalArgumentException("nested deeper than " + JsonTree.MAX_DEPTH);
    }
    if (value == null) {
      return F.nullNode();
    }
    if (value instanceof String s) {
      return F.textNode(s);
    }
    if (value instanceof Boolean b) {
      return F.booleanNode(b);
    }
    if (value instanceof Integer i) {
      return IntNode.valueOf(i);
    }
    if (value instanceof Long l) {
      return LongNode.valueOf(l);
    }
    if (value instanceof Double d) {
      return DoubleNode.valueOf(d);
    }
    if (value instanceof BigDecimal d) {
      // as held: JsonNodeFactory may strip trailing zeros, which would change the bytes
      return DecimalNode.valueOf(d);
    }
    if (value instanceof BigInteger i) {
      return BigIntegerNode.valueOf(i);
    }
    if (value instanceof Float f) {
      return FloatNode.valueOf(f);
    }
    if (value instanceof Short s) {
      return ShortNode.valueOf(s);
    }
    if (value instanceof Byte b) {
      return IntNode.valueOf(b);
    }
    if (value instanceof Map<?, ?> map) {
      ObjectNode o = F.objectNode();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        o.set(String.valueOf(e.getKey()), toNode(e.getValue(), depth + 1));
      }
      return o;
    }
    if (value instanceof List<?> list) {
      ArrayNode a = F.arrayNode(list.size());
      for (Object element : list) {
        a.add(toNode(element, depth + 1));
      }
      return a;
    }
    throw new IllegalArgumentException(value.getClass().getName() + " is not a JSON value");
  }
}
