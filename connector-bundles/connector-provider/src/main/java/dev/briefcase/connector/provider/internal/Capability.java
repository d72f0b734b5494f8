package dev.briefcase.connector.provider.internal;

import dev.briefcase.secrets.Sensitive;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * One cached capability (SPEC §8.2). {@code remaining} is guarded by the instance. The value is
 * never printed.
 */
final class Capability {
  /** A capability counts as expired this long before its {@code expires_at}. */
  static final Duration EXPIRY_MARGIN = Duration.ofSeconds(30);

  /** How a capability was minted, as receipts and status name it. */
  enum MintedVia {
    VC,
    OAUTH,
    UNAUTHENTICATED;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  final Sensitive<String> token;
  final Instant expiresAt;
  final MintedVia mintedVia;
  final boolean oauthKey; // bound to the provider's OAuth DPoP key, not dpop:cap.<id>
  final String origin; // the provider origin that minted it; never sent anywhere else
  private int remaining;

  Capability(
      Sensitive<String> token,
      Instant expiresAt,
      int remaining,
      MintedVia mintedVia,
      boolean oauthKey,
      String origin) {
    this.origin = origin;
    this.token = token;
    this.expiresAt = expiresAt;
    this.remaining = remaining;
    this.mintedVia = mintedVia;
    this.oauthKey = oauthKey;
  }

  /** Takes one call if the capability is still valid at {@code now}. */
  synchronized boolean take(Instant now) {
    if (remaining <= 0 || !now.isBefore(expiresAt.minus(EXPIRY_MARGIN))) {
      return false;
    }
    remaining--;
    return true;
  }

  /**
   * Takes one call of a capability just minted: only what the provider said counts (an expiry
   * inside the margin still serves this call, which is being sent now; it is not reused).
   */
  synchronized boolean takeFresh(Instant now) {
    if (remaining <= 0 || !now.isBefore(expiresAt)) {
      return false;
    }
    remaining--;
    return true;
  }

  synchronized int remaining() {
    return remaining;
  }

  @Override
  public String toString() {
    return "Capability[[REDACTED], " + expiresAt + ", via=" + mintedVia.label() + "]";
  }
}
