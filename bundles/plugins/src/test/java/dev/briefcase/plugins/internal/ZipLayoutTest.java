package dev.briefcase.plugins.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.Test;

/**
 * The zip-structure check as a pure function over bytes: well-formed zips (from the JDK's writer
 * and from a stored-only writer here) pass with their content digests; every way to show a
 * front-to-back reader and a central-directory reader different content is refused with {@code
 * malformed_plugin}; zip bombs are refused with {@code plugin_too_large} before inflation.
 */
public class ZipLayoutTest {
  private static final byte[] A = "first entry".getBytes(StandardCharsets.UTF_8);
  private static final byte[] B = "the signed class".getBytes(StandardCharsets.UTF_8);
  private static final byte[] EVIL = "the replacement".getBytes(StandardCharsets.UTF_8);

  @Test
  public void jdkWrittenZipPassesWithItsDigests() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry("dir/"));
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("dir/a.txt"));
      zip.write(A);
      zip.closeEntry();
      ZipEntry stored = new ZipEntry("b.bin");
      stored.setMethod(ZipEntry.STORED);
      stored.setSize(B.length);
      stored.setCrc(crc(B));
      zip.putNextEntry(stored);
      zip.write(B);
      zip.closeEntry();
      zip.setComment("a comment");
    }
    List<ZipLayout.Entry> entries = ZipLayout.read(out.toByteArray());
    assertEquals(3, entries.size());
    assertEquals("dir/a.txt", entries.get(1).name());
    assertArrayEquals(sha256(A), entries.get(1).sha256());
    assertArrayEquals(sha256(B), entries.get(2).sha256());
  }

  @Test
  public void plainStoredZipPasses() throws Exception {
    Zip z = new Zip().add("a", A).add("b", B);
    assertEquals(2, ZipLayout.read(z.bytes()).size());
  }

  @Test
  public void secondCentralDirectoryAppendedIsRefused() throws Exception {
    Zip z = new Zip().add("a", A).add("b", B);
    byte[] original = z.bytes();
    // the classic two-views zip: a replacement for b and a directory naming it, after the end
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(original);
    int evilAt = out.size();
    out.write(Zip.local("b", EVIL));
    int cd = out.size();
    out.write(Zip.central("a", A, 0));
    out.write(Zip.central("b", EVIL, evilAt));
    out.write(Zip.end(2, out.size() - cd, cd, new byte[0]));
    refused(out.toByteArray(), ZipLayout.MALFORMED);
  }

  @Test
  public void duplicateNamesAreRefused() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Zip.local("a", A));
    int second = out.size();
    out.write(Zip.local("a", EVIL));
    int cd = out.size();
    out.write(Zip.central("a", A, 0));
    out.write(Zip.central("a", EVIL, second));
    out.write(Zip.end(2, out.size() - cd, cd, new byte[0]));
    assertTrue(refused(out.toByteArray(), ZipLayout.MALFORMED).contains("duplicate"));
  }

  @Test
  public void twoSpellingsOfTheManifestAreRefused() throws Exception {
    Zip z = new Zip().add("meta-inf/manifest.mf", A).add("META-INF/MANIFEST.MF", B);
    assertTrue(refused(z.bytes(), ZipLayout.MALFORMED).contains("ignoring case"));
    // elsewhere names that differ only in case are ordinary entries
    assertEquals(2, ZipLayout.read(new Zip().add("a/B.txt", A).add("a/b.txt", B).bytes()).size());
  }

  @Test
  public void entryOnlyInTheLocalViewIsRefused() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Zip.local("a", A));
    out.write(Zip.local("hidden", EVIL));
    int cd = out.size();
    out.write(Zip.central("a", A, 0));
    out.write(Zip.end(1, out.size() - cd, cd, new byte[0]));
    refused(out.toByteArray(), ZipLayout.MALFORMED);
  }

  @Test
  public void entryOnlyInTheCentralViewIsRefused() throws Exception {
    // two directory entries, one local header: "b" is a second name for a's bytes
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Zip.local("a", A));
    int cd = out.size();
    out.write(Zip.central("a", A, 0));
    out.write(Zip.central("b", A, 0));
    out.write(Zip.end(2, out.size() - cd, cd, new byte[0]));
    refused(out.toByteArray(), ZipLayout.MALFORMED);
  }

  @Test
  public void localAndCentralNamesMustAgree() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Zip.local("a", A));
    int cd = out.size();
    out.write(Zip.central("z", A, 0));
    out.write(Zip.end(1, out.size() - cd, cd, new byte[0]));
    refused(out.toByteArray(), ZipLayout.MALFORMED);
  }

  @Test
  public void dataBeforeTheFirstEntryIsRefused() throws Exception {
    byte[] zip = new Zip().add("a", A).bytes();
    byte[] prefixed = new byte[zip.length + 16];
    System.arraycopy(zip, 0, prefixed, 16, zip.length);
    refused(prefixed, ZipLayout.MALFORMED);
    // even with every offset adjusted, as a self-extracting archive would
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[16]);
    out.write(Zip.local("a", A));
    int cd = out.size();
    out.write(Zip.central("a", A, 16));
    out.write(Zip.end(1, out.size() - cd, cd, new byte[0]));
    assertTrue(refused(out.toByteArray(), ZipLayout.MALFORMED).contains("before the first"));
  }

  @Test
  public void dataAfterTheEndRecordIsRefused() throws Exception {
    byte[] zip = new Zip().add("a", A).bytes();
    byte[] longer = new byte[zip.length + 5];
    System.arraycopy(zip, 0, longer, 0, zip.length);
    refused(longer, ZipLayout.MALFORMED);
  }

  @Test
  public void secondEndRecordInTheCommentIsRefused() throws Exception {
    Zip z = new Zip().add("a", A);
    byte[] inner = Zip.end(1, z.cdSize(), z.cdOffset(), new byte[0]);
    byte[] zip = z.bytes(inner);
    assertTrue(refused(zip, ZipLayout.MALFORMED).contains("more than one"));
  }

  @Test
  public void secondViewHiddenInTheCommentIsRefused() throws Exception {
    // the two-views construction: a replacement entry, a directory naming it and an end record,
    // all inside the real end record's comment, with a few bytes after it so the hidden end record
    // does not end the file; ZipFile takes the hidden one
    Zip z = new Zip().add("a", A).add("b", B);
    int commentStart = z.bytes().length;
    ByteArrayOutputStream comment = new ByteArrayOutputStream();
    comment.write(Zip.local("b", EVIL));
    int cd = comment.size();
    comment.write(Zip.central("a", A, 0));
    comment.write(Zip.central("b", EVIL, commentStart));
    comment.write(Zip.end(2, comment.size() - cd, commentStart + cd, new byte[0]));
    comment.write(new byte[4]);
    byte[] zip = z.bytes(comment.toByteArray());
    assertArrayEquals("the JDK's reader sees the hidden view", EVIL, zipFileRead(zip, "b"));
    assertTrue(refused(zip, ZipLayout.MALFORMED).contains("comment"));
  }

  @Test
  public void anyZipSignatureInTheCommentIsRefused() throws Exception {
    for (int sig : new int[] {0x06054b50, 0x02014b50, 0x04034b50, 0x06064b50, 0x07064b50}) {
      byte[] comment =
          new Le().bytes("note ".getBytes(StandardCharsets.UTF_8)).u32(sig).out.toByteArray();
      refused(new Zip().add("a", A).bytes(comment), ZipLayout.MALFORMED);
    }
  }

  @Test
  public void plainTextCommentPasses() throws Exception {
    byte[] comment = "built by hand, PK".getBytes(StandardCharsets.UTF_8);
    assertEquals(1, ZipLayout.read(new Zip().add("a", A).bytes(comment)).size());
  }

  @Test
  public void gapBetweenEntriesIsRefused() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Zip.local("a", A));
    out.write(new byte[] {0, 0, 0, 0});
    int bAt = out.size();
    out.write(Zip.local("b", B));
    int cd = out.size();
    out.write(Zip.central("a", A, 0));
    out.write(Zip.central("b", B, bAt));
    out.write(Zip.end(2, out.size() - cd, cd, new byte[0]));
    refused(out.toByteArray(), ZipLayout.MALFORMED);
  }

  @Test
  public void unsafeNamesAreRefused() throws Exception {
    for (String name : List.of("../a", "/a", "a//b", "a\\b", "./a")) {
      refused(new Zip().add(name, A).bytes(), ZipLayout.MALFORMED);
    }
  }

  @Test
  public void truncatedOrGarbageIsRefused() throws Exception {
    byte[] zip = new Zip().add("a", A).bytes();
    byte[] cut = new byte[zip.length - 3];
    System.arraycopy(zip, 0, cut, 0, cut.length);
    refused(cut, ZipLayout.MALFORMED);
    refused(new byte[0], ZipLayout.MALFORMED);
    refused("not a zip at all".getBytes(StandardCharsets.UTF_8), ZipLayout.MALFORMED);
  }

  @Test
  public void honestZipBombIsRefusedBeforeInflating() throws Exception {
    byte[] bomb = deflatedBomb(ZipLayout.MAX_INFLATED_BYTES + 1, true);
    long start = System.nanoTime();
    refused(bomb, ZipLayout.TOO_LARGE);
    assertTrue("refused from the declared sizes", System.nanoTime() - start < 1_000_000_000L);
  }

  @Test
  public void lyingZipBombStopsAtItsDeclaredSize() throws Exception {
    byte[] bomb = deflatedBomb(64L << 20, false);
    long start = System.nanoTime();
    assertTrue(refused(bomb, ZipLayout.MALFORMED).contains("past its declared size"));
    assertTrue("stopped early", System.nanoTime() - start < 2_000_000_000L);
  }

  @Test
  public void tooManyEntriesAreRefused() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int count = ZipLayout.MAX_ENTRIES + 1;
    List<Integer> offsets = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      offsets.add(out.size());
      out.write(Zip.local("e" + i, new byte[0]));
    }
    int cd = out.size();
    for (int i = 0; i < count; i++) {
      out.write(Zip.central("e" + i, new byte[0], offsets.get(i)));
    }
    out.write(Zip.end(count, out.size() - cd, cd, new byte[0]));
    refused(out.toByteArray(), ZipLayout.TOO_LARGE);
  }

  /** One deflated entry of {@code size} zero bytes; declared honestly or as 1 KiB. */
  private static byte[] deflatedBomb(long size, boolean honest) throws IOException {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    byte[] zeros = new byte[1 << 20];
    byte[] buf = new byte[1 << 16];
    CRC32 crc = new CRC32();
    for (long left = size; left > 0; ) {
      int n = (int) Math.min(zeros.length, left);
      d.setInput(zeros, 0, n);
      crc.update(zeros, 0, n);
      left -= n;
      while (!d.needsInput()) {
        data.write(buf, 0, d.deflate(buf));
      }
    }
    d.finish();
    while (!d.finished()) {
      data.write(buf, 0, d.deflate(buf));
    }
    d.end();
    byte[] compressed = data.toByteArray();
    long declared = honest ? size : 1024;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Zip.header(0x04034b50, "bomb", 8, crc.getValue(), compressed.length, declared, -1));
    out.write(compressed);
    int cd = out.size();
    out.write(Zip.header(0x02014b50, "bomb", 8, crc.getValue(), compressed.length, declared, 0));
    out.write(Zip.end(1, out.size() - cd, cd, new byte[0]));
    return out.toByteArray();
  }

  private static String refused(byte[] zip, String code) {
    try {
      ZipLayout.read(zip);
    } catch (ZipLayout.Refused e) {
      assertEquals(e.getMessage(), code, e.code());
      return e.getMessage();
    }
    fail("accepted, expected " + code);
    return null;
  }

  private static byte[] zipFileRead(byte[] zip, String name) throws IOException {
    Path tmp = Files.createTempFile("ziplayout-", ".zip");
    try {
      Files.write(tmp, zip);
      try (ZipFile zf = new ZipFile(tmp.toFile());
          InputStream in = zf.getInputStream(zf.getEntry(name))) {
        return in.readAllBytes();
      }
    } finally {
      Files.delete(tmp);
    }
  }

  private static long crc(byte[] b) {
    CRC32 c = new CRC32();
    c.update(b);
    return c.getValue();
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  /** A stored-only zip writer whose every field the tests can get wrong on purpose. */
  static final class Zip {
    private final List<String> names = new ArrayList<>();
    private final List<byte[]> datas = new ArrayList<>();
    private int cdOffset;
    private int cdSize;

    Zip add(String name, byte[] data) {
      names.add(name);
      datas.add(data);
      return this;
    }

    byte[] bytes() throws IOException {
      return bytes(new byte[0]);
    }

    byte[] bytes(byte[] comment) throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      List<Integer> offsets = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        offsets.add(out.size());
        out.write(local(names.get(i), datas.get(i)));
      }
      cdOffset = out.size();
      for (int i = 0; i < names.size(); i++) {
        out.write(central(names.get(i), datas.get(i), offsets.get(i)));
      }
      cdSize = out.size() - cdOffset;
      out.write(end(names.size(), cdSize, cdOffset, comment));
      return out.toByteArray();
    }

    int cdOffset() throws IOException {
      bytes();
      return cdOffset;
    }

    int cdSize() throws IOException {
      bytes();
      return cdSize;
    }

    static byte[] local(String name, byte[] data) {
      byte[] h = header(0x04034b50, name, 0, crc(data), data.length, data.length, -1);
      byte[] out = new byte[h.length + data.length];
      System.arraycopy(h, 0, out, 0, h.length);
      System.arraycopy(data, 0, out, h.length, data.length);
      return out;
    }

    static byte[] central(String name, byte[] data, long offset) {
      return header(0x02014b50, name, 0, crc(data), data.length, data.length, offset);
    }

    /** A local header ({@code offset} -1) or central directory header. */
    static byte[] header(
        int sig, String name, int method, long crc, long compressed, long size, long offset) {
      byte[] n = name.getBytes(StandardCharsets.UTF_8);
      boolean central = offset >= 0;
      Le b = new Le();
      b.u32(sig);
      if (central) {
        b.u16(20);
      }
      b.u16(20).u16(1 << 11).u16(method).u16(0).u16(0x21);
      b.u32(crc).u32(compressed).u32(size).u16(n.length).u16(0);
      if (central) {
        b.u16(0).u16(0).u16(0).u32(0).u32(offset);
      }
      b.bytes(n);
      return b.out.toByteArray();
    }

    static byte[] end(int count, long cdSize, long cdOffset, byte[] comment) {
      Le b = new Le();
      b.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(cdSize).u32(cdOffset);
      b.u16(comment.length).bytes(comment);
      return b.out.toByteArray();
    }
  }

  private static final class Le {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Le u16(int v) {
      out.write(v & 0xff);
      out.write((v >>> 8) & 0xff);
      return this;
    }

    Le u32(long v) {
      u16((int) (v & 0xffff));
      return u16((int) ((v >>> 16) & 0xffff));
    }

    Le bytes(byte[] b) {
      out.write(b, 0, b.length);
      return this;
    }
  }
}
