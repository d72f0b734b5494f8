package dev.briefcase.provider.gateway.internal;

import java.math.BigInteger;

/** {@code did:key} of an Ed25519 key (multicodec 0xED01, base58btc {@code z…}). */
final class DidKeys {
  private static final String ALPHABET =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

  private DidKeys() {}

  /** {@code did:key:z…#z…}, the verification method id used as {@code kid}. */
  static String verificationMethod(byte[] ed25519) {
    String id = "z" + base58(prefixed(ed25519));
    return "did:key:" + id + "#" + id;
  }

  private static byte[] prefixed(byte[] key) {
    byte[] out = new byte[key.length + 2];
    out[0] = (byte) 0xed;
    out[1] = 0x01;
    System.arraycopy(key, 0, out, 2, key.length);
    return out;
  }

  static String base58(byte[] input) {
    StringBuilder sb = new StringBuilder();
    BigInteger value = new BigInteger(1, input);
    BigInteger base = BigInteger.valueOf(58);
    while (value.signum() > 0) {
      BigInteger[] qr = value.divideAndRemainder(base);
      sb.append(ALPHABET.charAt(qr[1].intValue()));
      value = qr[0];
    }
    for (int i = 0; i < input.length && input[i] == 0; i++) {
      sb.append('1');
    }
    return sb.reverse().toString();
  }
}
