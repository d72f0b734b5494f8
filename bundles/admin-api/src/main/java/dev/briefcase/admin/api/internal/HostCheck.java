package dev.briefcase.admin.api.internal;

import java.util.Locale;

/**
 * The DNS-rebinding check of the admin API: a browser sends the name it resolved in {@code Host},
 * so a page whose name was rebound to 127.0.0.1 arrives with its own name. Only loopback names
 * ({@code localhost}, {@code 127.0.0.0/8} as a dotted quad, {@code [::1]}) with the port the
 * listener actually bound are accepted. A request without {@code Host} (HTTP/1.0) comes from no
 * browser and is accepted. Stateless.
 */
final class HostCheck {
  private final int port;

  HostCheck(int port) {
    this.port = port;
  }

  /** Whether {@code hostHeader} names this listener. */
  boolean allowed(String hostHeader) {
    if (hostHeader == null) {
      return true;
    }
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    String host;
    String portText;
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      if (end < 0) {
        return false;
      }
      host = h.substring(1, end);
      String rest = h.substring(end + 1);
      if (!rest.startsWith(":")) {
        return false; // no port: would be 80
      }
      portText = rest.substring(1);
    } else {
      int colon = h.lastIndexOf(':');
      if (colon < 0 || h.indexOf(':') != colon) {
        return false;
      }
      host = h.substring(0, colon);
      portText = h.substring(colon + 1);
    }
    if (portText.isEmpty()
        || portText.length() > 5
        || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return false;
    }
    return Integer.parseInt(portText) == port && loopbackName(host);
  }

  static boolean loopbackName(String host) {
    if (host.equals("localhost") || host.equals("::1") || host.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    String[] parts = host.split("\\.", -1);
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
