package dev.briefcase.edge;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A listener's own loopback authority: a loopback name ({@code localhost}, {@code 127.0.0.0/8} as a
 * dotted quad, {@code [::1]}) with the port the listener bound. A browser sends the name it
 * resolved in {@code Host}, so a DNS-rebinding page arrives with its own name: {@code Host} is
 * checked against this allow-list, and an {@code Origin} must be {@code http://} plus such an
 * authority — never compared with a {@code Host} header the attacker chose. A request without
 * {@code Host} (HTTP/1.0) comes from no browser and is accepted. Stateless.
 */
public final class LoopbackAuthority {
  private LoopbackAuthority() {}

  /** Whether a {@code Host} header names a loopback listener on {@code port}. */
  public static boolean host(String hostHeader, int port) {
    if (hostHeader == null) {
      return true; // HTTP/1.0: no browser sends a request without Host
    }
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    String name;
    String portText;
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      if (end < 0 || !h.startsWith(":", end + 1)) {
        return false; // without a port it would be 80
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
        && isLoopbackName(name);
  }

  /** Whether an {@code Origin} header is {@code http://} + a loopback name + {@code port}. */
  public static boolean origin(String origin, int port) {
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
      return isLoopbackName(name);
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /**
   * Whether {@code host} (lower case, without brackets or port) is a loopback name: {@code
   * localhost}, {@code ::1} or a dotted quad in {@code 127.0.0.0/8} with ASCII digits.
   */
  public static boolean isLoopbackName(String host) {
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
