package dev.briefcase.vc;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A W3C Bitstring Status List v1.0 bitstring. {@code encodedList} is multibase {@code u} +
 * base64url without padding of the GZIP-compressed bits; an entry of {@code statusSize} bits starts
 * at bit {@code index·statusSize}, bits counted MSB-first (bit 0 is {@code 0x80} of byte 0), the
 * same order as {@code @digitalbazaar/bitstring}.
 *
 * <p>Decoding is capped: at most {@link #MAX_ENCODED_CHARS} characters in and {@link
 * #MAX_DECODED_BYTES} bytes out — inflation stops at the cap ({@code status_list_too_large}), so a
 * gzip bomb never allocates more. A decoded list is immutable and thread-safe; the {@link Builder}
 * is synchronized.
 */
public final class BitstringStatusList {
  /** Encoded lists longer than this are refused without decoding (1 MiB). */
  public static final int MAX_ENCODED_CHARS = 1 << 20;

  /** Decompression stops past this many bytes (16 MiB). */
  public static final int MAX_DECODED_BYTES = 16 << 20;

  /** The W3C minimum number of entries of a list, for herd privacy. */
  public static final int MIN_ENTRIES = 131_072;

  private final byte[] bits;

  private BitstringStatusList(byte[] bits) {
    this.bits = bits;
  }

  /** The raw bitstring (a copy). */
  public byte[] bits() {
    return bits.clone();
  }

  /** The number of bits. */
  public long bitLength() {
    return bits.length * 8L;
  }

  /**
   * The value of entry {@code index}: {@code statusSize} bits MSB-first from bit {@code
   * index·statusSize}.
   *
   * @throws VcException {@code status_index_out_of_range} when the entry lies past the end, or
   *     {@code invalid_credential_status} for a size outside 1..64 or a negative index
   */
  public long get(long index, int statusSize) throws VcException {
    checkSize(statusSize);
    if (index < 0) {
      throw new VcException("invalid_credential_status", "negative status list index");
    }
    if (index >= bitLength() / statusSize) {
      throw new VcException("status_index_out_of_range", "status list index out of range");
    }
    long start = index * statusSize;
    long value = 0;
    for (int i = 0; i < statusSize; i++) {
      long bit = start + i;
      value = (value << 1) | ((bits[(int) (bit >>> 3)] >>> (7 - (int) (bit & 7))) & 1);
    }
    return value;
  }

  /**
   * Decodes an {@code encodedList}.
   *
   * @throws VcException {@code status_list_too_large} past either cap, {@code invalid_status_list}
   *     for another multibase than {@code u}, bad base64url, bad or empty GZIP
   */
  public static BitstringStatusList decode(String encodedList) throws VcException {
    if (encodedList == null || encodedList.isEmpty()) {
      throw new VcException("invalid_status_list", "empty encodedList");
    }
    if (encodedList.length() > MAX_ENCODED_CHARS) {
      throw new VcException("status_list_too_large", "encodedList is over 1 MiB");
    }
    if (encodedList.charAt(0) != 'u') {
      throw new VcException("invalid_status_list", "encodedList is not multibase base64url (u)");
    }
    String b64 = encodedList.substring(1);
    for (int i = 0; i < b64.length(); i++) {
      char c = b64.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (!ok) {
        throw new VcException("invalid_status_list", "encodedList is not base64url");
      }
    }
    byte[] gz;
    try {
      gz = Base64.getUrlDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new VcException("invalid_status_list", "encodedList is not base64url");
    }
    byte[] bits = gunzip(gz);
    if (bits.length == 0) {
      throw new VcException("invalid_status_list", "empty status list");
    }
    return new BitstringStatusList(bits);
  }

  private static byte[] gunzip(byte[] gz) throws VcException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 8192)) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > MAX_DECODED_BYTES) {
          throw new VcException("status_list_too_large", "status list inflates past 16 MiB");
        }
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      throw new VcException("invalid_status_list", "encodedList is not valid GZIP");
    }
    return out.toByteArray();
  }

  /** {@code u} + base64url(gzip(bits)) without padding. */
  public static String encode(byte[] bits) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bits);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return "u" + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
  }

  private static void checkSize(int statusSize) throws VcException {
    if (statusSize < 1 || statusSize > 64) {
      throw new VcException("invalid_credential_status", "statusSize outside 1..64");
    }
  }

  /**
   * A mutable list of {@code entries} entries of {@code statusSize} bits each, all zero at first
   * (the issuer's side). Synchronized: one builder may be shared by request threads.
   */
  public static final class Builder {
    private final byte[] bits;
    private final int statusSize;
    private final long entries;

    /**
     * @param entries at least {@link #MIN_ENTRIES}
     * @param statusSize 1..64
     */
    public Builder(long entries, int statusSize) throws VcException {
      checkSize(statusSize);
      if (entries < MIN_ENTRIES || entries * statusSize > MAX_DECODED_BYTES * 8L) {
        throw new VcException(
            "invalid_status_list", "a list has 131072 entries or more and fits 16 MiB");
      }
      this.statusSize = statusSize;
      this.entries = entries;
      this.bits = new byte[(int) ((entries * statusSize + 7) / 8)];
    }

    /** A builder that continues a stored list ({@code encodedList} as {@link #encode()} made). */
    public static Builder decode(String encodedList, int statusSize) throws VcException {
      checkSize(statusSize);
      byte[] stored = BitstringStatusList.decode(encodedList).bits;
      Builder b = new Builder(Math.max(MIN_ENTRIES, stored.length * 8L / statusSize), statusSize);
      System.arraycopy(stored, 0, b.bits, 0, Math.min(stored.length, b.bits.length));
      return b;
    }

    /** The number of entries. */
    public long entries() {
      return entries;
    }

    /** The entry size in bits. */
    public int statusSize() {
      return statusSize;
    }

    /**
     * Sets entry {@code index} to {@code value} (its low {@code statusSize} bits).
     *
     * @throws VcException {@code status_index_out_of_range}, or {@code invalid_credential_status}
     *     for a value that does not fit
     */
    public synchronized void set(long index, long value) throws VcException {
      if (index < 0 || index >= entries) {
        throw new VcException("status_index_out_of_range", "status list index out of range");
      }
      if (statusSize < 64 && (value < 0 || value >>> statusSize != 0)) {
        throw new VcException("invalid_credential_status", "value does not fit statusSize");
      }
      long start = index * statusSize;
      for (int i = 0; i < statusSize; i++) {
        long bit = start + i;
        int mask = 0x80 >>> (int) (bit & 7);
        int at = (int) (bit >>> 3);
        if (((value >>> (statusSize - 1 - i)) & 1) != 0) {
          bits[at] |= (byte) mask;
        } else {
          bits[at] &= (byte) ~mask;
        }
      }
    }

    /** Sets entry {@code index} back to 0. */
    public void clear(long index) throws VcException {
      set(index, 0);
    }

    /** The current value of entry {@code index}. */
    public synchronized long get(long index) throws VcException {
      if (index < 0 || index >= entries) {
        throw new VcException("status_index_out_of_range", "status list index out of range");
      }
      return new BitstringStatusList(bits).get(index, statusSize);
    }

    /** The current list as {@code encodedList}. */
    public synchronized String encode() {
      return BitstringStatusList.encode(bits);
    }
  }
}
