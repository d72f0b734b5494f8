package dev.briefcase.provider.gateway.internal;

import java.time.Instant;

/** Revoked capability {@code jti}s (SPEC §15 "Capabilities"), kept until {@code keepUntil}. */
interface Denylist {
  boolean isRevoked(String jti);

  void revoke(String jti, Instant keepUntil);
}
