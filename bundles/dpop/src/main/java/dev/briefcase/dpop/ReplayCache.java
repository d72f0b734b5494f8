package dev.briefcase.dpop;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Seen DPoP proofs, keyed {@code jkt:jti} (RFC 9449 §11.1, SPEC §8.2): kept for {@code retention}
 * (at least 20 min), at most {@code capacity} entries (at least 20 000), the oldest evicted first
 * when full. Every entry has the same retention, so insertion order is expiry order and expired
 * entries are dropped from the head. Thread-safe: {@link #firstUse} is atomic, so of racing threads
 * presenting the same proof exactly one gets {@code true}.
 *
 * <p>Eviction never forgets a proof the verifier would still accept (its {@code iat} window is
 * open): forgetting it would let a flood of fresh proofs make room for a replay. When the oldest
 * entry is still acceptable the cache is full of live proofs and refuses the new one with {@code
 * replay_cache_full} (fail closed) until the oldest proof's window closes.
 */
public final class ReplayCache {
  /** The SPEC's minimum retention. */
  public static final Duration MIN_RETENTION = Duration.ofMinutes(20);

  /** The SPEC's minimum capacity. */
  public static final int MIN_CAPACITY = 20_000;

  private final Clock clock;
  private final long retentionMillis;
  private final int capacity;
  private final LinkedHashMap<String, Entry> seen = new LinkedHashMap<>();

  /** When an entry expires, and until when its proof could still be accepted (epoch millis). */
  private record Entry(long expires, long acceptableUntil) {}

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

  /**
   * Records {@code jkt:jti}, treating the proof as acceptable for the whole retention (so it is
   * never evicted early); true the first time within the retention, false for a replay.
   *
   * @throws DpopException {@code replay_cache_full} when full of proofs that are still acceptable
   */
  public synchronized boolean firstUse(String jkt, String jti) {
    return firstUse(jkt, jti, Instant.ofEpochMilli(clock.millis() + retentionMillis));
  }

  /**
   * Records {@code jkt:jti} of a proof the verifier accepts until {@code acceptableUntil}; true the
   * first time within the retention, false for a replay. Nothing is recorded on a refusal.
   *
   * @throws DpopException {@code replay_cache_full} when every entry that could make room is a
   *     proof still acceptable now
   */
  public synchronized boolean firstUse(String jkt, String jti, Instant acceptableUntil) {
    long now = clock.millis();
    Iterator<Map.Entry<String, Entry>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue().expires() > now) {
        break;
      }
      it.remove();
    }
    String key = jkt + ":" + jti;
    if (seen.containsKey(key)) {
      return false;
    }
    while (seen.size() >= capacity) {
      Iterator<Entry> oldest = seen.values().iterator();
      if (oldest.next().acceptableUntil() >= now) {
        throw new DpopException(
            DpopException.REPLAY_CACHE_FULL, "replay cache full of acceptable proofs");
      }
      oldest.remove();
    }
    seen.put(key, new Entry(now + retentionMillis, acceptableUntil.toEpochMilli()));
    return true;
  }

  /** Entries held now (expired ones may still count until the next {@link #firstUse}). */
  public synchronized int size() {
    return seen.size();
  }
}
