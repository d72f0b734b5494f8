package dev.briefcase.l402;

import java.time.Instant;
import java.util.function.Predicate;

/**
 * The verifying side of the vectors' harness, built from this library: what an L402 server answers
 * to an Authorization value (200, 401 for a credential that does not verify, 402 for one that does
 * not parse).
 */
final class L402Server {
  private final byte[] rootSecret;
  private final Instant now;

  L402Server(byte[] rootSecret, Instant now) {
    this.rootSecret = rootSecret;
    this.now = now;
  }

  int answer(String authorization) {
    L402Authorization auth;
    Macaroon macaroon;
    L402Identifier id;
    try {
      auth = L402Authorization.parse(authorization);
      macaroon = Macaroon.parseBase64(auth.macaroon());
      id = L402Identifier.parse(macaroon.identifier());
    } catch (L402Exception e) {
      return 402;
    }
    try {
      byte[] rootKey = Macaroon.hmac(rootSecret, id.tokenId());
      macaroon.verify(rootKey, caveats());
    } catch (L402Exception e) {
      return 401;
    }
    return Preimage.matches(auth.preimageHex(), id.paymentHash()) ? 200 : 401;
  }

  private Predicate<String> caveats() {
    return c -> {
      if (c.equals("services=quote:0") || c.equals("quote_capabilities=read")) {
        return true;
      }
      if (c.startsWith("quote_valid_until=")) {
        return Long.parseLong(c.substring("quote_valid_until=".length())) > now.getEpochSecond();
      }
      return false;
    };
  }
}
