package dev.briefcase.connector.http.internal;

import static dev.briefcase.connector.http.internal.ToolsFileException.OPENAPI_INVALID;
import static dev.briefcase.connector.http.internal.ToolsFileException.OPENAPI_REF_INVALID;
import static dev.briefcase.connector.http.internal.ToolsFileException.OPENAPI_REMOTE_REF;
import static dev.briefcase.connector.http.internal.ToolsFileException.OPENAPI_UNKNOWN_OPERATION;
import static dev.briefcase.connector.http.internal.ToolsFileException.OPENAPI_UNREADABLE;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.briefcase.credentials.CredentialNeed;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns chosen operations of an OpenAPI 3.0/3.1 document (JSON, or YAML for {@code .yaml}/{@code
 * .yml}) into tools: method and path, path and query parameters, and the JSON request body's
 * properties, merged into one strict input schema. Every {@code $ref} is resolved inside the
 * document and inlined; a reference to anything else is refused, never fetched. Header and cookie
 * parameters are not supported (a required one refuses the operation).
 */
final class OpenApiImport {
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

  /** Keywords dropped from imported schemas: they would name or re-base documents. */
  private static final Set<String> DROPPED = Set.of("$id", "$schema", "$anchor", "$dynamicAnchor");

  private static final Set<String> REFUSED = Set.of("$dynamicRef", "$recursiveRef");
  private static final int MAX_DEPTH = 64;
  private static final int MAX_NODES = 100_000;

  private final JsonNode root;
  private int nodes;

  private OpenApiImport(JsonNode root) {
    this.root = root;
  }

  static List<HttpTool> load(
      String document,
      List<String> operationIds,
      String baseUrl,
      boolean devLoopback,
      CredentialNeed need) {
    byte[] bytes = ToolsFile.readCapped(document, OPENAPI_UNREADABLE, "openapi document");
    String lower = document.toLowerCase(Locale.ROOT);
    JsonNode root =
        ToolsFile.parse(
            bytes,
            lower.endsWith(".yaml") || lower.endsWith(".yml") ? new YAMLMapper() : ToolsFile.JSON,
            OPENAPI_INVALID,
            "openapi document");
    String version = root.path("openapi").asText("");
    if (!root.isObject() || !(version.startsWith("3.0.") || version.startsWith("3.1."))) {
      throw invalid("the document is not OpenAPI 3.0 or 3.1");
    }
    BaseUrl base = BaseUrl.parse(baseUrl != null ? baseUrl : firstServer(root), devLoopback);
    return new OpenApiImport(root).tools(operationIds, base, need);
  }

  private static String firstServer(JsonNode root) {
    JsonNode url = root.path("servers").path(0).path("url");
    return url.isTextual() ? url.asText() : null;
  }

  private List<HttpTool> tools(List<String> operationIds, BaseUrl base, CredentialNeed need) {
    Map<String, Operation> byId = index();
    List<HttpTool> tools = new ArrayList<>();
    for (String id : operationIds) {
      Operation op = byId.get(id);
      if (op == null) {
        throw new ToolsFileException(
            OPENAPI_UNKNOWN_OPERATION, "no operation has the id " + ToolsFile.clip(id));
      }
      tools.add(tool(id, op, base, need));
    }
    return tools;
  }

  private record Operation(String method, String path, JsonNode pathItem, JsonNode operation) {}

  private Map<String, Operation> index() {
    JsonNode paths = root.path("paths");
    if (!paths.isObject()) {
      throw invalid("the document has no paths object");
    }
    Map<String, Operation> byId = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> path = it.next();
      JsonNode item = resolve(path.getValue());
      for (String method : METHODS) {
        JsonNode op = item.get(method);
        if (op != null && op.path("operationId").isTextual()) {
          Operation previous =
              byId.put(
                  op.get("operationId").asText(),
                  new Operation(method.toUpperCase(Locale.ROOT), path.getKey(), item, op));
          if (previous != null) {
            throw invalid("two operations have one operationId");
          }
        }
      }
    }
    return byId;
  }

  private HttpTool tool(String id, Operation op, BaseUrl base, CredentialNeed need) {
    ObjectNode properties = JsonNodeFactory.instance.objectNode();
    ArrayNode required = JsonNodeFactory.instance.arrayNode();
    List<String> query = new ArrayList<>();
    for (JsonNode parameter : parameters(op)) {
      String name = parameter.path("name").asText("");
      String in = parameter.path("in").asText("");
      boolean isRequired = parameter.path("required").asBoolean(false) || in.equals("path");
      if (!in.equals("path") && !in.equals("query")) {
        if (isRequired) {
          throw invalid(id + ": required " + ToolsFile.clip(in) + " parameters are not supported");
        }
        continue;
      }
      if (name.isEmpty() || properties.has(name)) {
        throw invalid(id + ": a parameter has no name or a duplicate one");
      }
      JsonNode schema = parameter.has("schema") ? inline(parameter.get("schema"), 0) : null;
      ObjectNode property =
          schema instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode();
      if (parameter.path("description").isTextual() && !property.has("description")) {
        property.put("description", parameter.get("description").asText());
      }
      properties.set(name, property);
      if (isRequired) {
        required.add(name);
      }
      if (in.equals("query")) {
        query.add(name);
      }
    }
    body(id, op, properties, required);
    ObjectNode schema = JsonNodeFactory.instance.objectNode();
    schema.put("type", "object");
    schema.set("properties", properties);
    if (!required.isEmpty()) {
      schema.set("required", required);
    }
    schema.put("additionalProperties", false);
    JsonNode summary = op.operation().path("summary");
    JsonNode description = op.operation().path("description");
    return HttpTool.define(
        id,
        summary.isTextual() ? summary.asText() : id,
        description.isTextual()
            ? description.asText()
            : summary.isTextual() ? summary.asText() : "",
        op.method(),
        op.path(),
        query,
        ToolsFile.plain(schema),
        null,
        0,
        HttpTool.DEFAULT_MAX_RESPONSE_BYTES,
        need,
        base);
  }

  /** Path-item parameters, overridden by the operation's own of the same name and location. */
  private List<JsonNode> parameters(Operation op) {
    Map<String, JsonNode> byKey = new LinkedHashMap<>();
    for (JsonNode list :
        List.of(op.pathItem().path("parameters"), op.operation().path("parameters"))) {
      if (list.isMissingNode()) {
        continue;
      }
      if (!list.isArray()) {
        throw invalid("parameters must be an array");
      }
      for (JsonNode p : list) {
        JsonNode parameter = resolve(p);
        byKey.put(
            parameter.path("in").asText("") + ":" + parameter.path("name").asText(""), parameter);
      }
    }
    return new ArrayList<>(byKey.values());
  }

  /** Merges the JSON request body's properties into the input schema. */
  private void body(String id, Operation op, ObjectNode properties, ArrayNode required) {
    if (!op.operation().has("requestBody")) {
      return;
    }
    JsonNode requestBody = resolve(op.operation().get("requestBody"));
    JsonNode media = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = requestBody.path("content").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String type = e.getKey().toLowerCase(Locale.ROOT);
      if (type.startsWith("application/json") || type.matches("application/[^;]*\\+json.*")) {
        media = e.getValue();
        break;
      }
    }
    if (media == null) {
      if (requestBody.path("required").asBoolean(false)) {
        throw invalid(id + ": only JSON request bodies are supported");
      }
      return;
    }
    JsonNode schema = inline(media.path("schema"), 0);
    if (!schema.path("properties").isObject()) {
      throw invalid(id + ": the request body schema must be an object with properties");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = schema.get("properties").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (properties.has(e.getKey())) {
        throw invalid(id + ": a body property has a parameter's name");
      }
      properties.set(e.getKey(), e.getValue());
    }
    for (JsonNode name : schema.path("required")) {
      required.add(name.asText());
    }
  }

  /** Follows a {@code $ref} chain (parameters, request bodies, path items) without inlining. */
  private JsonNode resolve(JsonNode node) {
    Deque<String> seen = new ArrayDeque<>();
    JsonNode current = node;
    while (current.isObject() && current.path("$ref").isTextual()) {
      String ref = current.get("$ref").asText();
      if (seen.contains(ref) || seen.size() > MAX_DEPTH) {
        throw new ToolsFileException(OPENAPI_REF_INVALID, "a $ref chain loops");
      }
      seen.push(ref);
      current = target(ref);
    }
    return current;
  }

  /** A copy of a schema with every local {@code $ref} replaced by what it points at. */
  private JsonNode inline(JsonNode node, int depth) {
    if (depth > MAX_DEPTH || ++nodes > MAX_NODES) {
      throw new ToolsFileException(OPENAPI_REF_INVALID, "a schema nests or expands too far");
    }
    if (node.isArray()) {
      ArrayNode copy = JsonNodeFactory.instance.arrayNode();
      for (JsonNode n : node) {
        copy.add(inline(n, depth + 1));
      }
      return copy;
    }
    if (!node.isObject()) {
      return node.deepCopy();
    }
    if (node.path("$ref").isTextual()) {
      // a recursive schema cannot be inlined: the depth limit refuses it
      return inline(target(node.get("$ref").asText()), depth + 1);
    }
    ObjectNode copy = JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (REFUSED.contains(e.getKey())) {
        throw invalid("dynamic references are not supported");
      }
      if (!DROPPED.contains(e.getKey())) {
        copy.set(e.getKey(), inline(e.getValue(), depth + 1));
      }
    }
    return copy;
  }

  private JsonNode target(String ref) {
    if (!ref.startsWith("#")) {
      throw new ToolsFileException(
          OPENAPI_REMOTE_REF, "$ref " + ToolsFile.clip(ref) + " leaves the document; not fetched");
    }
    JsonNode target;
    try {
      target = root.at(JsonPointer.compile(ref.substring(1)));
    } catch (IllegalArgumentException e) {
      throw new ToolsFileException(
          OPENAPI_REF_INVALID, "$ref " + ToolsFile.clip(ref) + " is not a JSON pointer");
    }
    if (target.isMissingNode()) {
      throw new ToolsFileException(
          OPENAPI_REF_INVALID, "$ref " + ToolsFile.clip(ref) + " points at nothing");
    }
    return target;
  }

  private static ToolsFileException invalid(String message) {
    return new ToolsFileException(OPENAPI_INVALID, message);
  }
}
