package dev.briefcase.provider.oauth.internal;

import dev.briefcase.store.Store;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the AS keeps across a restart (migration owner {@code provider_oauth}): registered clients,
 * grants (one per authorization code exchanged; a refresh token family) and refresh tokens, stored
 * only as the b64url SHA-256 of their value. A grant with {@code revoked_at} set refuses every
 * refresh token of its family. Thread-safe: every change is one store transaction.
 */
final class GrantTable {
  static final String OWNER = "provider_oauth";
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE provider_oauth_clients (client_id TEXT PRIMARY KEY, client_name TEXT,"
              + " redirect_uris TEXT NOT NULL, created_at INTEGER NOT NULL);"
              + " CREATE TABLE provider_oauth_grants (grant_id TEXT PRIMARY KEY, client_id TEXT"
              + " NOT NULL, scope TEXT NOT NULL, resource TEXT NOT NULL, jkt TEXT, created_at"
              + " INTEGER NOT NULL, revoked_at INTEGER);"
              + " CREATE TABLE provider_oauth_refresh_tokens (token_hash TEXT PRIMARY KEY,"
              + " grant_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);"
              + " CREATE INDEX provider_oauth_refresh_by_grant ON"
              + " provider_oauth_refresh_tokens (grant_id)");

  /** A registered public client; {@code redirectUris} is newline-separated. */
  record Client(String clientId, String name, List<String> redirectUris, Instant createdAt) {}

  /** A grant: the family of refresh tokens one authorization code started. */
  record Grant(
      String grantId,
      String clientId,
      String scope,
      String resource,
      String jkt,
      boolean revoked) {}

  /** A refresh token row (never the value). */
  record RefreshRow(String grantId, Instant expiresAt, boolean used) {}

  private final Store store;

  GrantTable(Store store) {
    this.store = store;
    store.migrate(OWNER, MIGRATIONS);
  }

  int clientCount() {
    return store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT COUNT(*) FROM provider_oauth_clients");
              ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getInt(1) : 0;
          }
        });
  }

  void insertClient(Client client) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO provider_oauth_clients (client_id, client_name, redirect_uris,"
                      + " created_at) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, client.clientId());
            ps.setString(2, client.name());
            ps.setString(3, String.join("\n", client.redirectUris()));
            ps.setLong(4, client.createdAt().getEpochSecond());
            return ps.executeUpdate();
          }
        });
  }

  Optional<Client> client(String clientId) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT client_name, redirect_uris, created_at FROM provider_oauth_clients"
                      + " WHERE client_id = ?")) {
            ps.setString(1, clientId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              return Optional.of(
                  new Client(
                      clientId,
                      rs.getString(1),
                      List.of(rs.getString(2).split("\n")),
                      Instant.ofEpochSecond(rs.getLong(3))));
            }
          }
        });
  }

  /** Stores a new grant and its first refresh token in one transaction. */
  void insertGrant(Grant grant, String refreshHash, Instant now, Instant refreshExpires) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO provider_oauth_grants (grant_id, client_id, scope, resource, jkt,"
                      + " created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, grant.grantId());
            ps.setString(2, grant.clientId());
            ps.setString(3, grant.scope());
            ps.setString(4, grant.resource());
            ps.setString(5, grant.jkt());
            ps.setLong(6, now.getEpochSecond());
            ps.executeUpdate();
          }
          insertRefresh(c, refreshHash, grant.grantId(), refreshExpires);
          // expired refresh tokens of every family are dropped as new ones arrive
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM provider_oauth_refresh_tokens WHERE expires_at < ?")) {
            ps.setLong(1, now.getEpochSecond());
            ps.executeUpdate();
          }
          return null;
        });
  }

  Optional<Grant> grant(String grantId) {
    return store.read(c -> grant(c, grantId));
  }

  Optional<RefreshRow> refresh(String refreshHash) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT grant_id, expires_at, used_at FROM provider_oauth_refresh_tokens WHERE"
                      + " token_hash = ?")) {
            ps.setString(1, refreshHash);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              long used = rs.getLong(3);
              boolean wasUsed = !rs.wasNull();
              return Optional.of(
                  new RefreshRow(rs.getString(1), Instant.ofEpochSecond(rs.getLong(2)), wasUsed));
            }
          }
        });
  }

  /**
   * Rotates: marks {@code oldHash} used and stores {@code newHash} in the same family, atomically.
   * False when {@code oldHash} was used already (a concurrent reuse): nothing is stored then.
   */
  boolean rotate(String oldHash, String grantId, String newHash, Instant now, Instant expires) {
    return store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE provider_oauth_refresh_tokens SET used_at = ? WHERE token_hash = ? AND"
                      + " used_at IS NULL AND grant_id = ?")) {
            ps.setLong(1, now.getEpochSecond());
            ps.setString(2, oldHash);
            ps.setString(3, grantId);
            if (ps.executeUpdate() != 1) {
              return false;
            }
          }
          Optional<Grant> g = grant(c, grantId);
          if (g.isEmpty() || g.get().revoked()) {
            return false;
          }
          insertRefresh(c, newHash, grantId, expires);
          return true;
        });
  }

  /** Revokes a grant: every refresh token of its family is refused from now on. */
  void revokeGrant(String grantId, Instant now) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE provider_oauth_grants SET revoked_at = ? WHERE grant_id = ? AND"
                      + " revoked_at IS NULL")) {
            ps.setLong(1, now.getEpochSecond());
            ps.setString(2, grantId);
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM provider_oauth_refresh_tokens WHERE grant_id = ?")) {
            ps.setString(1, grantId);
            ps.executeUpdate();
          }
          return null;
        });
  }

  /** Ids of revoked grants (for tests and operators; small: one row per login). */
  List<String> revokedGrants() {
    return store.read(
        c -> {
          List<String> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT grant_id FROM provider_oauth_grants WHERE revoked_at IS NOT NULL");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(rs.getString(1));
            }
          }
          return out;
        });
  }

  private static Optional<Grant> grant(Connection c, String grantId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT client_id, scope, resource, jkt, revoked_at FROM provider_oauth_grants WHERE"
                + " grant_id = ?")) {
      ps.setString(1, grantId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        String client = rs.getString(1);
        String scope = rs.getString(2);
        String resource = rs.getString(3);
        String jkt = rs.getString(4);
        rs.getLong(5);
        boolean revoked = !rs.wasNull();
        return Optional.of(new Grant(grantId, client, scope, resource, jkt, revoked));
      }
    }
  }

  private static void insertRefresh(Connection c, String hash, String grantId, Instant expires)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO provider_oauth_refresh_tokens (token_hash, grant_id, expires_at) VALUES"
                + " (?, ?, ?)")) {
      ps.setString(1, hash);
      ps.setString(2, grantId);
      ps.setLong(3, expires.getEpochSecond());
      ps.executeUpdate();
    }
  }
}
