package dev.briefcase.dpop;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * Server-issued DPoP nonces (RFC 9449 §8–9): one current nonce, replaced every {@code period}; the
 * current and the previous one are accepted, so a client that fetched a nonce just before a
 * rotation still succeeds once. Nonces are 128 random bits, b64url. Thread-safe; rotation is lazy
 * (on the next call after the period), so no thread is needed.
 */
public final class ServerNonces {
  private final Clock clock;
  private final long periodMillis;
  private final SecureRandom random;
  private String current;
  private String previous;
  private long rotatedAt;

  public ServerNonces(Clock clock, Duration period, SecureRandom random) {
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("nonce period must be positive");
    }
    this.clock = clock;
    this.periodMillis = period.toMillis();
    this.random = random;
    this.current = fresh();
    this.rotatedAt = clock.millis();
  }

  /** Five-minute nonces on the system clock. */
  public ServerNonces() {
    this(Clock.systemUTC(), Duration.ofMinutes(5), new SecureRandom());
  }

  /** The nonce to send in {@code DPoP-Nonce} now. */
  public synchronized String current() {
    rotateIfDue();
    return current;
  }

  /** True when {@code nonce} is the current or the previous nonce (constant-time compares). */
  public synchronized boolean accepts(String nonce) {
    rotateIfDue();
    if (nonce == null) {
      return false;
    }
    boolean ok = same(nonce, current);
    ok |= previous != null && same(nonce, previous);
    return ok;
  }

  private void rotateIfDue() {
    long now = clock.millis();
    if (now - rotatedAt >= periodMillis) {
      // after two periods without a call, the old current is stale too
      previous = now - rotatedAt >= 2 * periodMillis ? null : current;
      current = fresh();
      rotatedAt = now;
    }
  }

  private String fresh() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static boolean same(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
