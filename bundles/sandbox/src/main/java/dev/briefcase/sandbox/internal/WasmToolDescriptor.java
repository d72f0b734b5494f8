package dev.briefcase.sandbox.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.manifests.ManifestCodec;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One tool a bundle contributes, read from a JSON descriptor in the bundle:
 *
 * <pre>{@code
 * {"id": "wasm_fetch", "name": "Fetch", "description": "...", "category": "read",
 *  "cost_usd": 0, "module": "wasm/fetch.wasm",
 *  "input_schema": {...strict JSON Schema 2020-12...}, "output_schema": {...} | absent,
 *  "output_firewall": {"mode": "allow_all"} | {"mode": "allow_paths", "allowed_paths": [...]},
 *  "manifest": {"egress": {...}, "filesystem": {...}, "limits": {...}}}
 * }</pre>
 *
 * <p>{@code manifest} is what the tool declares it needs, a ceiling (see {@link ManifestCeiling}):
 * each of {@code egress.allowed_hosts}, {@code egress.allowed_http_path_prefixes}, {@code
 * filesystem.allowed_path_prefixes} and {@code limits.max_output_bytes} that is present narrows the
 * operator's stored manifest (an empty list: the tool never needs that access); one that is absent
 * leaves that part to the operator alone. A new tool must declare a strict schema ({@code
 * "type":"object"} with {@code additionalProperties:false}), a category and a firewall mode (SPEC
 * §3 Δ).
 *
 * @param spec the tool as the kernel lists it
 * @param modulePath the {@code .wasm} entry in the bundle
 * @param declared the declared manifest (runtime {@code wasm}); absent parts hold empty lists
 * @param ceilings which parts were declared: hosts, HTTP path prefixes, filesystem, output limit
 */
record WasmToolDescriptor(
    ToolSpec spec, String modulePath, ToolManifest declared, ManifestCeiling.Parts ceilings) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern ENTRY = Pattern.compile("[A-Za-z0-9._/-]{1,200}");

  /**
   * Parses and checks one descriptor.
   *
   * @throws IllegalArgumentException naming the first problem, one line
   */
  static WasmToolDescriptor parse(JsonNode d) {
    if (d == null || !d.isObject()) {
      throw new IllegalArgumentException("descriptor must be a JSON object");
    }
    String id = text(d, "id");
    if (!ID.matcher(id).matches() || id.startsWith("mcp_")) {
      throw new IllegalArgumentException("id must match [A-Za-z0-9._-]{1,64}, not mcp_*");
    }
    String module = text(d, "module");
    if (!ENTRY.matcher(module).matches() || module.contains("..") || module.startsWith("/")) {
      throw new IllegalArgumentException("module must be a relative bundle entry");
    }
    JsonNode schema = d.get("input_schema");
    if (schema == null
        || !schema.isObject()
        || !"object".equals(schema.path("type").asText())
        || !schema.path("additionalProperties").isBoolean()
        || schema.path("additionalProperties").asBoolean()) {
      throw new IllegalArgumentException(
          "input_schema must be a strict object schema (additionalProperties: false)");
    }
    String category = text(d, "category");
    JsonNode out = d.get("output_schema");
    if (out != null && !out.isObject() && !out.isNull()) {
      throw new IllegalArgumentException("output_schema must be an object");
    }
    BigDecimal usd = d.has("cost_usd") ? d.get("cost_usd").decimalValue() : BigDecimal.ZERO;
    if (usd.signum() < 0 || usd.scale() > 6 || usd.compareTo(BigDecimal.valueOf(1000)) > 0) {
      throw new IllegalArgumentException("cost_usd must be 0..1000 with at most 6 decimals");
    }
    ToolSpec spec =
        new ToolSpec(
            id,
            d.has("name") ? text(d, "name") : id,
            text(d, "description"),
            JSON.convertValue(schema, OBJECT),
            out == null || out.isNull() ? null : JSON.convertValue(out, OBJECT),
            category,
            usd.movePointRight(6).longValueExact(),
            firewall(d.get("output_firewall")));
    ObjectNode m =
        d.has("manifest") && d.get("manifest").isObject()
            ? ((ObjectNode) d.get("manifest")).deepCopy()
            : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    if (d.has("manifest") && !d.get("manifest").isObject()) {
      throw new IllegalArgumentException("manifest must be an object");
    }
    m.put("tool_id", id);
    m.put("runtime", "wasm");
    ToolManifest declared = ManifestCodec.fromJson(m);
    ManifestCeiling.Parts parts =
        new ManifestCeiling.Parts(
            m.path("egress").has("allowed_hosts"),
            m.path("egress").has("allowed_http_path_prefixes"),
            m.path("filesystem").has("allowed_path_prefixes"),
            m.path("limits").has("max_output_bytes"));
    return new WasmToolDescriptor(spec, module, declared, parts);
  }

  private static OutputFirewall firewall(JsonNode f) {
    if (f == null || !f.isObject()) {
      throw new IllegalArgumentException("output_firewall must be declared");
    }
    String mode = text(f, "mode");
    List<String> paths = new ArrayList<>();
    for (JsonNode p : f.path("allowed_paths")) {
      if (!p.isTextual()) {
        throw new IllegalArgumentException("output_firewall.allowed_paths must be strings");
      }
      paths.add(p.asText());
    }
    return new OutputFirewall(mode, paths);
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual() || v.textValue().isBlank() || v.textValue().length() > 4096) {
      throw new IllegalArgumentException(field + " must be a non-empty string");
    }
    return v.textValue();
  }
}
