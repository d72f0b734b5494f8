package dev.briefcase.provider.gateway.internal;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Calls made per capability {@code jti} (SPEC §8.2 {@code max_calls}), in memory: an entry lives
 * until its token expires (a restart forgets counts; tokens live 10 min). Thread-safe: {@link
 * #tryUse} is atomic per jti, so racing calls never exceed {@code max_calls}.
 */
final class UsageCounter {
  private final Clock clock;
  private final Map<String, Entry> used = new ConcurrentHashMap<>();
  private volatile long nextPurge;

  private record Entry(int count, long expiresAt) {}

  UsageCounter(Clock clock) {
    this.clock = clock;
  }

  /** True when {@code jti} has calls left (nothing counted). */
  boolean hasLeft(String jti, int maxCalls) {
    Entry e = used.get(jti);
    return (e == null ? 0 : e.count) < maxCalls;
  }

  /** Counts one call; false (nothing counted) when {@code maxCalls} are used up. */
  boolean tryUse(String jti, int maxCalls, Instant expiresAt) {
    purge();
    boolean[] ok = new boolean[1];
    used.compute(
        jti,
        (k, e) -> {
          int count = e == null ? 0 : e.count;
          if (count >= maxCalls) {
            return e;
          }
          ok[0] = true;
          return new Entry(count + 1, expiresAt.toEpochMilli());
        });
    return ok[0];
  }

  int size() {
    return used.size();
  }

  private void purge() {
    long now = clock.millis();
    if (now < nextPurge) {
      return;
    }
    nextPurge = now + 60_000;
    used.entrySet().removeIf(e -> e.getValue().expiresAt <= now);
  }
}
