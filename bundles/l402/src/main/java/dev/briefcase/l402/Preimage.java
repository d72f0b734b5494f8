package dev.briefcase.l402;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The proof of a Lightning payment: 32 bytes whose SHA-256 is the invoice's payment hash. */
public final class Preimage {
  private Preimage() {}

  /**
   * Whether {@code preimageHex} (64 hex digits) hashes to {@code paymentHash} (32 bytes). Anything
   * malformed is false; the comparison takes the same time wherever the hashes differ.
   */
  public static boolean matches(String preimageHex, byte[] paymentHash) {
    if (!isHex32(preimageHex) || paymentHash == null || paymentHash.length != 32) {
      return false;
    }
    byte[] preimage = HexFormat.of().parseHex(preimageHex);
    return MessageDigest.isEqual(sha256(preimage), paymentHash);
  }

  /** {@link #matches(String, byte[])} with the payment hash as 64 hex digits. */
  public static boolean matches(String preimageHex, String paymentHashHex) {
    return isHex32(paymentHashHex) && matches(preimageHex, HexFormat.of().parseHex(paymentHashHex));
  }

  /** Whether {@code s} is exactly 64 hex digits (either case). */
  static boolean isHex32(String s) {
    if (s == null || s.length() != 64) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0 || s.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  static byte[] sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }
}
