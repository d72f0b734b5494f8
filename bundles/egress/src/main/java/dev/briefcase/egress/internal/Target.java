package dev.briefcase.egress.internal;

import static dev.briefcase.egress.EgressException.FRAGMENT;
import static dev.briefcase.egress.EgressException.HOST_NOT_ALLOWED;
import static dev.briefcase.egress.EgressException.PATH_NOT_ALLOWED;
import static dev.briefcase.egress.EgressException.SCHEME_REFUSED;
import static dev.briefcase.egress.EgressException.URL_INVALID;
import static dev.briefcase.egress.EgressException.USERINFO;

import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A URL that passed the syntactic and allow-list checks of SPEC §1.5 and §11.
 *
 * @param https true for https, false for dev-mode loopback http
 * @param host the lower-case host as written in the URL (IPv6 literals keep their brackets)
 * @param literal the address bytes if the host is an IP literal, else null
 * @param loopbackHost the host is {@code localhost} or a loopback literal
 * @param port the explicit or default port
 * @param path the raw path, {@code /} if empty
 * @param requestTarget the raw path plus {@code ?query}, as sent on the request line
 */
record Target(
    boolean https,
    String host,
    byte[] literal,
    boolean loopbackHost,
    int port,
    String path,
    String requestTarget) {

  /** The {@code Host} header value. */
  String hostHeader() {
    return port == (https ? 443 : 80) ? host : host + ":" + port;
  }

  /** The host without IPv6 brackets, as TLS wants it. */
  String bareHost() {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  /** Scheme, host, port and path: safe to log (no query, no userinfo). */
  String loggable() {
    return (https ? "https://" : "http://") + host + ":" + port + path;
  }

  static Target parse(String url, EgressPolicy policy) throws EgressException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new EgressException(URL_INVALID, "URL does not parse");
    }
    if (!uri.isAbsolute() || uri.isOpaque()) {
      throw new EgressException(URL_INVALID, "URL must be absolute with an authority");
    }
    if (uri.getRawFragment() != null) {
      throw new EgressException(FRAGMENT, "URL must not carry a fragment");
    }
    // URI keeps non-ASCII characters unencoded, but the request line goes out in ISO-8859-1,
    // which turns them into '?': only a printable-ASCII path and query are sent as checked.
    if (!printableAscii(uri.getRawPath()) || !printableAscii(uri.getRawQuery())) {
      throw new EgressException(URL_INVALID, "URL path and query must be printable ASCII");
    }
    String authority = uri.getRawAuthority();
    if (uri.getRawUserInfo() != null || (authority != null && authority.indexOf('@') >= 0)) {
      throw new EgressException(USERINFO, "URL must not carry userinfo");
    }
    String rawHost = uri.getHost();
    if (rawHost == null || rawHost.isEmpty()) {
      throw new EgressException(URL_INVALID, "URL has no valid host");
    }
    String host = rawHost.toLowerCase(Locale.ROOT);
    byte[] literal = Cidr.Literals.parse(host);
    if (host.startsWith("[") && literal == null) {
      throw new EgressException(URL_INVALID, "URL has an unsupported IPv6 literal");
    }
    boolean loopbackHost =
        host.equals("localhost")
            || (literal != null
                && AddressRanges.classify(address(literal)).kind() == AddressRanges.Kind.LOOPBACK);

    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    boolean https;
    if (scheme.equals("https")) {
      https = true;
    } else if (scheme.equals("http") && policy.devLoopback() && loopbackHost) {
      https = false;
    } else {
      throw new EgressException(
          SCHEME_REFUSED, "only https is allowed (http only to loopback in dev mode)");
    }
    int port = uri.getPort() == -1 ? (https ? 443 : 80) : uri.getPort();
    if (port < 1 || port > 65535) {
      throw new EgressException(URL_INVALID, "URL port out of range");
    }
    if (!policy.allowsHost(host)) {
      throw new EgressException(HOST_NOT_ALLOWED, "host is not allowed: " + host);
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    checkPath(path, policy);
    String query = uri.getRawQuery();
    return new Target(
        https, host, literal, loopbackHost, port, path, query == null ? path : path + "?" + query);
  }

  private static boolean printableAscii(String s) {
    if (s == null) {
      return true;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  // The host and path rules are EgressPolicy's, the same the kernel applies before it issues a
  // credential for a target, so the two can never disagree on what is allowed.

  private static void checkPath(String path, EgressPolicy policy) throws EgressException {
    if (!policy.allowsPath(path)) {
      throw new EgressException(
          PATH_NOT_ALLOWED,
          "path is not under an allowed prefix, or holds an encoded separator, dot or dot segment");
    }
  }

  static java.net.InetAddress address(byte[] bytes) {
    try {
      return java.net.InetAddress.getByAddress(bytes);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("bad address length", e);
    }
  }
}
