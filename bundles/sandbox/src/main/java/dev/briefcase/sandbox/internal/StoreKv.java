package dev.briefcase.sandbox.internal;

import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;

/**
 * A {@link KvStore} in the kernel's SQLite store: table {@code sandbox_kv}, one namespace per tool
 * id, so values survive restarts and bundle updates. The quota check and the write happen in one
 * write transaction, so concurrent calls cannot overshoot it.
 */
final class StoreKv implements KvStore {

  /** The store owner name and its migration steps (only ever appended). */
  static final String OWNER = "sandbox_kv";

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE sandbox_kv (tool_id TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL,"
              + " bytes INTEGER NOT NULL, PRIMARY KEY (tool_id, k))");

  private final Store store;
  private final String toolId;
  private final long quota;

  StoreKv(Store store, String toolId, long quota) {
    this.store = store;
    this.toolId = toolId;
    this.quota = quota;
  }

  @Override
  public String get(String key) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT v FROM sandbox_kv WHERE tool_id = ? AND k = ?")) {
            ps.setString(1, toolId);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getString(1) : null;
            }
          }
        });
  }

  @Override
  public void put(String key, String value) {
    long size = KvStore.bytes(key) + KvStore.bytes(value);
    boolean stored =
        store.write(
            c -> {
              long others;
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT COALESCE(SUM(bytes), 0) FROM sandbox_kv WHERE tool_id = ? AND k <>"
                          + " ?")) {
                ps.setString(1, toolId);
                ps.setString(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                  others = rs.next() ? rs.getLong(1) : 0;
                }
              }
              if (others + size > quota) {
                return false;
              }
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "INSERT INTO sandbox_kv (tool_id, k, v, bytes) VALUES (?,?,?,?)"
                          + " ON CONFLICT(tool_id, k) DO UPDATE SET v = excluded.v,"
                          + " bytes = excluded.bytes")) {
                ps.setString(1, toolId);
                ps.setString(2, key);
                ps.setString(3, value);
                ps.setLong(4, size);
                ps.executeUpdate();
              }
              return true;
            });
    if (!stored) {
      throw new Violation("kv quota exceeded");
    }
  }
}
