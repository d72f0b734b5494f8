package dev.briefcase.oauth.internal;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The newest {@code DPoP-Nonce} each server (origin) issued (RFC 9449 §8–9): a later answer
 * replaces the earlier one. Bounded: the least recently updated server is forgotten past 1,024.
 * Thread-safe.
 */
final class DpopNonces {
  private static final int MAX_SERVERS = 1024;
  private static final int MAX_NONCE_LENGTH = 1024;

  private final Map<String, String> byServer =
      new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > MAX_SERVERS;
        }
      };

  synchronized String get(URI target) {
    return byServer.get(ServerUrls.origin(target));
  }

  /**
   * Keeps {@code nonce} as the server's newest; an over-long or non-ASCII value is ignored.
   *
   * @return whether it was kept
   */
  synchronized boolean put(URI target, String nonce) {
    if (nonce == null
        || nonce.isEmpty()
        || nonce.length() > MAX_NONCE_LENGTH
        || !nonce.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      return false;
    }
    String origin = ServerUrls.origin(target);
    byServer.remove(origin);
    byServer.put(origin, nonce);
    return true;
  }
}
