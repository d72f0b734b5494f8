package dev.briefcase.runtime.launcher;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.edge.OneLine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads OSGi feature JSON files. It understands the {@code framework-launching-properties}
 * extension; any other extension of kind {@code mandatory} is refused, as the Features
 * specification requires of a launcher that does not know it.
 */
public final class FeatureReader {
  /** The extension that carries framework properties. */
  public static final String FRAMEWORK_PROPERTIES = "framework-launching-properties";

  private final ObjectMapper mapper =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** Reads one feature file. */
  public Feature read(Path file) throws LaunchException {
    JsonNode root;
    try {
      root = mapper.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new LaunchException("feature file not found: " + file);
    } catch (IOException e) {
      throw new LaunchException(
          "cannot read feature " + file + ": " + OneLine.firstLine(e.getMessage(), "unreadable"),
          e);
    }
    try {
      return parse(root);
    } catch (IllegalArgumentException e) {
      throw new LaunchException("invalid feature " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads and merges several feature files, later files winning (see {@link Feature#merge}). */
  public Feature readAll(List<Path> files) throws LaunchException {
    if (files.isEmpty()) {
      throw new LaunchException("no feature file given");
    }
    List<Feature> features = new ArrayList<>();
    for (Path file : files) {
      features.add(read(file));
    }
    return Feature.merge(features);
  }

  /** Parses a feature document; {@link IllegalArgumentException} describes what is wrong. */
  public Feature parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    String id = text(root, "id");
    if (id == null) {
      throw new IllegalArgumentException("missing \"id\"");
    }
    return new Feature(
        id,
        bundles(root.get("bundles")),
        configurations(root.get("configurations")),
        extensions(root.get("extensions")),
        variables(root.get("variables")));
  }

  private static List<FeatureBundle> bundles(JsonNode node) {
    List<FeatureBundle> bundles = new ArrayList<>();
    if (node == null || node.isNull()) {
      return bundles;
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("\"bundles\" must be an array");
    }
    for (JsonNode entry : node) {
      if (entry.isTextual()) {
        bundles.add(FeatureBundle.parse(entry.asText(), 1));
        continue;
      }
      String id = entry.isObject() ? text(entry, "id") : null;
      if (id == null) {
        throw new IllegalArgumentException("a bundle entry has no \"id\"");
      }
      JsonNode order = entry.get("start-order");
      int startOrder = 1;
      if (order != null && !order.isNull()) {
        if (!order.canConvertToInt() || (!order.isIntegralNumber() && !order.isTextual())) {
          throw new IllegalArgumentException("bundle " + id + ": \"start-order\" is not a number");
        }
        startOrder = order.isTextual() ? parseOrder(id, order.asText()) : order.asInt();
      }
      if (startOrder < 0) {
        throw new IllegalArgumentException("bundle " + id + ": \"start-order\" is negative");
      }
      // start-order 0 means "the framework default", which is start level 1
      bundles.add(FeatureBundle.parse(id, Math.max(1, startOrder)));
    }
    return bundles;
  }

  private static int parseOrder(String id, String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bundle " + id + ": \"start-order\" is not a number");
    }
  }

  private static Map<String, ObjectNode> configurations(JsonNode node) {
    Map<String, ObjectNode> configurations = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return configurations;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("\"configurations\" must be an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isObject()) {
        throw new IllegalArgumentException("configuration " + e.getKey() + " must be an object");
      }
      ConfigurationPid.parse(e.getKey());
      configurations.put(e.getKey(), (ObjectNode) e.getValue());
    }
    return configurations;
  }

  private static Map<String, String> extensions(JsonNode node) {
    Map<String, String> properties = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return properties;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("\"extensions\" must be an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode extension = e.getValue();
      String kind = extension.isObject() ? text(extension, "kind") : null;
      if (!FRAMEWORK_PROPERTIES.equals(name)) {
        if ("mandatory".equals(kind)) {
          throw new IllegalArgumentException("unsupported mandatory extension \"" + name + "\"");
        }
        continue;
      }
      JsonNode json = extension.get("json");
      if (json == null || !json.isObject()) {
        throw new IllegalArgumentException(FRAMEWORK_PROPERTIES + " needs a \"json\" object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> p = json.fields(); p.hasNext(); ) {
        Map.Entry<String, JsonNode> prop = p.next();
        properties.put(prop.getKey(), scalar(prop.getKey(), prop.getValue()));
      }
    }
    return properties;
  }

  private static Map<String, String> variables(JsonNode node) {
    Map<String, String> variables = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return variables;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("\"variables\" must be an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isNull()) {
        variables.put(e.getKey(), scalar(e.getKey(), e.getValue()));
      }
    }
    return variables;
  }

  private static String scalar(String name, JsonNode value) {
    if (!value.isValueNode() || value.isNull()) {
      throw new IllegalArgumentException("\"" + name + "\" must be a string, number or boolean");
    }
    return value.asText();
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
  }
}
