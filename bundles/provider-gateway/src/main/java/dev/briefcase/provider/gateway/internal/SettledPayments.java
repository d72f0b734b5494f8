package dev.briefcase.provider.gateway.internal;

import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * x402 authorizations this provider settled, in the SQLite store (migration owner {@code
 * provider_gateway_x402}, table {@code provider_x402_settled}): {@code (authorizer, nonce)} -> the
 * SHA-256 of the settled signature, the DPoP key thumbprint of the paid mint, the {@code
 * PAYMENT-RESPONSE} facts and the claims of the capability it minted. A payer whose answer was lost
 * re-sends the same authorization; this record lets the provider give the same token again without
 * a second settlement, also after a restart. A row is kept until the later of the token's expiry
 * and the authorization's {@code validBefore}, + 1 h, and purged on later inserts. No signature is
 * stored, only its hash.
 */
final class SettledPayments {
  static final String OWNER = "provider_gateway_x402";
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE provider_x402_settled (authorizer TEXT NOT NULL, nonce TEXT NOT NULL,"
              + " signature_sha256 TEXT NOT NULL, jkt TEXT NOT NULL, payer TEXT NOT NULL,"
              + " tx TEXT NOT NULL, network TEXT NOT NULL, jti TEXT NOT NULL,"
              + " iat INTEGER NOT NULL, exp INTEGER NOT NULL, scope TEXT NOT NULL,"
              + " max_calls INTEGER NOT NULL, cost_microusd INTEGER NOT NULL,"
              + " max_bytes INTEGER NOT NULL, aud TEXT, keep_until INTEGER NOT NULL,"
              + " settled_at INTEGER NOT NULL, PRIMARY KEY (authorizer, nonce))");

  /** One settled authorization and what it bought. */
  record Receipt(
      String authorizer,
      String nonce,
      String signatureSha256,
      String jkt,
      X402Acceptor.Settled settled,
      CapabilityTokens.Planned token) {}

  private static final long KEEP_AFTER_MILLIS = 3_600_000L;

  private final Store store;
  private final Clock clock;

  SettledPayments(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
    store.migrate(OWNER, MIGRATIONS);
  }

  /** The receipt of a settled {@code (authorizer, nonce)} (both lower-case), if any. */
  Optional<Receipt> find(String authorizer, String nonce) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT signature_sha256, jkt, payer, tx, network, jti, iat, exp, scope,"
                      + " max_calls, cost_microusd, max_bytes, aud FROM provider_x402_settled"
                      + " WHERE authorizer = ? AND nonce = ?")) {
            ps.setString(1, authorizer);
            ps.setString(2, nonce);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              CapabilityTokens.Planned token =
                  new CapabilityTokens.Planned(
                      rs.getString("jti"),
                      rs.getLong("iat"),
                      new CapabilityTokens.Grant(
                          rs.getString("scope"),
                          rs.getInt("max_calls"),
                          rs.getLong("cost_microusd"),
                          rs.getString("jkt"),
                          rs.getLong("exp") - rs.getLong("iat"),
                          rs.getLong("max_bytes"),
                          rs.getString("aud")));
              return Optional.of(
                  new Receipt(
                      authorizer,
                      nonce,
                      rs.getString("signature_sha256"),
                      rs.getString("jkt"),
                      new X402Acceptor.Settled(
                          rs.getString("payer"), rs.getString("tx"), rs.getString("network")),
                      token));
            }
          }
        });
  }

  /**
   * Records a settlement; false when the pair was already recorded (the first record stands).
   *
   * @param validBefore the authorization's {@code validBefore}
   */
  boolean record(Receipt r, Instant validBefore) {
    long now = clock.millis();
    long until =
        Math.max(r.token().expiresAt().toEpochMilli(), validBefore.toEpochMilli())
            + KEEP_AFTER_MILLIS;
    CapabilityTokens.Grant g = r.token().grant();
    return store.write(
        c -> {
          try (PreparedStatement purge =
              c.prepareStatement("DELETE FROM provider_x402_settled WHERE keep_until < ?")) {
            purge.setLong(1, now);
            purge.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO provider_x402_settled (authorizer, nonce, signature_sha256, jkt,"
                      + " payer, tx, network, jti, iat, exp, scope, max_calls, cost_microusd,"
                      + " max_bytes, aud, keep_until, settled_at)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      + " ON CONFLICT(authorizer, nonce) DO NOTHING")) {
            int i = 1;
            ps.setString(i++, r.authorizer());
            ps.setString(i++, r.nonce());
            ps.setString(i++, r.signatureSha256());
            ps.setString(i++, r.jkt());
            ps.setString(i++, r.settled().payer());
            ps.setString(i++, r.settled().transaction());
            ps.setString(i++, r.settled().network());
            ps.setString(i++, r.token().jti());
            ps.setLong(i++, r.token().iat());
            ps.setLong(i++, r.token().expiresAt().getEpochSecond());
            ps.setString(i++, g.scope());
            ps.setInt(i++, g.maxCalls());
            ps.setLong(i++, g.costMicroUsd());
            ps.setLong(i++, g.maxBytes());
            ps.setString(i++, g.aud());
            ps.setLong(i++, until);
            ps.setLong(i++, now);
            return ps.executeUpdate() == 1;
          }
        });
  }
}
