package dev.briefcase.l402;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.Test;

public class MacaroonTest {
  private static final byte[] ROOT =
      "root key for tests, 32 bytes....".getBytes(StandardCharsets.UTF_8);
  private static final byte[] ID = "token-id".getBytes(StandardCharsets.UTF_8);

  private static Macaroon sample() {
    return Macaroon.mint(ROOT, "here", ID, List.of("a=1", "b=2"));
  }

  private static String code(byte[] data) {
    return assertThrows(L402Exception.class, () -> Macaroon.parse(data)).code();
  }

  @Test
  public void mintedMacaroonRoundTripsAndVerifies() throws Exception {
    Macaroon m = sample();
    Macaroon back = Macaroon.parseBase64(m.toBase64());
    assertEquals("here", back.location());
    assertArrayEquals(ID, back.identifier());
    assertEquals(List.of("a=1", "b=2"), back.caveats());
    assertArrayEquals(m.serialize(), back.serialize());
    back.verify(ROOT, c -> true);
  }

  @Test
  public void urlSafeAndUnpaddedBase64AreAccepted() throws Exception {
    byte[] bin = sample().serialize();
    String url = Base64.getUrlEncoder().withoutPadding().encodeToString(bin);
    assertArrayEquals(bin, Macaroon.parseBase64(url).serialize());
  }

  @Test
  public void aMacaroonWithoutLocationRoundTrips() throws Exception {
    Macaroon m = Macaroon.mint(ROOT, null, ID, List.of());
    assertEquals(null, Macaroon.parse(m.serialize()).location());
    Macaroon.parse(m.serialize()).verify(ROOT, c -> true);
  }

  @Test
  public void everyTruncationIsRefusedWithAStableCode() {
    byte[] bin = sample().serialize();
    for (int n = 0; n < bin.length; n++) {
      assertEquals("length " + n, "macaroon_invalid", code(Arrays.copyOf(bin, n)));
    }
  }

  @Test
  public void trailingBytesAreRefused() {
    byte[] bin = sample().serialize();
    assertEquals("macaroon_invalid", code(Arrays.copyOf(bin, bin.length + 1)));
  }

  @Test
  public void oversizedMacaroonIsRefusedBeforeParsing() {
    byte[] big = new byte[Macaroon.MAX_BYTES + 1];
    big[0] = 2;
    assertEquals("macaroon_too_large", code(big));
    String b64 = "A".repeat(Macaroon.MAX_BYTES * 2);
    assertEquals(
        "macaroon_too_large",
        assertThrows(L402Exception.class, () -> Macaroon.parseBase64(b64)).code());
  }

  @Test
  public void varintLengthOverflowIsRefused() {
    // version, identifier field whose length varint never ends within 5 bytes
    byte[] bin = {2, 2, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 0};
    assertEquals("macaroon_invalid", code(bin));
  }

  @Test
  public void fieldLongerThanTheCapIsRefusedEvenWhenTheBytesArePresent() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(2);
    out.write(2);
    int len = Macaroon.MAX_FIELD + 1;
    out.write((len & 0x7f) | 0x80);
    out.write(len >>> 7);
    out.writeBytes(new byte[len]);
    assertEquals("macaroon_too_large", code(out.toByteArray()));
  }

  @Test
  public void moreCaveatsThanTheCapAreRefused() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {2, 2, 1, 'x', 0});
    for (int i = 0; i <= Macaroon.MAX_CAVEATS; i++) {
      out.writeBytes(new byte[] {2, 1, 'c', 0});
    }
    out.write(0);
    out.write(6);
    out.write(32);
    out.writeBytes(new byte[32]);
    assertEquals("macaroon_too_large", code(out.toByteArray()));
  }

  @Test
  public void wrongSignatureIsRefused() throws Exception {
    byte[] bin = sample().serialize();
    bin[bin.length - 1] ^= 1;
    Macaroon m = Macaroon.parse(bin);
    L402Exception e = assertThrows(L402Exception.class, () -> m.verify(ROOT, c -> true));
    assertEquals("macaroon_signature_invalid", e.code());
  }

  @Test
  public void wrongRootKeyIsRefused() {
    byte[] other = ROOT.clone();
    other[0] ^= 1;
    L402Exception e = assertThrows(L402Exception.class, () -> sample().verify(other, c -> true));
    assertEquals("macaroon_signature_invalid", e.code());
  }

  @Test
  public void aCaveatRemovedOrAddedWithoutTheKeyBreaksTheChain() throws Exception {
    Macaroon m = sample();
    // the holder drops the restrictive caveat but keeps the signature
    Macaroon dropped = Macaroon.parse(rebuild(m, List.of("a=1"), m.signature()));
    assertEquals(
        "macaroon_signature_invalid",
        assertThrows(L402Exception.class, () -> dropped.verify(ROOT, c -> true)).code());
    // a caveat spliced in with the old signature
    Macaroon spliced = Macaroon.parse(rebuild(m, List.of("a=1", "b=2", "c=3"), m.signature()));
    assertEquals(
        "macaroon_signature_invalid",
        assertThrows(L402Exception.class, () -> spliced.verify(ROOT, c -> true)).code());
    // adding a caveat properly (attenuation) still verifies
    m.withCaveat("c=3").verify(ROOT, c -> true);
  }

  @Test
  public void unsatisfiedCaveatIsRefusedOnlyAfterTheSignatureHolds() throws Exception {
    Macaroon m = sample();
    L402Exception e =
        assertThrows(L402Exception.class, () -> m.verify(ROOT, c -> !c.startsWith("b=")));
    assertEquals("macaroon_caveat_unsatisfied", e.code());
    assertTrue(e.getMessage().contains("b"));
    assertFalse(e.getMessage().contains("b=2"));
  }

  @Test
  public void thirdPartyCaveatIsRefused() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {2, 2, 1, 'x', 0});
    out.writeBytes(new byte[] {1, 4, 'h', 't', 't', 'p', 2, 3, 'c', 'i', 'd', 4, 2, 'v', 'v', 0});
    out.write(0);
    out.write(6);
    out.write(32);
    out.writeBytes(new byte[32]);
    assertEquals("macaroon_third_party_caveat", code(out.toByteArray()));
  }

  @Test
  public void fieldsOutOfOrderOrUnknownAreRefused() {
    assertEquals("macaroon_invalid", code(new byte[] {2, 2, 1, 'x', 1, 1, 'l', 0, 0, 6, 0}));
    assertEquals("macaroon_invalid", code(new byte[] {2, 3, 1, 'x', 0, 0, 6, 0}));
    assertEquals("macaroon_invalid", code(new byte[] {1, 2, 1, 'x', 0, 0, 6, 0}));
  }

  @Test
  public void shortSignatureIsRefused() {
    assertEquals("macaroon_invalid", code(new byte[] {2, 2, 1, 'x', 0, 0, 6, 1, 7}));
  }

  @Test
  public void nonUtf8CaveatIsRefused() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {2, 2, 1, 'x', 0, 2, 1, (byte) 0xff, 0, 0, 6, 32});
    out.writeBytes(new byte[32]);
    assertEquals("macaroon_invalid", code(out.toByteArray()));
  }

  @Test
  public void notBase64IsRefused() {
    for (String bad : new String[] {"", "!!!!", "AgE-AgE+", "A"}) {
      assertEquals(
          bad,
          "macaroon_invalid",
          assertThrows(L402Exception.class, () -> Macaroon.parseBase64(bad)).code());
    }
  }

  @Test
  public void toStringNamesNoSecret() {
    Macaroon m = sample();
    String s = m.toString();
    assertFalse(s.contains(m.toBase64()));
    assertFalse(s.contains(Vectors.hex(m.signature())));
    assertFalse(s.contains("a=1"));
  }

  private static byte[] rebuild(Macaroon m, List<String> caveats, byte[] signature) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(2);
    byte[] loc = m.location().getBytes(StandardCharsets.UTF_8);
    out.write(1);
    out.write(loc.length);
    out.writeBytes(loc);
    out.write(2);
    out.write(m.identifier().length);
    out.writeBytes(m.identifier());
    out.write(0);
    for (String c : new ArrayList<>(caveats)) {
      out.write(2);
      out.write(c.length());
      out.writeBytes(c.getBytes(StandardCharsets.UTF_8));
      out.write(0);
    }
    out.write(0);
    out.write(6);
    out.write(32);
    out.writeBytes(signature);
    return out.toByteArray();
  }
}
