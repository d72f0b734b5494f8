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
 * Tool manifests (SPEC §3): persisted per owner and tool, deny-all when none is stored. The owner
 * is the bundle symbolic name that owns the tool id in the {@link ToolRegistry}, so a manifest
 * granted to tool X of bundle A never applies to a tool X of bundle B. Reads are served from memory
 * (the kernel is the only writer); every change is written to the store and receipted.
 *
 * <p>Rows stored before manifests had owners are bound to the built-in connector bundle ({@value
 * #BUILTIN_OWNER}) by the migration: a plugin's tool that had a manifest then is deny-all until an
 * operator stores its manifest again, and no plugin can inherit a built-in tool's grant.
 */
@Component(service = {ManifestBook.class, ManifestService.class})
public final class ManifestBook implements ManifestService {
  /** The owner that rows stored before manifests had owners are bound to. */
  static final String BUILTIN_OWNER = "dev.briefcase.connector.builtin";

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE manifests (tool_id TEXT PRIMARY KEY, manifest_json TEXT NOT NULL,"
              + " updated_at TEXT NOT NULL)",
          "CREATE TABLE tool_manifests (owner TEXT NOT NULL, tool_id TEXT NOT NULL,"
              + " manifest_json TEXT NOT NULL, updated_at TEXT NOT NULL,"
              + " PRIMARY KEY (owner, tool_id));"
              + " INSERT INTO tool_manifests (owner, tool_id, manifest_json, updated_at)"
              + " SELECT '"
              + BUILTIN_OWNER
              + "', tool_id, manifest_json, updated_at FROM manifests;"
              + " DROP TABLE manifests");

  private final Store store;
  private final ReceiptLog receipts;
  private final ToolRegistry registry;
  private final Map<Key, ToolManifest> manifests = new ConcurrentHashMap<>();

  @Activate
  public ManifestBook(
      @Reference Store store, @Reference ReceiptLog receipts, @Reference ToolRegistry registry) {
    this.store = store;
    this.receipts = receipts;
    this.registry = registry;
    store.migrate("manifests", MIGRATIONS);
    store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT owner, tool_id, manifest_json FROM tool_manifests");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              manifests.put(
                  new Key(rs.getString(1), rs.getString(2)),
                  ManifestCodec.fromJson(read(rs.getString(3))));
            }
          }
          return null;
        });
  }

  /** The manifest of the tool's current owner; deny-all when no bundle offers the tool. */
  @Override
  public ToolManifest effective(String toolId) {
    String owner = registry.owner(toolId);
    return owner == null
        ? ToolManifest.denyAll(toolId, "builtin")
        : forTool(owner, toolId, "builtin");
  }

  @Override
  public boolean stored(String toolId) {
    String owner = registry.owner(toolId);
    return owner != null && manifests.containsKey(new Key(owner, toolId));
  }

  /** The manifest of a tool of this owner, deny-all when none was stored. */
  ToolManifest forTool(String owner, String toolId, String runtime) {
    ToolManifest m = manifests.get(new Key(owner, toolId));
    return m != null ? m : ToolManifest.denyAll(toolId, runtime);
  }

  /**
   * Stores the manifest for the bundle that owns the tool id now.
   *
   * @throws IllegalArgumentException when the manifest is invalid, or no bundle offers the tool
   *     ({@code unknown_tool}: a manifest is granted to a tool of a known owner, never in advance)
   */
  @Override
  public ToolManifest put(ToolManifest manifest, String actor) {
    ManifestCodec.check(manifest);
    String owner = registry.owner(manifest.toolId());
    if (owner == null) {
      throw new IllegalArgumentException(
          "unknown_tool: no plugin offers tool "
              + manifest.toolId()
              + "; a manifest is bound to the bundle that owns the tool");
    }
    String json = ManifestCodec.toJson(manifest).toString();
    String now = Instant.now().toString();
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO tool_manifests (owner, tool_id, manifest_json, updated_at)"
                      + " VALUES (?,?,?,?) ON CONFLICT(owner, tool_id) DO UPDATE SET"
                      + " manifest_json = excluded.manifest_json,"
                      + " updated_at = excluded.updated_at")) {
            ps.setString(1, owner);
            ps.setString(2, manifest.toolId());
            ps.setString(3, json);
            ps.setString(4, now);
            return ps.executeUpdate();
          }
        });
    manifests.put(new Key(owner, manifest.toolId()), manifest);
    ObjectNode event = CanonicalJson.MAPPER.createObjectNode();
    event.put("type", "manifest_update");
    event.put("tool_id", manifest.toolId());
    event.put("owner", owner);
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

  /** A manifest's key: the owning bundle's symbolic name and the tool id. */
  private record Key(String owner, String toolId) {}
}
