package dev.briefcase.kernel.internal;

import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which bundle (by symbolic name) owns each tool id, kept in the store next to the manifests so
 * ownership outlives a restart. The framework cache starts clean at every start, so bundle ids do
 * not survive one; the symbolic name does, and only one bundle with a name ever resolves (the
 * plugin trust gate). Without this, whichever bundle registered a tool id first after a restart
 * would own it, and the manifest granted to the real owner would be the only thing it did not
 * inherit.
 *
 * <p>A row is written when a bundle first claims an id and deleted when {@link ToolRegistry}
 * releases it (its owner uninstalled). Without a store (tests, the bench) ownership is kept in
 * memory only.
 */
@Component(service = ToolOwnerBook.class)
public final class ToolOwnerBook {
  private static final Logger LOG = LoggerFactory.getLogger(ToolOwnerBook.class);

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE tool_owners (tool_id TEXT PRIMARY KEY, owner TEXT NOT NULL,"
              + " claimed_at TEXT NOT NULL)");

  private final Store store; // null: memory only

  /** Ownership kept in memory only. */
  ToolOwnerBook() {
    this.store = null;
  }

  /** Ownership kept in the store's {@code tool_owners} table. */
  @Activate
  public ToolOwnerBook(@Reference Store store) {
    this.store = store;
    store.migrate("tool_owners", MIGRATIONS);
  }

  /** Every stored owner, by tool id. */
  Map<String, String> load() {
    Map<String, String> owners = new HashMap<>();
    if (store == null) {
      return owners;
    }
    store.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT tool_id, owner FROM tool_owners");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              owners.put(rs.getString(1), rs.getString(2));
            }
          }
          return null;
        });
    return owners;
  }

  /** Records that {@code owner} owns {@code toolId} (an id nobody owned). */
  void claim(String toolId, String owner) {
    if (store == null) {
      return;
    }
    try {
      store.write(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO tool_owners (tool_id, owner, claimed_at) VALUES (?,?,?)"
                        + " ON CONFLICT(tool_id) DO UPDATE SET owner = excluded.owner,"
                        + " claimed_at = excluded.claimed_at")) {
              ps.setString(1, toolId);
              ps.setString(2, owner);
              ps.setString(3, Instant.now().toString());
              return ps.executeUpdate();
            }
          });
    } catch (RuntimeException e) {
      // the id stays owned for this run; after a restart its first claimant owns it again
      LOG.warn("could not store the owner {} of tool {}: {}", owner, toolId, e.toString());
    }
  }

  /** Forgets that {@code owner} owns {@code toolId}: the id is free for the next bundle. */
  void release(String toolId, String owner) {
    if (store == null) {
      return;
    }
    try {
      store.write(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM tool_owners WHERE tool_id = ? AND owner = ?")) {
              ps.setString(1, toolId);
              ps.setString(2, owner);
              return ps.executeUpdate();
            }
          });
    } catch (RuntimeException e) {
      // fail closed: the stored owner keeps the id after a restart
      LOG.warn("could not release tool {} of {}: {}", toolId, owner, e.toString());
    }
  }
}
