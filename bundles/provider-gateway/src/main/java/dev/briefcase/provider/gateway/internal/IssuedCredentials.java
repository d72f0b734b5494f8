package dev.briefcase.provider.gateway.internal;

import dev.briefcase.store.Store;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The issued-credential table in the store (migration owner {@code provider_gateway_vc}, table
 * {@code provider_vc_issued}): one row per VC with its holder, its status list index (unique), its
 * validity and its revocation and suspension. The status lists are rebuilt from it at start.
 */
final class IssuedCredentials {
  static final String OWNER = "provider_gateway_vc";
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE provider_vc_issued (id TEXT PRIMARY KEY NOT NULL,"
              + " holder TEXT NOT NULL, status_index INTEGER NOT NULL UNIQUE,"
              + " issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER,"
              + " suspended INTEGER NOT NULL DEFAULT 0)",
          "CREATE INDEX provider_vc_issued_holder ON provider_vc_issued (holder)");

  private static final String COLUMNS =
      "id, holder, status_index, issued_at, expires_at, revoked_at, suspended";

  /**
   * One issued credential; times in epoch milliseconds.
   *
   * @param revokedAt null while not revoked
   */
  record Row(
      String id,
      String holder,
      int index,
      long issuedAt,
      long expiresAt,
      Long revokedAt,
      boolean suspended) {}

  private final Store store;

  IssuedCredentials(Store store) {
    this.store = store;
    store.migrate(OWNER, MIGRATIONS);
  }

  List<Row> all() {
    return store.read(c -> select(c, "SELECT " + COLUMNS + " FROM provider_vc_issued", null));
  }

  Optional<Row> byId(String id) {
    List<Row> rows =
        store.read(
            c -> select(c, "SELECT " + COLUMNS + " FROM provider_vc_issued WHERE id = ?", id));
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  List<Row> byHolder(String holder) {
    return store.read(
        c -> select(c, "SELECT " + COLUMNS + " FROM provider_vc_issued WHERE holder = ?", holder));
  }

  void insert(Row row) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO provider_vc_issued ("
                      + COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?, NULL, 0)")) {
            ps.setString(1, row.id());
            ps.setString(2, row.holder());
            ps.setInt(3, row.index());
            ps.setLong(4, row.issuedAt());
            ps.setLong(5, row.expiresAt());
            ps.executeUpdate();
          }
          return null;
        });
  }

  /** Marks the rows revoked (the first revocation time is kept). */
  void revoke(List<String> ids, long at) {
    update(
        "UPDATE provider_vc_issued SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", ids, at);
  }

  void suspend(List<String> ids, boolean suspended) {
    update("UPDATE provider_vc_issued SET suspended = ? WHERE id = ?", ids, suspended ? 1 : 0);
  }

  private void update(String sql, List<String> ids, long value) {
    store.write(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (String id : ids) {
              ps.setLong(1, value);
              ps.setString(2, id);
              ps.executeUpdate();
            }
          }
          return null;
        });
  }

  private static List<Row> select(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (arg != null) {
        ps.setString(1, arg);
      }
      try (ResultSet rs = ps.executeQuery()) {
        List<Row> rows = new ArrayList<>();
        while (rs.next()) {
          long revoked = rs.getLong(6);
          Long revokedAt = rs.wasNull() ? null : revoked;
          rows.add(
              new Row(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getInt(3),
                  rs.getLong(4),
                  rs.getLong(5),
                  revokedAt,
                  rs.getInt(7) != 0));
        }
        return rows;
      }
    }
  }
}
