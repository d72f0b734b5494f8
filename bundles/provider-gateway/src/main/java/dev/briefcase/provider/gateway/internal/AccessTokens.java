package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.Arrays;

/**
 * Access tokens of the reference AS (CONTRACT.md) as the mint accepts them: EdDSA JWT signed by the
 * same identity key, {@code typ: at+jwt}, {@code iss} and {@code aud} = the base URL, not expired,
 * {@code scope} holding the tool's scope, and {@code cnf.jkt} when bound. A capability token
 * ({@code typ: JWT}) is refused here.
 */
final class AccessTokens {
  private final TokenKey key;
  private final Clock clock;
  private final String baseUrl;

  AccessTokens(TokenKey key, Clock clock, String baseUrl) {
    this.key = key;
    this.clock = clock;
    this.baseUrl = baseUrl;
  }

  /** A verified access token; {@code jkt} null when not DPoP-bound. */
  record Access(String clientId, String[] scopes, String jkt) {
    boolean hasScope(String scope) {
      return Arrays.asList(scopes).contains(scope);
    }
  }

  Access verify(String token) {
    ObjectNode c = Jws.verify(key, token, "at+jwt");
    if (!baseUrl.equals(Jws.text(c, "iss"))) {
      throw Jws.invalid("wrong iss");
    }
    JsonNode aud = c.get("aud");
    boolean audOk =
        aud != null
            && (aud.isTextual()
                ? baseUrl.equals(aud.asText())
                : aud.isArray() && aud.size() == 1 && baseUrl.equals(aud.get(0).asText()));
    if (!audOk) {
      throw Jws.invalid("wrong aud");
    }
    JsonNode exp = c.get("exp");
    if (exp == null
        || !exp.isIntegralNumber()
        || clock.instant().getEpochSecond() >= exp.asLong()) {
      throw Jws.invalid("expired");
    }
    String scope = Jws.text(c, "scope");
    if (scope == null) {
      throw Jws.invalid("no scope");
    }
    String jkt = null;
    JsonNode cnf = c.get("cnf");
    if (cnf != null) {
      jkt = Jws.text(cnf, "jkt");
      if (jkt == null || jkt.isEmpty()) {
        throw Jws.invalid("cnf without jkt");
      }
    }
    return new Access(Jws.text(c, "client_id"), scope.split(" "), jkt);
  }
}
