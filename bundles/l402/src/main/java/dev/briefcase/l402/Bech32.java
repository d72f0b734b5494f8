package dev.briefcase.l402;

import java.io.ByteArrayOutputStream;
import java.util.Locale;

/**
 * Bech32 (BIP-173, constant 1) without the 90-character limit, which BOLT11 lifts. Package-private:
 * {@link Bolt11} is its only user.
 */
final class Bech32 {
  static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final int[] GEN = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};

  private Bech32() {}

  /** A decoded string: the lower-case human-readable part and the 5-bit data words. */
  record Decoded(String hrp, byte[] words) {}

  static Decoded decode(String s) throws L402Exception {
    boolean lower = false;
    boolean upper = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 33 || c > 126) {
        throw new L402Exception("invoice_invalid", "invoice has a character outside bech32");
      }
      lower |= c >= 'a' && c <= 'z';
      upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper) {
      throw new L402Exception("invoice_invalid", "invoice mixes upper and lower case");
    }
    String str = s.toLowerCase(Locale.ROOT);
    int sep = str.lastIndexOf('1');
    if (sep < 1 || sep + 7 > str.length()) {
      throw new L402Exception("invoice_invalid", "invoice has no bech32 separator or checksum");
    }
    String hrp = str.substring(0, sep);
    byte[] words = new byte[str.length() - sep - 1];
    for (int i = 0; i < words.length; i++) {
      int v = CHARSET.indexOf(str.charAt(sep + 1 + i));
      if (v < 0) {
        throw new L402Exception("invoice_invalid", "invoice has a character outside bech32");
      }
      words[i] = (byte) v;
    }
    if (polymod(hrp, words, words.length) != 1) {
      throw new L402Exception("invoice_checksum", "invoice checksum does not match");
    }
    byte[] data = new byte[words.length - 6];
    System.arraycopy(words, 0, data, 0, data.length);
    return new Decoded(hrp, data);
  }

  static String encode(String hrp, byte[] data) {
    byte[] withChecksum = new byte[data.length + 6];
    System.arraycopy(data, 0, withChecksum, 0, data.length);
    int mod = polymod(hrp, withChecksum, withChecksum.length) ^ 1;
    for (int i = 0; i < 6; i++) {
      withChecksum[data.length + i] = (byte) ((mod >>> (5 * (5 - i))) & 31);
    }
    StringBuilder b = new StringBuilder(hrp).append('1');
    for (byte w : withChecksum) {
      b.append(CHARSET.charAt(w));
    }
    return b.toString();
  }

  private static int polymod(String hrp, byte[] words, int n) {
    int chk = 1;
    for (int i = 0; i < hrp.length(); i++) {
      chk = step(chk, hrp.charAt(i) >> 5);
    }
    chk = step(chk, 0);
    for (int i = 0; i < hrp.length(); i++) {
      chk = step(chk, hrp.charAt(i) & 31);
    }
    for (int i = 0; i < n; i++) {
      chk = step(chk, words[i]);
    }
    return chk;
  }

  private static int step(int chk, int value) {
    int top = chk >>> 25;
    chk = (chk & 0x1ffffff) << 5 ^ value;
    for (int i = 0; i < 5; i++) {
      if (((top >>> i) & 1) != 0) {
        chk ^= GEN[i];
      }
    }
    return chk;
  }

  /** Regroups bits; {@code pad} fills the last group with zero bits. */
  static byte[] convert(byte[] in, int off, int len, int from, int to, boolean pad) {
    int acc = 0;
    int bits = 0;
    int maxv = (1 << to) - 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = off; i < off + len; i++) {
      acc = (acc << from) | (in[i] & ((1 << from) - 1));
      bits += from;
      while (bits >= to) {
        bits -= to;
        out.write((acc >>> bits) & maxv);
      }
    }
    if (pad && bits > 0) {
      out.write((acc << (to - bits)) & maxv);
    }
    return out.toByteArray();
  }
}
