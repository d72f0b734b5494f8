package dev.briefcase.gateway.mcp.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks in front of every request (SPEC §10, HTTP transport): the {@code Host} header against
 * DNS rebinding, the {@code Origin} header against cross-site browsers, and the bearer token. The
 * token is required when the listener is reachable beyond loopback or configuration asks for it.
 * Thread-safe.
 */
final class Guard {
  private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

  private final Settings settings;
  private final AtomicBoolean exposed = new AtomicBoolean();
  private volatile byte[] token;

  Guard(Settings settings) {
    this.settings = settings;
  }

  /** Loads or creates the token file up front when configuration requires a token. */
  void start() throws IOException {
    if (settings.requireToken()) {
      token();
    }
  }

  /**
   * Records that the HTTP listener is bound beyond loopback: from now on every request needs the
   * token, which is created if there is none.
   */
  void markExposed() throws IOException {
    if (exposed.compareAndSet(false, true)) {
      token();
      LOG.info("MCP listener is reachable beyond loopback: bearer token required");
    }
  }

  boolean exposed() {
    return exposed.get();
  }

  /** Whether the {@code Host} header names this server; absent (HTTP/1.0) is accepted. */
  boolean hostAllowed(String hostHeader, String localAddress) {
    if (hostHeader == null) {
      return true;
    }
    String host = hostOnly(hostHeader.trim()).toLowerCase(Locale.ROOT);
    if (isLoopbackName(host)) {
      return true;
    }
    if (!settings.publicHost().isEmpty() && host.equals(settings.publicHost())) {
      return true;
    }
    // an address literal cannot be rebound; accept the one the connection actually arrived on
    return localAddress != null && sameAddress(host, stripBrackets(localAddress));
  }

  /** Whether two IP address literals name the same address (zone ids and notation aside). */
  static boolean sameAddress(String a, String b) {
    byte[] x = literal(a);
    return x != null && Arrays.equals(x, literal(b));
  }

  /** The bytes of an IPv4 or IPv6 literal, or {@code null} for anything else. */
  private static byte[] literal(String s) {
    String t = s.toLowerCase(Locale.ROOT);
    int zone = t.indexOf('%');
    if (zone >= 0) {
      t = t.substring(0, zone);
    }
    boolean v6 =
        t.indexOf(':') >= 0
            && t.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
    boolean v4 =
        !t.isEmpty()
            && t.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))
            && Arrays.stream(t.split("\\.", -1))
                .allMatch(o -> !o.isEmpty() && o.length() <= 3 && Integer.parseInt(o) <= 255)
            && t.split("\\.", -1).length == 4;
    if (!v4 && !v6) {
      return null; // a name: never resolved here, so no DNS lookup per request
    }
    try {
      return InetAddress.getByName(t).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** Whether an {@code Origin} header is acceptable; absent is fine (not a browser). */
  boolean originAllowed(String origin) {
    if (origin == null) {
      return true;
    }
    String normalized = Settings.normalizeOrigin(origin.trim());
    List<String> allowed = settings.allowedOrigins();
    if (allowed.contains(normalized)) {
      return true;
    }
    try {
      URI uri = new URI(normalized);
      String scheme = uri.getScheme();
      String host = uri.getHost();
      if (host == null || !("http".equals(scheme) || "https".equals(scheme))) {
        return false;
      }
      return isLoopbackName(stripBrackets(host));
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /** Whether this request must carry the bearer token. */
  boolean tokenRequired(String localAddress) {
    return settings.requireToken()
        || exposed.get()
        || (localAddress != null && !isLoopbackName(stripBrackets(localAddress)));
  }

  /** Whether {@code Authorization} carries the token; compared in constant time. */
  boolean tokenMatches(String authorization) throws IOException {
    byte[] expected = token();
    if (expected == null || authorization == null) {
      return false;
    }
    String a = authorization.trim();
    if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = a.substring(7).trim().getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, given);
  }

  private byte[] token() throws IOException {
    byte[] t = token;
    if (t == null && settings.tokenFile() != null) {
      synchronized (this) {
        t = token;
        if (t == null) {
          t = TokenFile.loadOrCreate(settings.tokenFile());
          token = t;
        }
      }
    }
    return t;
  }

  /** Forgets the token in memory. */
  void close() {
    byte[] t = token;
    token = null;
    if (t != null) {
      Arrays.fill(t, (byte) 0);
    }
  }

  static boolean isLoopbackName(String host) {
    if (host.equals("127.0.0.1")
        || host.equals("localhost")
        || host.equals("::1")
        || host.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    // 127.0.0.0/8, written as a dotted quad
    if (!host.startsWith("127.")) {
      return false;
    }
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** {@code host[:port]} or {@code [v6][:port]} → the host, brackets removed. */
  static String hostOnly(String hostHeader) {
    if (hostHeader.startsWith("[")) {
      int end = hostHeader.indexOf(']');
      return end < 0 ? hostHeader : hostHeader.substring(1, end);
    }
    int colon = hostHeader.indexOf(':');
    return colon < 0 ? hostHeader : hostHeader.substring(0, colon);
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
