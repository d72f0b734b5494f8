package dev.briefcase.vc;

import java.util.Arrays;

/**
 * Base58 with the Bitcoin alphabet (base58btc, the {@code z} multibase of did:key). Neither Nimbus
 * JOSE nor BouncyCastle has it. Quadratic in the length, meant for keys (a few dozen bytes).
 */
final class Base58 {
  private static final char[] ALPHABET =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".toCharArray();
  private static final int[] INDEXES = new int[128];

  static {
    Arrays.fill(INDEXES, -1);
    for (int i = 0; i < ALPHABET.length; i++) {
      INDEXES[ALPHABET[i]] = i;
    }
  }

  private Base58() {}

  static String encode(byte[] input) {
    int zeros = 0;
    while (zeros < input.length && input[zeros] == 0) {
      zeros++;
    }
    byte[] digits = new byte[input.length * 138 / 100 + 1];
    int length = 0;
    for (int i = zeros; i < input.length; i++) {
      int carry = input[i] & 0xff;
      int j = 0;
      for (int k = digits.length - 1; (carry != 0 || j < length) && k >= 0; k--, j++) {
        carry += 256 * (digits[k] & 0xff);
        digits[k] = (byte) (carry % 58);
        carry /= 58;
      }
      length = j;
    }
    StringBuilder out = new StringBuilder(zeros + length);
    for (int i = 0; i < zeros; i++) {
      out.append('1');
    }
    for (int i = digits.length - length; i < digits.length; i++) {
      out.append(ALPHABET[digits[i]]);
    }
    return out.toString();
  }

  /** Decodes, or throws {@link IllegalArgumentException} on a character outside the alphabet. */
  static byte[] decode(String input) {
    int zeros = 0;
    while (zeros < input.length() && input.charAt(zeros) == '1') {
      zeros++;
    }
    byte[] bytes = new byte[input.length() * 733 / 1000 + 1];
    int length = 0;
    for (int i = zeros; i < input.length(); i++) {
      char c = input.charAt(i);
      int carry = c < 128 ? INDEXES[c] : -1;
      if (carry < 0) {
        throw new IllegalArgumentException("not base58btc");
      }
      int j = 0;
      for (int k = bytes.length - 1; (carry != 0 || j < length) && k >= 0; k--, j++) {
        carry += 58 * (bytes[k] & 0xff);
        bytes[k] = (byte) (carry % 256);
        carry /= 256;
      }
      length = j;
    }
    byte[] out = new byte[zeros + length];
    System.arraycopy(bytes, bytes.length - length, out, zeros, length);
    return out;
  }
}
