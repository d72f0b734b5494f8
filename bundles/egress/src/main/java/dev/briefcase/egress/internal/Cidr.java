package dev.briefcase.egress.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address range such as {@code 10.1.0.0/16} or {@code fd00::/8}, parsed without DNS. */
final class Cidr {
  private final byte[] network;
  private final int prefix;

  private Cidr(byte[] network, int prefix) {
    this.network = network;
    this.prefix = prefix;
  }

  /**
   * @throws IllegalArgumentException if {@code text} is not {@code literal/prefix}
   */
  static Cidr parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("CIDR needs a /prefix");
    }
    byte[] bytes = Literals.parse(text.substring(0, slash).trim());
    if (bytes == null) {
      throw new IllegalArgumentException("CIDR address is not an IP literal");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(text.substring(slash + 1).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("CIDR prefix is not a number");
    }
    if (prefix < 0 || prefix > bytes.length * 8) {
      throw new IllegalArgumentException("CIDR prefix out of range");
    }
    return new Cidr(bytes, prefix);
  }

  boolean contains(byte[] address) {
    if (address == null || address.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (address[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (address[full] & mask) == (network[full] & mask);
  }

  boolean contains(InetAddress address) {
    return contains(address.getAddress());
  }

  /** IP literal parsing that never touches DNS. */
  static final class Literals {
    private Literals() {}

    /**
     * Parses a dotted-quad IPv4 literal (exactly four decimal parts) or an IPv6 literal (with or
     * without brackets, no zone id); returns null for anything else, including host names.
     */
    static byte[] parse(String text) {
      String s = text;
      if (s.startsWith("[") && s.endsWith("]")) {
        s = s.substring(1, s.length() - 1);
      }
      if (s.indexOf(':') >= 0) {
        if (s.indexOf('%') >= 0 || !s.matches("[0-9A-Fa-f:][0-9A-Fa-f:.]*")) {
          return null;
        }
        try {
          // a string with ':' is only ever parsed as an IPv6 literal, never looked up
          byte[] raw = InetAddress.getByName(s).getAddress();
          return raw.length == 16 ? raw : mapped(raw);
        } catch (UnknownHostException e) {
          return null;
        }
      }
      if (!s.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
        return null;
      }
      String[] parts = s.split("\\.");
      byte[] out = new byte[4];
      for (int i = 0; i < 4; i++) {
        int v = Integer.parseInt(parts[i]);
        if (v > 255) {
          return null;
        }
        out[i] = (byte) v;
      }
      return out;
    }

    // The JDK turns "::ffff:a.b.c.d" into an Inet4Address; keep the 16-byte form the text named.
    private static byte[] mapped(byte[] v4) {
      byte[] out = new byte[16];
      out[10] = (byte) 0xff;
      out[11] = (byte) 0xff;
      System.arraycopy(v4, 0, out, 12, 4);
      return out;
    }
  }
}
