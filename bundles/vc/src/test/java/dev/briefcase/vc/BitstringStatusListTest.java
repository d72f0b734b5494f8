package dev.briefcase.vc;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.Test;

public class BitstringStatusListTest {
  private static BitstringStatusList list(int... bytes) throws VcException {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return BitstringStatusList.decode(BitstringStatusList.encode(b));
  }

  @Test
  public void encodingIsMultibaseBase64UrlOfGzip() throws Exception {
    String encoded = BitstringStatusList.encode(new byte[16384]);
    assertTrue(encoded.startsWith("u"));
    assertTrue(encoded.matches("u[A-Za-z0-9_-]+"));
    assertArrayEquals(new byte[16384], BitstringStatusList.decode(encoded).bits());
    // gzip magic 1f 8b
    byte[] gz = Base64.getUrlDecoder().decode(encoded.substring(1));
    assertEquals(0x1f, gz[0] & 0xff);
    assertEquals(0x8b, gz[1] & 0xff);
  }

  @Test
  public void statusSizeOneReadsMsbFirstAcrossByteBoundaries() throws Exception {
    BitstringStatusList l = list(0x80, 0x01, 0x00);
    assertEquals(1, l.get(0, 1));
    for (int i = 1; i < 15; i++) {
      assertEquals("bit " + i, 0, l.get(i, 1));
    }
    assertEquals(1, l.get(15, 1)); // last bit of byte 1
    assertEquals(0, l.get(16, 1)); // first bit of byte 2
    assertEquals(0, l.get(23, 1));
    assertEquals(24, l.bitLength());
  }

  @Test
  public void statusSizeTwoReadsPairsMsbFirst() throws Exception {
    // byte 0 = 10 01 00 11, byte 1 = 01 ...
    BitstringStatusList l = list(0b1001_0011, 0b0100_0000);
    assertEquals(2, l.get(0, 2));
    assertEquals(1, l.get(1, 2));
    assertEquals(0, l.get(2, 2));
    assertEquals(3, l.get(3, 2)); // the last pair of byte 0
    assertEquals(1, l.get(4, 2)); // the first pair of byte 1
    assertEquals(0, l.get(7, 2));
  }

  @Test
  public void statusSizeEightReadsWholeBytes() throws Exception {
    BitstringStatusList l = list(0x00, 0xff, 0xa5, 0x01);
    assertEquals(0, l.get(0, 8));
    assertEquals(0xff, l.get(1, 8));
    assertEquals(0xa5, l.get(2, 8));
    assertEquals(0x01, l.get(3, 8));
  }

  @Test
  public void statusSizeSpanningBytesAndSixtyFourBits() throws Exception {
    // size 3: entry 2 = bits 6..8 = last two bits of byte 0 and first of byte 1
    BitstringStatusList l = list(0b0000_0011, 0b1000_0000, 0, 0, 0, 0, 0, 0, 0xff);
    assertEquals(7, l.get(2, 3));
    assertEquals(0, l.get(3, 3));
    assertEquals(0x0380_0000_0000_0000L, list(3, 0x80, 0, 0, 0, 0, 0, 0).get(0, 64));
    assertEquals(-1L, list(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff).get(0, 64));
  }

  @Test
  public void indexPastTheEndIsOutOfRange() throws Exception {
    BitstringStatusList l = list(0xff, 0xff);
    assertEquals(1, l.get(15, 1));
    assertEquals(
        "status_index_out_of_range", assertThrows(VcException.class, () -> l.get(16, 1)).code());
    assertEquals(
        "status_index_out_of_range", assertThrows(VcException.class, () -> l.get(2, 8)).code());
    assertEquals(
        "status_index_out_of_range", assertThrows(VcException.class, () -> l.get(0, 64)).code());
    assertEquals(
        "status_index_out_of_range",
        assertThrows(VcException.class, () -> l.get(Integer.MAX_VALUE, 64)).code());
    assertEquals(
        "invalid_credential_status", assertThrows(VcException.class, () -> l.get(0, 65)).code());
    assertEquals(
        "invalid_credential_status", assertThrows(VcException.class, () -> l.get(-1, 1)).code());
  }

  @Test
  public void gzipBombStopsAtTheCap() throws Exception {
    // 64 MiB of zeros deflate to ~64 KiB; decoding must stop at 16 MiB
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz =
        new GZIPOutputStream(out) {
          {
            def.setLevel(Deflater.BEST_COMPRESSION);
          }
        }) {
      byte[] chunk = new byte[1 << 20];
      for (int i = 0; i < 64; i++) {
        gz.write(chunk);
      }
    }
    String bomb = "u" + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
    assertTrue(bomb.length() < BitstringStatusList.MAX_ENCODED_CHARS);
    assertEquals(
        "status_list_too_large",
        assertThrows(VcException.class, () -> BitstringStatusList.decode(bomb)).code());
    // exactly 16 MiB still decodes
    String atCap = BitstringStatusList.encode(new byte[BitstringStatusList.MAX_DECODED_BYTES]);
    assertEquals(
        BitstringStatusList.MAX_DECODED_BYTES * 8L, BitstringStatusList.decode(atCap).bitLength());
  }

  @Test
  public void oversizedEncodedListIsRefusedUnread() {
    String big = "u" + "A".repeat(BitstringStatusList.MAX_ENCODED_CHARS);
    assertEquals(
        "status_list_too_large",
        assertThrows(VcException.class, () -> BitstringStatusList.decode(big)).code());
  }

  @Test
  public void badMultibaseBase64OrGzipIsInvalid() {
    String good = BitstringStatusList.encode(new byte[16]);
    String[] bad = {
      null,
      "",
      "u",
      "z" + good.substring(1), // base58 multibase
      good.substring(1), // no multibase prefix
      good + "=", // padding
      good.replace('-', '+').replace('_', '/') + "+/", // standard base64
      "u" + Base64.getUrlEncoder().withoutPadding().encodeToString("not gzip".getBytes()),
      good.substring(0, good.length() - 6), // truncated gzip
      BitstringStatusList.encode(new byte[0]), // empty list
    };
    for (String s : bad) {
      VcException e = assertThrows(VcException.class, () -> BitstringStatusList.decode(s));
      assertEquals(String.valueOf(s), "invalid_status_list", e.code());
    }
  }

  @Test
  public void builderSetsAndClearsEntries() throws Exception {
    BitstringStatusList.Builder b = new BitstringStatusList.Builder(131_072, 1);
    b.set(0, 1);
    b.set(131_071, 1);
    b.set(9, 1);
    b.clear(9);
    BitstringStatusList l = BitstringStatusList.decode(b.encode());
    assertEquals(131_072, l.bitLength());
    assertEquals(1, l.get(0, 1));
    assertEquals(0, l.get(9, 1));
    assertEquals(1, l.get(131_071, 1));
    assertEquals(0x80, l.bits()[0] & 0xff);
    assertEquals(0x01, l.bits()[16383] & 0xff);

    BitstringStatusList.Builder two = new BitstringStatusList.Builder(131_072, 2);
    two.set(3, 2);
    two.set(4, 3);
    BitstringStatusList l2 = BitstringStatusList.decode(two.encode());
    assertEquals(0b0000_0010, l2.bits()[0] & 0xff);
    assertEquals(0b1100_0000, l2.bits()[1] & 0xff);
    assertEquals(2, l2.get(3, 2));
    assertEquals(3, BitstringStatusList.Builder.decode(two.encode(), 2).get(4));
  }

  @Test
  public void builderRefusesBadInput() throws Exception {
    assertEquals(
        "invalid_status_list",
        assertThrows(VcException.class, () -> new BitstringStatusList.Builder(1000, 1)).code());
    BitstringStatusList.Builder b = new BitstringStatusList.Builder(131_072, 2);
    assertEquals(
        "status_index_out_of_range",
        assertThrows(VcException.class, () -> b.set(131_072, 1)).code());
    assertEquals(
        "invalid_credential_status", assertThrows(VcException.class, () -> b.set(0, 4)).code());
    assertEquals(0, b.get(0));
  }
}
