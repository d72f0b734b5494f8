package dev.briefcase.connector.http.internal;

import static dev.briefcase.connector.http.internal.ToolsFileException.CREDENTIAL_INVALID;
import static dev.briefcase.connector.http.internal.ToolsFileException.INVALID;
import static dev.briefcase.connector.http.internal.ToolsFileException.TOOL_DUPLICATE;
import static dev.briefcase.connector.http.internal.ToolsFileException.UNREADABLE;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.briefcase.credentials.CredentialNeed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a tool description file (format in the bundle README) into tools: all of them or, on the
 * first problem, a {@link ToolsFileException} and none. Unknown members are refused so a typo
 * cannot silently drop a restriction.
 */
final class ToolsFile {
  static final long MAX_FILE_BYTES = 4L << 20;

  static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private static final Set<String> TOP = Set.of("base_url", "credential", "tools", "openapi");
  private static final Set<String> TOOL =
      Set.of(
          "id",
          "name",
          "description",
          "method",
          "path",
          "query",
          "input_schema",
          "category",
          "cost_micro_usd",
          "max_response_bytes",
          "credential");
  private static final Set<String> CREDENTIAL = Set.of("strategy", "reference", "options");
  private static final Set<String> OPENAPI = Set.of("document", "operations");

  private ToolsFile() {}

  /** Every tool of the file, or a {@link ToolsFileException}. */
  static List<HttpTool> load(String file, boolean devLoopback) {
    JsonNode root = parse(readCapped(file, UNREADABLE, "tools file"), JSON, INVALID, "tools file");
    if (!root.isObject()) {
      throw invalid("the file must hold a JSON object");
    }
    onlyKnown(root, TOP, "the file");
    JsonNode baseNode = root.get("base_url");
    if (baseNode != null && !baseNode.isTextual()) {
      throw invalid("base_url must be a string");
    }
    CredentialNeed defaultNeed = credential(root.get("credential"), "the file");
    List<HttpTool> tools = new ArrayList<>();
    JsonNode list = root.get("tools");
    JsonNode openapi = root.get("openapi");
    if (list == null && openapi == null) {
      throw invalid("the file has neither tools nor openapi");
    }
    if (list != null) {
      if (!list.isArray()) {
        throw invalid("tools must be an array");
      }
      BaseUrl base = BaseUrl.parse(baseNode == null ? null : baseNode.asText(), devLoopback);
      for (JsonNode tool : list) {
        tools.add(tool(tool, base, defaultNeed));
      }
    }
    if (openapi != null) {
      if (!openapi.isObject()) {
        throw invalid("openapi must be an object");
      }
      onlyKnown(openapi, OPENAPI, "openapi");
      String document = text(openapi, "document", true, "openapi");
      List<String> operations = strings(openapi.get("operations"), "openapi.operations");
      if (operations.isEmpty()) {
        throw invalid("openapi.operations must list at least one operationId");
      }
      tools.addAll(
          OpenApiImport.load(
              document,
              operations,
              baseNode == null ? null : baseNode.asText(),
              devLoopback,
              defaultNeed));
    }
    Set<String> ids = new HashSet<>();
    for (HttpTool t : tools) {
      if (!ids.add(t.spec().id())) {
        throw new ToolsFileException(TOOL_DUPLICATE, "two tools have the id " + t.spec().id());
      }
    }
    return List.copyOf(tools);
  }

  private static HttpTool tool(JsonNode node, BaseUrl base, CredentialNeed defaultNeed) {
    if (!node.isObject()) {
      throw invalid("each tool must be an object");
    }
    onlyKnown(node, TOOL, "a tool");
    String id = text(node, "id", true, "a tool");
    String where = "tool " + clip(id);
    JsonNode schema = node.get("input_schema");
    if (schema == null || !schema.isObject()) {
      throw invalid(where + ": input_schema must be an object");
    }
    // an explicit "credential": null means none; an absent member inherits the file's default
    CredentialNeed need =
        node.has("credential") ? credential(node.get("credential"), where) : defaultNeed;
    return HttpTool.define(
        id,
        text(node, "name", false, where),
        text(node, "description", false, where),
        text(node, "method", true, where),
        text(node, "path", true, where),
        strings(node.get("query"), where + ".query"),
        plain(schema),
        text(node, "category", false, where),
        number(node, "cost_micro_usd", 0, where),
        number(node, "max_response_bytes", HttpTool.DEFAULT_MAX_RESPONSE_BYTES, where),
        need,
        base);
  }

  static CredentialNeed credential(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw new ToolsFileException(CREDENTIAL_INVALID, where + ": credential must be an object");
    }
    onlyKnown(node, CREDENTIAL, where + ".credential");
    JsonNode strategy = node.get("strategy");
    JsonNode reference = node.get("reference");
    JsonNode options = node.get("options");
    if (strategy == null
        || !strategy.isTextual()
        || reference == null
        || !reference.isTextual()
        || (options != null && !options.isObject())) {
      throw new ToolsFileException(
          CREDENTIAL_INVALID, where + ": credential needs strategy and reference strings");
    }
    Map<String, String> opts = new LinkedHashMap<>();
    if (options != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new ToolsFileException(CREDENTIAL_INVALID, where + ": options are strings");
        }
        opts.put(e.getKey(), e.getValue().asText());
      }
    }
    try {
      return new CredentialNeed(strategy.asText(), reference.asText(), opts);
    } catch (IllegalArgumentException e) {
      throw new ToolsFileException(CREDENTIAL_INVALID, where + ": " + e.getMessage());
    }
  }

  /** The file's bytes, refusing a relative path, a missing file and one above the size cap. */
  static byte[] readCapped(String file, String code, String what) {
    if (file == null || file.isBlank()) {
      throw new ToolsFileException(code, what + " is not configured");
    }
    Path path = Path.of(file);
    if (!path.isAbsolute()) {
      throw new ToolsFileException(code, what + " path must be absolute");
    }
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        throw new ToolsFileException(code, what + " is larger than " + MAX_FILE_BYTES + " bytes");
      }
      return bytes;
    } catch (IOException e) {
      throw new ToolsFileException(
          code, what + " cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  static JsonNode parse(byte[] bytes, ObjectMapper mapper, String code, String what) {
    try {
      JsonNode node = mapper.readTree(bytes);
      if (node == null || node.isMissingNode()) {
        throw new ToolsFileException(code, what + " is empty");
      }
      return node;
    } catch (IOException e) {
      // the parser's own message may quote content: only its kind is kept
      throw new ToolsFileException(
          code, what + " does not parse (" + e.getClass().getSimpleName() + ")");
    }
  }

  static Map<String, Object> plain(JsonNode object) {
    return JSON.convertValue(object, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  private static void onlyKnown(JsonNode node, Set<String> known, String where) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw invalid(where + " has an unknown member " + clip(name));
      }
    }
  }

  private static String text(JsonNode node, String name, boolean required, String where) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      if (required) {
        throw invalid(where + ": " + name + " is required");
      }
      return null;
    }
    if (!value.isTextual()) {
      throw invalid(where + ": " + name + " must be a string");
    }
    return value.asText();
  }

  private static long number(JsonNode node, String name, long fallback, String where) {
    JsonNode value = node.get(name);
    if (value == null) {
      return fallback;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw invalid(where + ": " + name + " must be an integer");
    }
    return value.asLong();
  }

  private static List<String> strings(JsonNode node, String where) {
    if (node == null) {
      return List.of();
    }
    if (!node.isArray()) {
      throw invalid(where + " must be an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : node) {
      if (!n.isTextual()) {
        throw invalid(where + " must be an array of strings");
      }
      out.add(n.asText());
    }
    return out;
  }

  static String clip(String text) {
    String t = text.replaceAll("[^\\x20-\\x7e]", "?");
    return t.length() <= 64 ? t : t.substring(0, 64) + "...";
  }

  private static ToolsFileException invalid(String message) {
    return new ToolsFileException(INVALID, message);
  }
}
