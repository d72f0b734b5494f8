package dev.briefcase.gateway.mcp.internal;

import dev.briefcase.edge.LoopbackAuthority;
import dev.briefcase.edge.OwnerOnlyFile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks in front of every request (SPEC §10, HTTP transport): the {@code Host} header against
 * DNS rebinding, the {@code Origin} header against cross-site browsers (only configured origins; a
 * request without {@code Origin} is not a browser's), and the bearer token. The token is required
 * by default, on loopback too; only the explicit development setting (never in {@code ga}) serves
 * without it, and even then not once the listener is reachable beyond loopback, a public host is
 * configured or a request names a non-loopback {@code Host} (a local reverse proxy). Thread-safe.
 */
final class Guard {
  private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

  private final Settings settings;
  private final AtomicBoolean exposed = new AtomicBoolean();
  private volatile byte[] token;

  Guard(Settings settings) {
    this.settings = settings;
  }

  /**
   * Loads or creates the token file up front, so that the stdio bridge and clients find it as soon
   * as the URL is published; a token file others can read fails the start.
   */
  void start() throws IOException {
    token();
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
    if (LoopbackAuthority.isLoopbackName(host)) {
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

  /**
   * Whether an {@code Origin} header is acceptable: absent is fine (MCP SDK clients send none; only
   * browsers do); the listener's own origin ({@code http://} + a loopback name + the port the
   * request arrived on: same-origin, and this listener serves no page) is fine; otherwise it must
   * be one of the configured origins exactly. A page on another loopback port is a different origin
   * and is refused like any other.
   */
  boolean originAllowed(String origin, int localPort) {
    if (origin == null) {
      return true;
    }
    String normalized = Settings.normalizeOrigin(origin.trim());
    if (settings.allowedOrigins().contains(normalized)) {
      return true;
    }
    try {
      URI uri = new URI(normalized);
      String host = uri.getHost();
      return "http".equals(uri.getScheme())
          && host != null
          && localPort > 0
          && uri.getPort() == localPort
          && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
          && LoopbackAuthority.isLoopbackName(stripBrackets(host));
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /**
   * Whether this request must carry the bearer token: always, unless the development setting is on
   * and the request arrived on loopback under a loopback {@code Host} with no public host
   * configured.
   */
  boolean tokenRequired(String localAddress, String hostHeader) {
    if (settings.requireToken() || exposed.get() || !settings.publicHost().isEmpty()) {
      return true;
    }
    if (localAddress != null && !LoopbackAuthority.isLoopbackName(stripBrackets(localAddress))) {
      return true;
    }
    return hostHeader != null
        && !LoopbackAuthority.isLoopbackName(hostOnly(hostHeader.trim()).toLowerCase(Locale.ROOT));
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
          t = OwnerOnlyFile.loadOrCreateToken(settings.tokenFile());
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
