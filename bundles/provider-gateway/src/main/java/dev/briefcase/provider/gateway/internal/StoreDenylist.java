package dev.briefcase.provider.gateway.internal;

import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The jti denylist in the SQLite store (migration owner {@code provider_gateway}, table {@code
 * provider_revoked_jti}): survives a restart; a row is kept until its {@code keep_until} (the
 * token's expiry + 1 h, at least) and purged on later revocations. Read per request, so a
 * revocation holds at once.
 */
final class StoreDenylist implements Denylist {
  static final String OWNER = "provider_gateway";
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE provider_revoked_jti (jti TEXT PRIMARY KEY NOT NULL,"
              + " keep_until INTEGER NOT NULL, revoked_at INTEGER NOT NULL)");

  private final Store store;
  private final Clock clock;

  StoreDenylist(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
    store.migrate(OWNER, MIGRATIONS);
  }

  @Override
  public boolean isRevoked(String jti) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT 1 FROM provider_revoked_jti WHERE jti = ?")) {
            ps.setString(1, jti);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  @Override
  public void revoke(String jti, Instant keepUntil) {
    long now = clock.millis();
    store.write(
        c -> {
          try (PreparedStatement purge =
              c.prepareStatement("DELETE FROM provider_revoked_jti WHERE keep_until < ?")) {
            purge.setLong(1, now);
            purge.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO provider_revoked_jti (jti, keep_until, revoked_at) VALUES (?, ?, ?)"
                      + " ON CONFLICT(jti) DO UPDATE SET keep_until ="
                      + " MAX(keep_until, excluded.keep_until)")) {
            ps.setString(1, jti);
            ps.setLong(2, keepUntil.toEpochMilli());
            ps.setLong(3, now);
            ps.executeUpdate();
          }
          return null;
        });
  }
}
