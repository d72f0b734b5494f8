package dev.briefcase.provider.gateway.internal;

import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Spent L402 token ids in the SQLite store (migration owner {@code provider_gateway_l402}, table
 * {@code provider_l402_spent}): a paid macaroon mints once, also across restarts. A row is kept
 * until the macaroon's validity caveat + 1 h (after that the macaroon is refused anyway) and purged
 * on later spends.
 */
final class L402Tokens {
  static final String OWNER = "provider_gateway_l402";
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE provider_l402_spent (token_id TEXT PRIMARY KEY NOT NULL,"
              + " keep_until INTEGER NOT NULL, spent_at INTEGER NOT NULL)");

  private final Store store;
  private final Clock clock;

  L402Tokens(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
    store.migrate(OWNER, MIGRATIONS);
  }

  boolean isSpent(String tokenIdHex) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT 1 FROM provider_l402_spent WHERE token_id = ?")) {
            ps.setString(1, tokenIdHex);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  /** Records a spend; false when the id was already spent (the insert is the arbiter). */
  boolean spend(String tokenIdHex, Instant keepUntil) {
    long now = clock.millis();
    return store.write(
        c -> {
          try (PreparedStatement purge =
              c.prepareStatement("DELETE FROM provider_l402_spent WHERE keep_until < ?")) {
            purge.setLong(1, now);
            purge.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO provider_l402_spent (token_id, keep_until, spent_at)"
                      + " VALUES (?, ?, ?) ON CONFLICT(token_id) DO NOTHING")) {
            ps.setString(1, tokenIdHex);
            ps.setLong(2, keepUntil.toEpochMilli());
            ps.setLong(3, now);
            return ps.executeUpdate() == 1;
          }
        });
  }
}
