package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import dev.briefcase.tools.ToolManifest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Tool manifests (SPEC §3): persisted per tool, deny-all when none is stored. Reads are served from
 * memory (the kernel is the only writer); every change is written to the store and receipted.
 */
@Component(service = ManifestBook.class)
public final class ManifestBook {
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE manifests (tool_id TEXT PRIMARY KEY, manifest_json TEXT NOT NULL,"
              + " updated_at TEXT NOT NULL)");

  private final Store store;
  private final ReceiptLog receipts;
  private final Map<String, ToolManifest> manifests = new ConcurrentHashMap<>();

  @Activate
  public ManifestBook(@Reference Store store, @Reference ReceiptLog receipts) {
    this.store = store;
    this.receipts = receipts;
    store.migrate("manifests", MIGRATIONS);
    store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT tool_id, manifest_json FROM manifests");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              manifests.put(rs.getString(1), fromJson(read(rs.getString(2))));
            }
          }
          return null;
        });
  }

  /** The manifest of a tool, deny-all when none was stored. */
  ToolManifest forTool(String toolId, String runtime) {
    ToolManifest m = manifests.get(toolId);
    return m != null ? m : ToolManifest.denyAll(toolId, runtime);
  }

  /** Stores a manifest and writes a {@code manifest_update} receipt. */
  ToolManifest put(ToolManifest manifest) {
    String json = toJson(manifest).toString();
    String now = Instant.now().toString();
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO manifests (tool_id, manifest_json, updated_at) VALUES (?,?,?) ON"
                      + " CONFLICT(tool_id) DO UPDATE SET manifest_json = excluded.manifest_json,"
                      + " updated_at = excluded.updated_at")) {
            ps.setString(1, manifest.toolId());
            ps.setString(2, json);
            ps.setString(3, now);
            return ps.executeUpdate();
          }
        });
    manifests.put(manifest.toolId(), manifest);
    ObjectNode event = CanonicalJson.MAPPER.createObjectNode();
    event.put("type", "manifest_update");
    event.put("tool_id", manifest.toolId());
    event.put("manifest_hash_hex", CanonicalJson.hash(toJson(manifest)));
    event.put("ts", now);
    receipts.append(event);
    return manifest;
  }

  static ObjectNode toJson(ToolManifest m) {
    ObjectNode o = CanonicalJson.MAPPER.createObjectNode();
    o.put("tool_id", m.toolId());
    o.put("runtime", m.runtime());
    ObjectNode egress = o.putObject("egress");
    strings(egress.putArray("allowed_hosts"), m.allowedHosts());
    strings(egress.putArray("allowed_http_path_prefixes"), m.allowedHttpPathPrefixes());
    strings(o.putObject("filesystem").putArray("allowed_path_prefixes"), m.allowedPathPrefixes());
    o.putObject("limits").put("max_output_bytes", m.maxOutputBytes());
    return o;
  }

  /**
   * Parses the manifest JSON of SPEC §3.
   *
   * @throws IllegalArgumentException naming the first bad field
   */
  static ToolManifest fromJson(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("manifest must be a JSON object");
    }
    String toolId = text(o, "tool_id");
    String runtime = o.has("runtime") ? text(o, "runtime") : "builtin";
    JsonNode egress = o.path("egress");
    JsonNode limits = o.path("limits");
    long max =
        limits.has("max_output_bytes")
            ? limits.get("max_output_bytes").asLong(-1)
            : ToolManifest.DEFAULT_MAX_OUTPUT_BYTES;
    return new ToolManifest(
        toolId,
        runtime,
        list(egress.path("allowed_hosts")),
        list(egress.path("allowed_http_path_prefixes")),
        list(o.path("filesystem").path("allowed_path_prefixes")),
        max);
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
      throw new IllegalArgumentException(field + " must be a non-empty string");
    }
    return v.textValue();
  }

  private static List<String> list(JsonNode a) {
    List<String> out = new ArrayList<>();
    if (a.isMissingNode() || a.isNull()) {
      return out;
    }
    if (!a.isArray()) {
      throw new IllegalArgumentException("manifest lists must be arrays of strings");
    }
    for (JsonNode v : a) {
      if (!v.isTextual()) {
        throw new IllegalArgumentException("manifest lists must be arrays of strings");
      }
      out.add(v.textValue());
    }
    return out;
  }

  private static void strings(ArrayNode a, List<String> values) {
    values.forEach(a::add);
  }

  private static JsonNode read(String json) {
    try {
      return CanonicalJson.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt stored manifest", e);
    }
  }
}
