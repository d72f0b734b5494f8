package dev.briefcase.provider.gateway.internal;

import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Calls made per capability {@code jti} (SPEC §8.2 {@code max_calls}), in memory: an entry lives
 * until its token expires (a restart forgets counts; tokens live 10 min). At most {@code capacity}
 * entries: the mint {@linkplain #reserve reserves} one per token, and when every entry belongs to a
 * live token the counter refuses new ones ({@code capacity_exhausted}, 503) rather than forgetting
 * a count, which would reset that token's {@code max_calls}. Thread-safe: every method is atomic,
 * so racing calls never exceed {@code max_calls} or the capacity.
 */
final class UsageCounter {
  static final String CAPACITY_EXHAUSTED = "capacity_exhausted";

  /** Seconds a refused client is told to wait: the full sweep interval. */
  static final int RETRY_AFTER_SECONDS = 60;

  private static final long SWEEP_MILLIS = RETRY_AFTER_SECONDS * 1000L;

  private final Clock clock;
  private final int capacity;

  // insertion order is nearly expiry order (one TTL per run), so the head expires first
  private final LinkedHashMap<String, Entry> used = new LinkedHashMap<>();
  private long nextSweep;

  private record Entry(int count, long expiresAt) {}

  /**
   * @param capacity the most capability tokens tracked at once, at least 1
   */
  UsageCounter(Clock clock, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity below 1");
    }
    this.clock = clock;
    this.capacity = capacity;
  }

  /**
   * Starts counting a freshly minted {@code jti} (no call used).
   *
   * @throws ProviderError 503 {@code capacity_exhausted} when full of live tokens; nothing changes
   */
  synchronized void reserve(String jti, Instant expiresAt) {
    purge();
    if (!used.containsKey(jti)) {
      requireRoom();
      used.put(jti, new Entry(0, expiresAt.toEpochMilli()));
    }
  }

  /**
   * Refuses early when a new token could not be tracked, so a refused mint spends nothing else (its
   * proof included); {@link #reserve} stays the authoritative check.
   *
   * @throws ProviderError 503 {@code capacity_exhausted} when full of live tokens
   */
  synchronized void requireRoomForNew() {
    purge();
    requireRoom();
  }

  /** True when {@code jti} has calls left (nothing counted). */
  synchronized boolean hasLeft(String jti, int maxCalls) {
    Entry e = used.get(jti);
    return (e == null ? 0 : e.count) < maxCalls;
  }

  /**
   * Counts one call; false (nothing counted) when {@code maxCalls} are used up. A token the counter
   * does not know (minted before a restart) gets an entry now.
   *
   * @throws ProviderError 503 {@code capacity_exhausted} for an unknown jti when full of live
   *     tokens
   */
  synchronized boolean tryUse(String jti, int maxCalls, Instant expiresAt) {
    purge();
    Entry e = used.get(jti);
    if (e == null) {
      requireRoom();
    }
    int count = e == null ? 0 : e.count;
    if (count >= maxCalls) {
      return false;
    }
    used.put(jti, new Entry(count + 1, e == null ? expiresAt.toEpochMilli() : e.expiresAt));
    return true;
  }

  synchronized int size() {
    return used.size();
  }

  // no extra sweep here: a flood of refused requests must not buy a full scan each
  private void requireRoom() {
    if (used.size() >= capacity) {
      throw new ProviderError(503, CAPACITY_EXHAUSTED, "too many live capability tokens")
          .header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
    }
  }

  /** Drops expired entries from the head; a full sweep at most once per interval. */
  private void purge() {
    long now = clock.millis();
    Iterator<Entry> it = used.values().iterator();
    while (it.hasNext() && it.next().expiresAt <= now) {
      it.remove();
    }
    if (now >= nextSweep) {
      sweep(now);
    }
  }

  private void sweep(long now) {
    nextSweep = now + SWEEP_MILLIS;
    used.values().removeIf(e -> e.expiresAt <= now);
  }
}
