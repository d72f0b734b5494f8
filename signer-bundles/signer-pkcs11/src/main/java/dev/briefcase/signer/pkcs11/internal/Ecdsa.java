package dev.briefcase.signer.pkcs11.internal;

import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.SignerException;
import java.math.BigInteger;
import java.util.Arrays;

/** ECDSA P-256 signature encodings: PKCS#11 returns raw r||s, some modules return DER. */
final class Ecdsa {
  private Ecdsa() {}

  /** A 64-byte r||s, converting from an ASN.1 {@code SEQUENCE {r, s}} when needed. */
  static byte[] toRaw(byte[] sig) throws SignerException {
    if (sig.length == 64) {
      return sig;
    }
    try {
      if (sig[0] != 0x30 || (sig[1] & 0xff) != sig.length - 2) {
        throw new IllegalArgumentException();
      }
      int rLen = sig[3];
      if (sig[2] != 0x02 || rLen <= 0) {
        throw new IllegalArgumentException();
      }
      byte[] r = Arrays.copyOfRange(sig, 4, 4 + rLen);
      int o = 4 + rLen;
      int sLen = sig[o + 1];
      if (sig[o] != 0x02 || o + 2 + sLen != sig.length) {
        throw new IllegalArgumentException();
      }
      byte[] s = Arrays.copyOfRange(sig, o + 2, o + 2 + sLen);
      byte[] out = new byte[64];
      System.arraycopy(PublicJwks.fixed(new BigInteger(1, r), 32), 0, out, 0, 32);
      System.arraycopy(PublicJwks.fixed(new BigInteger(1, s), 32), 0, out, 32, 32);
      return out;
    } catch (RuntimeException e) {
      throw new SignerException(
          SignerException.TOKEN_ERROR, "the token returned a malformed ECDSA signature");
    }
  }
}
