package dev.briefcase.plugins.internal;

import dev.briefcase.plugins.PluginException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The one view of a zip that both a front-to-back reader ({@code JarInputStream}, which verifies
 * signatures) and a central-directory reader (the framework's class loader) see, or a refusal. A
 * plugin jar is accepted only when every byte is accounted for in the plain layout {@code local
 * header, data, [data descriptor]}… {@code central directory, end record [comment]}: the central
 * directory names each entry once, its entries point at local headers that follow one another from
 * offset 0 without gaps or overlaps, each local header agrees with its central entry (name, method,
 * flags, sizes, CRC), each entry inflates to exactly its declared size and CRC using exactly its
 * compressed bytes, and there is exactly one end record, whose comment holds no zip signature (no
 * second end record, directory or ZIP64 locator hidden there). As a last check the same bytes are
 * opened with {@link ZipFile}, the framework's reader, which must list exactly the same entries in
 * the same order with the same sizes and CRCs. Top-level {@code META-INF/} names (the manifest and
 * signature files) are unique ignoring case, as the JDK's verifier finds them. ZIP64, encryption
 * and compression methods other than stored and deflated are refused. Entry count and total
 * inflated size are capped, and the declared sizes are checked before anything is inflated, so a
 * zip bomb fails fast.
 *
 * <p>Stateless and thread-safe; the cross-check writes the bytes to a temporary file it deletes.
 */
final class ZipLayout {
  /** Refusal code for a zip whose views disagree or that is not a plain zip. */
  static final String MALFORMED = PluginException.MALFORMED_PLUGIN;

  /** Refusal code for a zip over the entry-count or inflated-size cap. */
  static final String TOO_LARGE = PluginException.PLUGIN_TOO_LARGE;

  /** At most this many entries (well below ZIP64's 65,535). */
  static final int MAX_ENTRIES = 10_000;

  /** At most this many bytes once every entry is inflated. */
  static final long MAX_INFLATED_BYTES = 256L << 20;

  private static final int LOC_SIG = 0x04034b50;
  private static final int CEN_SIG = 0x02014b50;
  private static final int END_SIG = 0x06054b50;
  private static final int EXT_SIG = 0x08074b50;
  private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
  private static final int ZIP64_END_SIG = 0x06064b50;
  private static final int END_LEN = 22;
  private static final int CEN_LEN = 46;
  private static final int LOC_LEN = 30;
  private static final int FLAG_ENCRYPTED = 1;
  private static final int FLAG_DESCRIPTOR = 1 << 3;
  private static final int FLAG_UTF8 = 1 << 11;
  private static final int STORED = 0;
  private static final int DEFLATED = 8;

  private ZipLayout() {}

  /** A zip that is refused, with its stable code and a one-line, secret-free reason. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final String code;

    Refused(String code, String detail) {
      super(detail);
      this.code = code;
    }

    String code() {
      return code;
    }
  }

  /**
   * One entry as both views see it.
   *
   * @param name the entry name (UTF-8)
   * @param sha256 SHA-256 of the inflated content
   * @param size inflated size in bytes
   */
  record Entry(String name, byte[] sha256, long size) {
    boolean directory() {
      return name.endsWith("/");
    }
  }

  private record Central(
      String name,
      byte[] rawName,
      int flags,
      int method,
      long crc,
      long compressed,
      long size,
      long offset) {}

  /**
   * Checks {@code zip} and returns its entries in central-directory order, or refuses it.
   *
   * @throws Refused {@link #MALFORMED} or {@link #TOO_LARGE}
   */
  static List<Entry> read(byte[] zip) throws Refused {
    Bytes b = new Bytes(zip);
    int end = endRecord(b);
    if (b.u16(end + 4) != 0 || b.u16(end + 6) != 0 || b.u16(end + 8) != b.u16(end + 10)) {
      throw malformed("multi-disk archives are not accepted");
    }
    int count = b.u16(end + 10);
    long cenSize = b.u32(end + 12);
    long cenOffset = b.u32(end + 16);
    if (count == 0xFFFF || cenSize == 0xFFFFFFFFL || cenOffset == 0xFFFFFFFFL) {
      throw malformed("ZIP64 archives are not accepted");
    }
    if (end >= 20 && b.u32(end - 20) == ZIP64_LOCATOR_SIG) {
      throw malformed("ZIP64 archives are not accepted");
    }
    if (count > MAX_ENTRIES) {
      throw new Refused(TOO_LARGE, count + " entries; at most " + MAX_ENTRIES);
    }
    if (cenOffset + cenSize != end) {
      throw malformed("the central directory does not end where the end record starts");
    }
    List<Central> central = centralDirectory(b, (int) cenOffset, end, count);
    long declared = 0;
    for (Central c : central) {
      declared += c.size();
      if (declared > MAX_INFLATED_BYTES) {
        throw new Refused(TOO_LARGE, "more than " + (MAX_INFLATED_BYTES >> 20) + " MiB inflated");
      }
    }
    checkComment(b, end);
    checkLocalHeaders(b, central, cenOffset);
    List<Entry> entries = inflateAll(zip, b, central);
    crossCheck(zip, central);
    return entries;
  }

  /**
   * The end record's comment may not hold a zip signature: a second end record (or a central
   * directory, or a ZIP64 locator) hidden there is what another reader may take for the real one.
   */
  private static void checkComment(Bytes b, int end) throws Refused {
    int from = end + END_LEN;
    for (int pos = from; pos + 4 <= b.length(); pos++) {
      long sig = b.u32(pos);
      if (sig == END_SIG
          || sig == CEN_SIG
          || sig == LOC_SIG
          || sig == ZIP64_END_SIG
          || sig == ZIP64_LOCATOR_SIG) {
        throw malformed("the end record's comment holds a zip signature");
      }
    }
  }

  /**
   * Opens the same bytes with {@link ZipFile}, the reader the framework uses, and refuses unless it
   * lists exactly the entries found here, in the same order, with the same sizes and CRCs.
   */
  private static void crossCheck(byte[] zip, List<Central> central) throws Refused {
    Path tmp = null;
    try {
      tmp = Files.createTempFile("briefcase-plugin-", ".zip");
      Files.write(tmp, zip);
      try (ZipFile zf = new ZipFile(tmp.toFile())) {
        Enumeration<? extends ZipEntry> listed = zf.entries();
        for (Central c : central) {
          if (!listed.hasMoreElements()) {
            throw malformed("the framework's zip reader sees fewer entries");
          }
          ZipEntry e = listed.nextElement();
          if (!e.getName().equals(c.name())
              || e.getSize() != c.size()
              || e.getCompressedSize() != c.compressed()
              || e.getCrc() != c.crc()
              || e.getMethod() != c.method()) {
            throw malformed("the framework's zip reader sees another entry than " + c.name());
          }
        }
        if (listed.hasMoreElements()) {
          throw malformed("the framework's zip reader sees more entries");
        }
      }
    } catch (ZipException e) {
      throw malformed("the framework's zip reader cannot open it");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot cross-check a plugin zip", e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a temp file left behind holds no secret
        }
      }
    }
  }

  /** The single end record, which must end exactly at the end of the bytes (with its comment). */
  private static int endRecord(Bytes b) throws Refused {
    int found = -1;
    int lowest = Math.max(0, b.length() - END_LEN - 0xFFFF);
    for (int pos = b.length() - END_LEN; pos >= lowest; pos--) {
      if (b.u32(pos) == END_SIG && pos + END_LEN + b.u16(pos + 20) == b.length()) {
        if (found >= 0) {
          throw malformed("more than one end-of-central-directory record");
        }
        found = pos;
      }
    }
    if (found < 0) {
      throw malformed(
          b.length() < END_LEN
              ? "not a zip file"
              : "no end-of-central-directory record at the end of the file");
    }
    return found;
  }

  private static List<Central> centralDirectory(Bytes b, int start, int end, int count)
      throws Refused {
    List<Central> out = new ArrayList<>(count);
    Map<String, Boolean> names = new LinkedHashMap<>();
    Set<String> metaInf = new HashSet<>();
    int p = start;
    for (int i = 0; i < count; i++) {
      if (p + CEN_LEN > end || b.u32(p) != CEN_SIG) {
        throw malformed("central directory entry " + i + " is not where it should be");
      }
      int flags = b.u16(p + 8);
      int method = b.u16(p + 10);
      int nameLen = b.u16(p + 28);
      int extraLen = b.u16(p + 30);
      int commentLen = b.u16(p + 32);
      int next = p + CEN_LEN + nameLen + extraLen + commentLen;
      if (next > end) {
        throw malformed("central directory entry " + i + " runs past the directory");
      }
      byte[] raw = b.slice(p + CEN_LEN, nameLen);
      String name = name(raw, flags);
      if (b.u16(p + 34) != 0) {
        throw malformed("entry " + name + " is on another disk");
      }
      if ((flags & FLAG_ENCRYPTED) != 0) {
        throw malformed("entry " + name + " is encrypted");
      }
      if (method != STORED && method != DEFLATED) {
        throw malformed("entry " + name + " uses compression method " + method);
      }
      Central c =
          new Central(
              name, raw, flags, method, b.u32(p + 16), b.u32(p + 20), b.u32(p + 24), b.u32(p + 42));
      if (c.compressed() == 0xFFFFFFFFL || c.size() == 0xFFFFFFFFL || c.offset() == 0xFFFFFFFFL) {
        throw malformed("ZIP64 archives are not accepted");
      }
      if (method == STORED && c.compressed() != c.size()) {
        throw malformed("stored entry " + name + " has two sizes");
      }
      if (names.put(name, Boolean.TRUE) != null) {
        throw malformed("duplicate entry " + name);
      }
      // the JDK's verifier finds the manifest and signature files ignoring case; the framework
      // reads the manifest by its exact name: two spellings would be two different manifests
      String upper = name.toUpperCase(Locale.ROOT);
      if (upper.startsWith("META-INF/")
          && upper.indexOf('/', "META-INF/".length()) < 0
          && !metaInf.add(upper)) {
        throw malformed("duplicate entry " + name + " (ignoring case)");
      }
      out.add(c);
      p = next;
    }
    if (p != end) {
      throw malformed("the central directory holds more than its " + count + " entries");
    }
    return out;
  }

  /**
   * Walks the local headers in offset order: the first at offset 0, each right after the previous
   * entry's data (and descriptor), the last ending where the central directory starts.
   */
  private static void checkLocalHeaders(Bytes b, List<Central> central, long cenOffset)
      throws Refused {
    List<Central> byOffset = new ArrayList<>(central);
    byOffset.sort(Comparator.comparingLong(Central::offset));
    long expected = 0;
    for (Central c : byOffset) {
      if (c.offset() != expected) {
        throw malformed(
            expected == 0
                ? "data before the first entry"
                : "entry " + c.name() + " does not start where the previous one ends");
      }
      int p = (int) c.offset();
      if (p + LOC_LEN > cenOffset || b.u32(p) != LOC_SIG) {
        throw malformed("no local header for entry " + c.name());
      }
      int flags = b.u16(p + 6);
      int nameLen = b.u16(p + 26);
      int extraLen = b.u16(p + 28);
      int mask = FLAG_ENCRYPTED | FLAG_DESCRIPTOR | FLAG_UTF8;
      if ((flags & mask) != (c.flags() & mask) || b.u16(p + 8) != c.method()) {
        throw malformed("local header and central directory disagree on " + c.name());
      }
      if (p + LOC_LEN + nameLen > cenOffset
          || !Arrays.equals(b.slice(p + LOC_LEN, nameLen), c.rawName())) {
        throw malformed("local header and central directory name different entries");
      }
      long crc = b.u32(p + 14);
      long compressed = b.u32(p + 18);
      long size = b.u32(p + 22);
      boolean descriptor = (flags & FLAG_DESCRIPTOR) != 0;
      if (descriptor && c.method() == STORED) {
        throw malformed("stored entry " + c.name() + " has a data descriptor");
      }
      boolean sizesAgree = crc == c.crc() && compressed == c.compressed() && size == c.size();
      boolean deferred = descriptor && crc == 0 && compressed == 0 && size == 0;
      if (!sizesAgree && !deferred) {
        throw malformed("local header and central directory disagree on " + c.name());
      }
      long dataEnd = (long) p + LOC_LEN + nameLen + extraLen + c.compressed();
      if (dataEnd > cenOffset) {
        throw malformed("entry " + c.name() + " runs into the central directory");
      }
      expected = dataEnd;
      if (descriptor) {
        int d = (int) dataEnd;
        if (d + 4 <= cenOffset && b.u32(d) == EXT_SIG) {
          d += 4;
        }
        if (d + 12 > cenOffset
            || b.u32(d) != c.crc()
            || b.u32(d + 4) != c.compressed()
            || b.u32(d + 8) != c.size()) {
          throw malformed("data descriptor of " + c.name() + " disagrees with the directory");
        }
        expected = d + 12;
      }
    }
    if (expected != cenOffset) {
      throw malformed(
          central.isEmpty()
              ? "data before the central directory"
              : "data between the last entry and the central directory");
    }
  }

  /** Inflates every entry: exactly its compressed bytes, to exactly its size and CRC. */
  private static List<Entry> inflateAll(byte[] zip, Bytes b, List<Central> central) throws Refused {
    List<Entry> out = new ArrayList<>(central.size());
    byte[] buf = new byte[64 << 10];
    Inflater inflater = new Inflater(true);
    try {
      for (Central c : central) {
        int p = (int) c.offset();
        int data = p + LOC_LEN + b.u16(p + 26) + b.u16(p + 28);
        MessageDigest sha = sha256();
        CRC32 crc = new CRC32();
        long produced;
        if (c.method() == STORED) {
          sha.update(zip, data, (int) c.compressed());
          crc.update(zip, data, (int) c.compressed());
          produced = c.compressed();
        } else {
          inflater.reset();
          inflater.setInput(zip, data, (int) c.compressed());
          produced = 0;
          try {
            while (!inflater.finished()) {
              int n = inflater.inflate(buf);
              if (n == 0
                  && !inflater.finished()
                  && (inflater.needsInput() || inflater.needsDictionary())) {
                throw malformed("entry " + c.name() + " is truncated");
              }
              produced += n;
              if (produced > c.size()) {
                throw malformed("entry " + c.name() + " inflates past its declared size");
              }
              sha.update(buf, 0, n);
              crc.update(buf, 0, n);
            }
          } catch (DataFormatException e) {
            throw malformed("entry " + c.name() + " is not valid deflate data");
          }
          if (inflater.getRemaining() != 0) {
            throw malformed("entry " + c.name() + " has data after its compressed stream");
          }
        }
        if (produced != c.size() || crc.getValue() != c.crc()) {
          throw malformed("entry " + c.name() + " does not match its size and CRC");
        }
        out.add(new Entry(c.name(), sha.digest(), produced));
      }
    } finally {
      inflater.end();
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * A name both views read the same way: valid UTF-8 (what {@code JarInputStream} and {@code
   * ZipFile} decode), relative, with no empty, {@code .} or {@code ..} segment, no backslash and no
   * control character.
   */
  private static String name(byte[] raw, int flags) throws Refused {
    String name;
    try {
      name =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(raw))
              .toString();
    } catch (CharacterCodingException e) {
      throw malformed("an entry name is not UTF-8");
    }
    if (name.isEmpty() || name.startsWith("/") || name.indexOf('\\') >= 0) {
      throw malformed("entry name " + printable(name) + " is not a relative path");
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw malformed("entry name " + printable(name) + " holds a control character");
      }
    }
    String body = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    for (String segment : body.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw malformed("entry name " + printable(name) + " is not a plain path");
      }
    }
    return name;
  }

  private static String printable(String name) {
    String s = name.replaceAll("\\p{Cntrl}", "?");
    return s.length() <= 100 ? s : s.substring(0, 100) + "…";
  }

  private static Refused malformed(String detail) {
    return new Refused(MALFORMED, detail);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Little-endian reads that refuse, rather than throw, past the end. */
  private static final class Bytes {
    private final byte[] a;

    Bytes(byte[] a) {
      this.a = a;
    }

    int length() {
      return a.length;
    }

    int u16(int p) throws Refused {
      check(p, 2);
      return (a[p] & 0xff) | (a[p + 1] & 0xff) << 8;
    }

    long u32(int p) throws Refused {
      check(p, 4);
      return (a[p] & 0xffL)
          | (a[p + 1] & 0xffL) << 8
          | (a[p + 2] & 0xffL) << 16
          | (a[p + 3] & 0xffL) << 24;
    }

    byte[] slice(int p, int n) throws Refused {
      check(p, n);
      return Arrays.copyOfRange(a, p, p + n);
    }

    private void check(int p, int n) throws Refused {
      if (p < 0 || n < 0 || p > a.length - n) {
        throw malformed("the zip is truncated");
      }
    }
  }
}
