package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.manifests.ManifestCodec;
import dev.briefcase.manifests.ManifestService;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import dev.briefcase.tools.ToolManifest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
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
@Component(service = {ManifestBook.class, ManifestService.class})
public final class ManifestBook implements ManifestService {
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
              manifests.put(rs.getString(1), ManifestCodec.fromJson(read(rs.getString(2))));
            }
          }
          return null;
        });
  }

  @Override
  public ToolManifest effective(String toolId) {
    return forTool(toolId, "builtin");
  }

  @Override
  public boolean stored(String toolId) {
    return manifests.containsKey(toolId);
  }

  /** The manifest of a tool, deny-all when none was stored. */
  ToolManifest forTool(String toolId, String runtime) {
    ToolManifest m = manifests.get(toolId);
    return m != null ? m : ToolManifest.denyAll(toolId, runtime);
  }

  @Override
  public ToolManifest put(ToolManifest manifest, String actor) {
    ManifestCodec.check(manifest);
    String json = ManifestCodec.toJson(manifest).toString();
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
    event.put("manifest_hash_hex", CanonicalJson.hash(ManifestCodec.toJson(manifest)));
    event.put("actor", actor);
    event.put("ts", now);
    receipts.append(event);
    return manifest;
  }

  private static JsonNode read(String json) {
    try {
      return CanonicalJson.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt stored manifest", e);
    }
  }
}
