package dev.briefcase.oauth.internal;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** The URL rules every OAuth endpoint obeys: https, or http to a loopback literal; no userinfo. */
final class ServerUrls {
  private ServerUrls() {}

  /** {@code url} parsed and checked, else {@code code}. */
  static URI check(String url, String code) throws OAuthException {
    if (url == null || url.isEmpty() || url.length() > 2048) {
      throw new OAuthException(code, "a URL is required (https, or http on loopback)");
    }
    try {
      return check(new URI(url), code);
    } catch (URISyntaxException e) {
      throw new OAuthException(code, "not a URL");
    }
  }

  static URI check(URI u, String code) throws OAuthException {
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!u.isAbsolute()
        || u.getRawAuthority() == null
        || u.getHost() == null
        || u.getRawUserInfo() != null
        || u.getRawFragment() != null) {
      throw new OAuthException(code, "URL must be absolute, without userinfo or fragment");
    }
    if (scheme.equals("https")) {
      return u;
    }
    if (scheme.equals("http") && isLoopback(u.getHost())) {
      return u;
    }
    throw new OAuthException(code, "URL must be https, or http on a loopback address");
  }

  /**
   * {@link #check} for a URL that discovery found (a challenge's {@code resource_metadata}, a PRM's
   * authorization server, an AS's endpoints): a loopback one only when the endpoint the user
   * configured is itself on loopback, so a remote resource or AS cannot aim Briefcase's requests
   * (with a refresh token, at revocation) at services on this machine.
   */
  static URI checkDiscovered(URI u, URI endpoint, String code) throws OAuthException {
    check(u, code);
    if (isLoopback(u.getHost()) && !isLoopback(endpoint.getHost())) {
      throw new OAuthException(code, "a remote server named a loopback URL");
    }
    return u;
  }

  static boolean isLoopback(String host) {
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    // only literals: a name is never resolved to decide this
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** {@code scheme://host[:port]} in lower case, the key of per-server state. */
  static String origin(URI u) {
    String scheme = u.getScheme().toLowerCase(Locale.ROOT);
    int port = u.getPort();
    if (port == -1) {
      port = scheme.equals("https") ? 443 : 80;
    }
    return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port;
  }

  /** The path, never empty. */
  static String path(URI u) {
    String p = u.getRawPath();
    return p == null || p.isEmpty() ? "/" : p;
  }

  /** {@code base} is a path prefix of {@code target} at a segment boundary, same origin. */
  static boolean isPrefix(URI base, URI target) {
    if (!origin(base).equals(origin(target)) || base.getRawQuery() != null) {
      return false;
    }
    String b = path(base);
    String t = path(target);
    if (b.equals(t) || b.equals("/")) {
      return true;
    }
    String withSlash = b.endsWith("/") ? b : b + "/";
    return t.startsWith(withSlash);
  }

  /** Two issuers are the same when equal after dropping one trailing {@code /}. */
  static boolean sameIssuer(String a, String b) {
    return a != null && b != null && trimSlash(a).equals(trimSlash(b));
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
