package dev.briefcase.console.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The logins started from the console and not yet called back: the login's {@code state} → the
 * provider and the console user who started it, for 10 minutes (the credential service's own
 * session lifetime), at most 32. A callback is taken only for a state this console issued and only
 * by the same user; the credential service checks the state again at the exchange. Thread-safe.
 */
final class ConsoleLogins {
  static final Duration TTL = Duration.ofMinutes(10);
  static final int MAX = 32;

  private record Pending(String providerId, String user, Instant expires) {}

  private final Clock clock;
  private final Map<String, Pending> byState = new LinkedHashMap<>();

  ConsoleLogins(Clock clock) {
    this.clock = clock;
  }

  /** Remembers a started login; the oldest is forgotten past {@link #MAX}. */
  synchronized void started(String state, String providerId, String user) {
    purge();
    while (byState.size() >= MAX) {
      byState.remove(byState.keySet().iterator().next());
    }
    byState.put(state, new Pending(providerId, user, clock.instant().plus(TTL)));
  }

  /**
   * The provider of the login {@code state}, used once.
   *
   * @throws ConsoleException {@code unknown_oauth_state} when this console started no such login,
   *     it expired, or another user started it
   */
  synchronized String take(String state, String user) throws ConsoleException {
    purge();
    Pending p = state == null ? null : byState.get(state);
    if (p == null
        || user == null
        || !MessageDigest.isEqual(
            p.user().getBytes(StandardCharsets.UTF_8), user.getBytes(StandardCharsets.UTF_8))) {
      throw new ConsoleException(
          "unknown_oauth_state", "this console started no login with this state for this user");
    }
    byState.remove(state);
    return p.providerId();
  }

  private void purge() {
    Instant now = clock.instant();
    byState.values().removeIf(p -> !now.isBefore(p.expires()));
  }
}
