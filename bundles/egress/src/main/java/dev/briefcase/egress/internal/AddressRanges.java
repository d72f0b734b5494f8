package dev.briefcase.egress.internal;

import java.net.InetAddress;

/**
 * Classifies an address against the ranges egress refuses (SPEC §11). IPv6 forms that carry an IPv4
 * address (IPv4-mapped {@code ::ffff:0:0/96}, IPv4-compatible {@code ::/96}, NAT64 {@code
 * 64:ff9b::/96}, 6to4 {@code 2002::/16}) are judged by the embedded IPv4 address, so {@code
 * ::ffff:127.0.0.1} is loopback and {@code 2002:a9fe:a9fe::} is the metadata service. Works on the
 * raw bytes, so it does not matter whether the JDK turned a mapped address into an {@code
 * Inet4Address}.
 */
final class AddressRanges {

  /** What an address is; {@code liftable} kinds can be opened by an explicit policy CIDR. */
  enum Kind {
    PUBLIC(true),
    THIS_NETWORK(false),
    UNSPECIFIED(false),
    LOOPBACK(false),
    PRIVATE(true),
    CGNAT(true),
    LINK_LOCAL(true),
    IETF_PROTOCOL(true),
    BENCHMARKING(true),
    MULTICAST(false),
    RESERVED(false),
    UNIQUE_LOCAL(true),
    SITE_LOCAL(true),
    NAT64_LOCAL(true);

    final boolean liftable;

    Kind(boolean liftable) {
      this.liftable = liftable;
    }

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * @param kind the range the address (or its embedded IPv4 address) falls in
   * @param embeddedV4 the 4 embedded bytes for the IPv6 forms that carry one, else null
   * @param form how the IPv4 address was embedded ({@code ipv4_mapped}, {@code nat64}, ...) or null
   */
  record Verdict(Kind kind, byte[] embeddedV4, String form) {
    String describe() {
      return form == null ? kind.label() : form + ":" + kind.label();
    }
  }

  private AddressRanges() {}

  static Verdict classify(InetAddress address) {
    return classify(address.getAddress());
  }

  static Verdict classify(byte[] b) {
    if (b.length == 4) {
      return new Verdict(classifyV4(b), null, null);
    }
    return classifyV6(b);
  }

  static Kind classifyV4(byte[] b) {
    int a = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    int first = a >>> 24;
    if (first == 0) {
      return Kind.THIS_NETWORK;
    }
    if (first == 10) {
      return Kind.PRIVATE;
    }
    if ((a & 0xFFC00000) == 0x64400000) {
      return Kind.CGNAT;
    }
    if (first == 127) {
      return Kind.LOOPBACK;
    }
    if ((a & 0xFFFF0000) == 0xA9FE0000) {
      return Kind.LINK_LOCAL;
    }
    if ((a & 0xFFF00000) == 0xAC100000) {
      return Kind.PRIVATE;
    }
    if ((a & 0xFFFFFF00) == 0xC0000000) {
      return Kind.IETF_PROTOCOL;
    }
    if ((a & 0xFFFF0000) == 0xC0A80000) {
      return Kind.PRIVATE;
    }
    if ((a & 0xFFFE0000) == 0xC6120000) {
      return Kind.BENCHMARKING;
    }
    if ((a & 0xF0000000) == 0xE0000000) {
      return Kind.MULTICAST;
    }
    if ((a & 0xF0000000) == 0xF0000000) {
      // 240/4 and the limited broadcast address 255.255.255.255
      return Kind.RESERVED;
    }
    return Kind.PUBLIC;
  }

  private static Verdict classifyV6(byte[] b) {
    if (zero(b, 0, 15) && (b[15] == 0 || b[15] == 1)) {
      return new Verdict(b[15] == 0 ? Kind.UNSPECIFIED : Kind.LOOPBACK, null, null);
    }
    if (zero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      return embedded(b, 12, "ipv4_mapped");
    }
    if (zero(b, 0, 12)) {
      return embedded(b, 12, "ipv4_compatible");
    }
    if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
      if (zero(b, 4, 12)) {
        return embedded(b, 12, "nat64");
      }
      if (b[4] == 0 && b[5] == 1) {
        // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): the embedded address is site-defined
        return new Verdict(Kind.NAT64_LOCAL, null, null);
      }
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
      return embedded(b, 2, "6to4");
    }
    int b0 = b[0] & 0xff;
    int b1 = b[1] & 0xff;
    if ((b0 & 0xFE) == 0xFC) {
      return new Verdict(Kind.UNIQUE_LOCAL, null, null);
    }
    if (b0 == 0xFE && (b1 & 0xC0) == 0x80) {
      return new Verdict(Kind.LINK_LOCAL, null, null);
    }
    if (b0 == 0xFE && (b1 & 0xC0) == 0xC0) {
      return new Verdict(Kind.SITE_LOCAL, null, null);
    }
    if (b0 == 0xFF) {
      return new Verdict(Kind.MULTICAST, null, null);
    }
    return new Verdict(Kind.PUBLIC, null, null);
  }

  private static Verdict embedded(byte[] b, int offset, String form) {
    byte[] v4 = {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]};
    return new Verdict(classifyV4(v4), v4, form);
  }

  /** True if bytes {@code from} (inclusive) to {@code to} (exclusive) are all zero. */
  private static boolean zero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
