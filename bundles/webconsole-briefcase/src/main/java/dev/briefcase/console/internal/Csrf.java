package dev.briefcase.console.internal;

import dev.briefcase.edge.LoopbackAuthority;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless CSRF protection for the console's POST forms (the console uses HTTP Basic, which a
 * browser replays on cross-site requests). A token is {@code <issued epoch s>.<HMAC-SHA256(key,
 * user "\n" issued)>} with a random per-process key, valid for {@link #MAX_AGE_SECONDS}; a POST
 * must carry it in the {@code csrf} field. Additionally a browser's {@code Origin} must be the
 * console's own origin, and {@code Sec-Fetch-Site: cross-site} is refused.
 */
final class Csrf {
  static final String FIELD = "csrf";
  static final long MAX_AGE_SECONDS = 8 * 3600;

  private final byte[] key;
  private final Clock clock;

  Csrf(Clock clock) {
    this.key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.clock = clock;
  }

  /** A token for forms shown to {@code user}. */
  String issue(String user) {
    long issued = clock.instant().getEpochSecond();
    return issued + "." + mac(user, issued);
  }

  /** Whether {@code token} was issued by this process to {@code user} and is not stale. */
  boolean valid(String user, String token) {
    if (user == null || token == null || token.length() > 200) {
      return false;
    }
    int dot = token.indexOf('.');
    if (dot <= 0) {
      return false;
    }
    long issued;
    try {
      issued = Long.parseLong(token.substring(0, dot));
    } catch (NumberFormatException e) {
      return false;
    }
    long now = clock.instant().getEpochSecond();
    if (issued > now + 60 || now - issued > MAX_AGE_SECONDS) {
      return false;
    }
    byte[] expected = mac(user, issued).getBytes(StandardCharsets.US_ASCII);
    byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, given);
  }

  /**
   * Whether the browser's fetch metadata allow this POST: {@code Origin} absent or the console's
   * own origin ({@code http://<loopback name>:<the port the request arrived on>}, see {@link
   * LoopbackAuthority}); {@code Sec-Fetch-Site} absent or not {@code cross-site}. The request's
   * {@code Host} plays no part: a rebinding page chooses it.
   */
  static boolean sameOrigin(String origin, int consolePort, String fetchSite) {
    if (fetchSite != null && fetchSite.equalsIgnoreCase("cross-site")) {
      return false;
    }
    return origin == null || LoopbackAuthority.origin(origin, consolePort);
  }

  private String mac(String user, long issued) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] out = mac.doFinal((user + "\n" + issued).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
