package dev.briefcase.console.internal;

import java.net.URI;
import java.util.Locale;

/**
 * The console's own authority: a loopback name ({@code localhost}, {@code 127.0.0.0/8} as a dotted
 * quad, {@code [::1]}) with the port the request arrived on. A DNS-rebinding page reaches the
 * console under its own name, so {@code Host} is checked against this allow-list, and a POST's
 * {@code Origin} must be {@code http://} plus such an authority — never compared with a {@code
 * Host} header the attacker chose. Stateless.
 */
final class LoopbackAuthority {
  private LoopbackAuthority() {}

  /** Whether a {@code Host} header names the console listener on {@code port}. */
  static boolean host(String hostHeader, int port) {
    if (hostHeader == null) {
      return true; // HTTP/1.0: no browser sends a request without Host
    }
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    String name;
    String portText;
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      if (end < 0 || !h.startsWith(":", end + 1)) {
        return false;
      }
      name = h.substring(1, end);
      portText = h.substring(end + 2);
    } else {
      int colon = h.indexOf(':');
      if (colon < 0 || h.lastIndexOf(':') != colon) {
        return false; // without a port it would be 80
      }
      name = h.substring(0, colon);
      portText = h.substring(colon + 1);
    }
    return portText.length() >= 1
        && portText.length() <= 5
        && portText.chars().allMatch(c -> c >= '0' && c <= '9')
        && Integer.parseInt(portText) == port
        && loopbackName(name);
  }

  /** Whether an {@code Origin} header is the console's own origin on {@code port}. */
  static boolean origin(String origin, int port) {
    if (origin == null || origin.equals("null")) {
      return false;
    }
    try {
      URI o = new URI(origin.strip());
      String name = o.getHost();
      if (!"http".equalsIgnoreCase(o.getScheme()) || name == null || o.getPort() != port) {
        return false;
      }
      if (o.getRawPath() != null && !o.getRawPath().isEmpty() && !o.getRawPath().equals("/")) {
        return false;
      }
      name = name.toLowerCase(Locale.ROOT);
      if (name.startsWith("[") && name.endsWith("]")) {
        name = name.substring(1, name.length() - 1);
      }
      return loopbackName(name);
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  static boolean loopbackName(String name) {
    if (name.equals("localhost") || name.equals("::1") || name.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    String[] parts = name.split("\\.", -1);
    if (parts.length != 4 || !parts[0].equals("127")) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }
}
