package dev.briefcase.dpop;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Seen DPoP proofs, keyed {@code jkt:jti} (RFC 9449 §11.1, SPEC §8.2): kept for {@code retention}
 * (at least 20 min), at most {@code capacity} entries (at least 20 000), the oldest evicted first
 * when full. Every entry has the same retention, so insertion order is expiry order and expired
 * entries are dropped from the head. Thread-safe: {@link #firstUse} is atomic, so of racing threads
 * presenting the same proof exactly one gets {@code true}.
 */
public final class ReplayCache {
  /** The SPEC's minimum retention. */
  public static final Duration MIN_RETENTION = Duration.ofMinutes(20);

  /** The SPEC's minimum capacity. */
  public static final int MIN_CAPACITY = 20_000;

  private final Clock clock;
  private final long retentionMillis;
  private final int capacity;
  private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();

  /** The SPEC minimums on the system clock. */
  public ReplayCache() {
    this(Clock.systemUTC(), MIN_RETENTION, MIN_CAPACITY);
  }

  /**
   * @throws IllegalArgumentException when retention or capacity is below the SPEC minimum
   */
  public ReplayCache(Clock clock, Duration retention, int capacity) {
    if (retention.compareTo(MIN_RETENTION) < 0 || capacity < MIN_CAPACITY) {
      throw new IllegalArgumentException("replay cache below 20 min / 20000 entries");
    }
    this.clock = clock;
    this.retentionMillis = retention.toMillis();
    this.capacity = capacity;
  }

  /** Records {@code jkt:jti}; true the first time within the retention, false for a replay. */
  public synchronized boolean firstUse(String jkt, String jti) {
    long now = clock.millis();
    Iterator<Map.Entry<String, Long>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue() > now) {
        break;
      }
      it.remove();
    }
    String key = jkt + ":" + jti;
    if (seen.containsKey(key)) {
      return false;
    }
    while (seen.size() >= capacity) {
      Iterator<String> oldest = seen.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    seen.put(key, now + retentionMillis);
    return true;
  }

  /** Entries held now (expired ones may still count until the next {@link #firstUse}). */
  public synchronized int size() {
    return seen.size();
  }
}
