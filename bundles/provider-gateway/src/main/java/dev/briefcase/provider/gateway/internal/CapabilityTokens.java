package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;

/**
 * Capability tokens (SPEC §8.2): EdDSA JWT, header {@code typ: JWT} and the identity key's {@code
 * kid}; claims {@code iss}, {@code iat}, {@code exp}, {@code jti}, {@code scope}, {@code
 * max_calls}, {@code cost_microusd}, {@code cnf.jkt} when bound, the optional caveats {@code
 * max_bytes} and {@code aud}.
 */
final class CapabilityTokens {
  private final TokenKey key;
  private final Clock clock;
  private final String issuer;

  CapabilityTokens(TokenKey key, Clock clock, String issuer) {
    this.key = key;
    this.clock = clock;
    this.issuer = issuer;
  }

  /** What a mint grants. {@code maxBytes} 0 and {@code aud} null: no caveat. */
  record Grant(
      String scope,
      int maxCalls,
      long costMicroUsd,
      String jkt,
      long ttlSeconds,
      long maxBytes,
      String aud) {}

  /** A minted token. */
  record Minted(String token, String jti, Instant expiresAt) {}

  /** A verified token. {@code maxBytes} 0 and {@code aud} null when absent. */
  record Capability(
      String jti,
      Instant expiresAt,
      String[] scopes,
      int maxCalls,
      String jkt,
      long maxBytes,
      String aud) {
    boolean hasScope(String scope) {
      return Arrays.asList(scopes).contains(scope);
    }
  }

  /**
   * A token fixed before it is signed: its {@code jti} and {@code iat} with the grant. Signing the
   * same plan again gives a token with the same claims (Ed25519 is deterministic: the same bytes
   * while the identity key is the same), so a re-issue never adds calls, time or a jti to revoke.
   */
  record Planned(String jti, long iat, Grant grant) {
    Instant expiresAt() {
      return Instant.ofEpochSecond(iat + grant.ttlSeconds());
    }
  }

  Minted mint(Grant grant) {
    return sign(plan(grant));
  }

  /** A fresh jti and now as {@code iat}. */
  Planned plan(Grant grant) {
    return new Planned(UUID.randomUUID().toString(), clock.instant().getEpochSecond(), grant);
  }

  /** Signs {@code planned}; the same plan always gives the same claims. */
  Minted sign(Planned planned) {
    Grant grant = planned.grant();
    long iat = planned.iat();
    long exp = planned.expiresAt().getEpochSecond();
    String jti = planned.jti();
    ObjectNode claims =
        Json.newObject()
            .put("iss", issuer)
            .put("iat", iat)
            .put("exp", exp)
            .put("jti", jti)
            .put("scope", grant.scope())
            .put("max_calls", grant.maxCalls())
            .put("cost_microusd", grant.costMicroUsd());
    if (grant.jkt() != null) {
      claims.putObject("cnf").put("jkt", grant.jkt());
    }
    if (grant.maxBytes() > 0) {
      claims.put("max_bytes", grant.maxBytes());
    }
    if (grant.aud() != null && !grant.aud().isEmpty()) {
      claims.put("aud", grant.aud());
    }
    return new Minted(Jws.sign(key, "JWT", claims), jti, Instant.ofEpochSecond(exp));
  }

  /**
   * Signature, {@code typ: JWT}, issuer, well-formed claims and, unless {@code ignoreExpiry}, not
   * expired; else {@code invalid_token}. An access token ({@code typ: at+jwt}) is refused here.
   */
  Capability verify(String token, boolean ignoreExpiry) {
    ObjectNode c = Jws.verify(key, token, "JWT");
    if (!issuer.equals(Jws.text(c, "iss"))) {
      throw Jws.invalid("wrong iss");
    }
    String jti = Jws.text(c, "jti");
    if (jti == null || jti.isEmpty() || jti.length() > 128) {
      throw Jws.invalid("jti missing");
    }
    JsonNode exp = c.get("exp");
    JsonNode iat = c.get("iat");
    JsonNode maxCalls = c.get("max_calls");
    String scope = Jws.text(c, "scope");
    if (exp == null
        || !exp.canConvertToLong()
        || !exp.isIntegralNumber()
        || iat == null
        || !iat.isIntegralNumber()
        || maxCalls == null
        || !maxCalls.isInt()
        || maxCalls.asInt() < 0
        || scope == null) {
      throw Jws.invalid("claims malformed");
    }
    Instant expiresAt = Instant.ofEpochSecond(exp.asLong());
    if (!ignoreExpiry && !clock.instant().isBefore(expiresAt)) {
      throw Jws.invalid("expired");
    }
    String jkt = null;
    JsonNode cnf = c.get("cnf");
    if (cnf != null) {
      jkt = Jws.text(cnf, "jkt");
      if (jkt == null || jkt.isEmpty()) {
        throw Jws.invalid("cnf without jkt");
      }
    }
    long maxBytes = 0;
    JsonNode mb = c.get("max_bytes");
    if (mb != null) {
      if (!mb.isIntegralNumber() || mb.asLong() <= 0) {
        throw Jws.invalid("max_bytes malformed");
      }
      maxBytes = mb.asLong();
    }
    String aud = null;
    if (c.has("aud")) {
      aud = Jws.text(c, "aud");
      if (aud == null) {
        throw Jws.invalid("aud malformed");
      }
    }
    return new Capability(jti, expiresAt, scope.split(" "), maxCalls.asInt(), jkt, maxBytes, aud);
  }
}
