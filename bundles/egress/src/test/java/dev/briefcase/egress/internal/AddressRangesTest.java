package dev.briefcase.egress.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.briefcase.egress.internal.AddressRanges.Kind;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.Test;

public class AddressRangesTest {

  private static Kind v4(String literal) {
    byte[] b = Cidr.Literals.parse(literal);
    assertEquals(literal, 4, b.length);
    return AddressRanges.classify(b).kind();
  }

  private static AddressRanges.Verdict v6(String literal) throws Exception {
    // Inet6Address.getByAddress keeps mapped forms as IPv6, like a hostile resolver could
    byte[] b = Cidr.Literals.parse(literal);
    assertEquals(literal, 16, b.length);
    InetAddress a = Inet6Address.getByAddress(null, b, -1);
    return AddressRanges.classify(a);
  }

  @Test
  public void ipv4Ranges() {
    assertEquals(Kind.THIS_NETWORK, v4("0.0.0.0"));
    assertEquals(Kind.THIS_NETWORK, v4("0.255.255.255"));
    assertEquals(Kind.PRIVATE, v4("10.0.0.1"));
    assertEquals(Kind.PRIVATE, v4("10.255.255.255"));
    assertEquals(Kind.CGNAT, v4("100.64.0.1"));
    assertEquals(Kind.CGNAT, v4("100.127.255.255"));
    assertEquals(Kind.PUBLIC, v4("100.63.255.255"));
    assertEquals(Kind.PUBLIC, v4("100.128.0.0"));
    assertEquals(Kind.LOOPBACK, v4("127.0.0.1"));
    assertEquals(Kind.LOOPBACK, v4("127.255.0.9"));
    assertEquals(Kind.LINK_LOCAL, v4("169.254.0.1"));
    assertEquals(Kind.LINK_LOCAL, v4("169.254.169.254"));
    assertEquals(Kind.PRIVATE, v4("172.16.0.1"));
    assertEquals(Kind.PRIVATE, v4("172.31.255.255"));
    assertEquals(Kind.PUBLIC, v4("172.15.255.255"));
    assertEquals(Kind.PUBLIC, v4("172.32.0.0"));
    assertEquals(Kind.IETF_PROTOCOL, v4("192.0.0.8"));
    assertEquals(Kind.PRIVATE, v4("192.168.1.1"));
    assertEquals(Kind.BENCHMARKING, v4("198.18.0.1"));
    assertEquals(Kind.BENCHMARKING, v4("198.19.255.255"));
    assertEquals(Kind.PUBLIC, v4("198.20.0.0"));
    assertEquals(Kind.MULTICAST, v4("224.0.0.1"));
    assertEquals(Kind.MULTICAST, v4("239.255.255.255"));
    assertEquals(Kind.RESERVED, v4("240.0.0.1"));
    assertEquals(Kind.RESERVED, v4("255.255.255.255"));
    assertEquals(Kind.PUBLIC, v4("8.8.8.8"));
    assertEquals(Kind.PUBLIC, v4("203.0.113.10"));
  }

  @Test
  public void ipv6Ranges() throws Exception {
    assertEquals(Kind.UNSPECIFIED, v6("::").kind());
    assertEquals(Kind.LOOPBACK, v6("::1").kind());
    assertEquals(Kind.UNIQUE_LOCAL, v6("fc00::1").kind());
    assertEquals(Kind.UNIQUE_LOCAL, v6("fdff:ffff::1").kind());
    assertEquals(Kind.LINK_LOCAL, v6("fe80::1").kind());
    assertEquals(Kind.LINK_LOCAL, v6("febf::1").kind());
    assertEquals(Kind.SITE_LOCAL, v6("fec0::1").kind());
    assertEquals(Kind.MULTICAST, v6("ff02::1").kind());
    assertEquals(Kind.NAT64_LOCAL, v6("64:ff9b:1::a00:1").kind());
    assertEquals(Kind.PUBLIC, v6("2001:4860:4860::8888").kind());
  }

  @Test
  public void embeddedIpv4FormsAreJudgedByTheEmbeddedAddress() throws Exception {
    AddressRanges.Verdict mapped = v6("::ffff:127.0.0.1");
    assertEquals(Kind.LOOPBACK, mapped.kind());
    assertEquals("ipv4_mapped:loopback", mapped.describe());
    assertEquals(Kind.LINK_LOCAL, v6("::ffff:169.254.169.254").kind());
    assertEquals(Kind.PRIVATE, v6("::ffff:10.1.2.3").kind());
    assertEquals(Kind.PUBLIC, v6("::ffff:8.8.8.8").kind());

    AddressRanges.Verdict nat64 = v6("64:ff9b::a9fe:a9fe");
    assertEquals(Kind.LINK_LOCAL, nat64.kind());
    assertEquals("nat64:link_local", nat64.describe());
    assertEquals(Kind.LOOPBACK, v6("64:ff9b::7f00:1").kind());
    assertEquals(Kind.PUBLIC, v6("64:ff9b::808:808").kind());

    AddressRanges.Verdict sixToFour = v6("2002:a9fe:a9fe::1");
    assertEquals(Kind.LINK_LOCAL, sixToFour.kind());
    assertEquals("6to4:link_local", sixToFour.describe());
    assertEquals(Kind.PRIVATE, v6("2002:c0a8:0101::").kind());
    assertEquals(Kind.PUBLIC, v6("2002:0808:0808::").kind());

    assertEquals(Kind.PRIVATE, v6("::10.0.0.1").kind());
    assertEquals("ipv4_compatible:private", v6("::10.0.0.1").describe());
  }

  @Test
  public void jdkConvertedMappedAddressIsStillLoopback() throws Exception {
    // InetAddress.getByName turns ::ffff:127.0.0.1 into an Inet4Address; both paths must agree
    assertEquals(
        Kind.LOOPBACK, AddressRanges.classify(InetAddress.getByName("::ffff:7f00:1")).kind());
  }

  @Test
  public void liftability() {
    assertTrue(Kind.PRIVATE.liftable);
    assertTrue(Kind.LINK_LOCAL.liftable);
    assertFalse(Kind.LOOPBACK.liftable);
    assertFalse(Kind.MULTICAST.liftable);
    assertFalse(Kind.UNSPECIFIED.liftable);
    assertFalse(Kind.RESERVED.liftable);
  }

  @Test
  public void cidrContains() {
    Cidr c = Cidr.parse("10.1.0.0/16");
    assertTrue(c.contains(Cidr.Literals.parse("10.1.200.3")));
    assertFalse(c.contains(Cidr.Literals.parse("10.2.0.1")));
    Cidr odd = Cidr.parse("172.16.0.0/12");
    assertTrue(odd.contains(Cidr.Literals.parse("172.31.0.1")));
    assertFalse(odd.contains(Cidr.Literals.parse("172.32.0.1")));
    Cidr v6 = Cidr.parse("fd00::/8");
    assertTrue(v6.contains(Cidr.Literals.parse("fd12::1")));
    assertFalse(v6.contains(Cidr.Literals.parse("10.1.0.1")));
  }

  @Test(expected = IllegalArgumentException.class)
  public void cidrNeedsALiteral() {
    Cidr.parse("internal.example/8");
  }
}
