package dev.briefcase.signer.apple.internal;

import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.SignerException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/** P-256 encodings the Security framework hands back, checked before use. Pure Java. */
final class P256 {
  private P256() {}

  /**
   * A 64-byte {@code r || s} from an X9.62 (ASN.1 DER {@code SEQUENCE {INTEGER r, INTEGER s}})
   * signature, as {@code SecKeyCreateSignature} returns it. Anything else is {@code
   * keychain_error}.
   */
  static byte[] derToRaw(byte[] der) throws SignerException {
    try {
      int[] pos = {0};
      if (der.length < 8 || der[pos[0]++] != 0x30) {
        throw new IllegalArgumentException("not a SEQUENCE");
      }
      int seqLen = length(der, pos);
      if (pos[0] + seqLen != der.length) {
        throw new IllegalArgumentException("trailing or missing bytes");
      }
      BigInteger r = integer(der, pos);
      BigInteger s = integer(der, pos);
      if (pos[0] != der.length) {
        throw new IllegalArgumentException("trailing bytes in SEQUENCE");
      }
      byte[] out = new byte[64];
      System.arraycopy(PublicJwks.fixed(r, 32), 0, out, 0, 32);
      System.arraycopy(PublicJwks.fixed(s, 32), 0, out, 32, 32);
      return out;
    } catch (RuntimeException e) {
      throw new SignerException(
          SignerException.KEYCHAIN_ERROR,
          "the Security framework returned a malformed ECDSA signature");
    }
  }

  private static int length(byte[] der, int[] pos) {
    int b = der[pos[0]++] & 0xff;
    if (b < 0x80) {
      return b;
    }
    if (b == 0x81) {
      int l = der[pos[0]++] & 0xff;
      if (l < 0x80) {
        throw new IllegalArgumentException("non-minimal length");
      }
      return l;
    }
    throw new IllegalArgumentException("length too long for a P-256 signature");
  }

  private static BigInteger integer(byte[] der, int[] pos) {
    if (der[pos[0]++] != 0x02) {
      throw new IllegalArgumentException("not an INTEGER");
    }
    int len = length(der, pos);
    if (len < 1 || len > 33 || pos[0] + len > der.length) {
      throw new IllegalArgumentException("bad INTEGER length");
    }
    byte[] v = Arrays.copyOfRange(der, pos[0], pos[0] + len);
    pos[0] += len;
    if (v[0] < 0) {
      throw new IllegalArgumentException("negative INTEGER");
    }
    if (len > 1 && v[0] == 0 && v[1] >= 0) {
      throw new IllegalArgumentException("non-minimal INTEGER");
    }
    BigInteger n = new BigInteger(1, v);
    if (n.signum() == 0 || n.bitLength() > 256) {
      throw new IllegalArgumentException("INTEGER out of range");
    }
    return n;
  }

  /**
   * Checks an uncompressed SEC1 point ({@code 04 || X || Y}, what {@code
   * SecKeyCopyExternalRepresentation} returns for a P-256 public key) and that it lies on the
   * curve.
   */
  static byte[] checkSec1(byte[] sec1) throws SignerException {
    if (sec1 == null || sec1.length != 65 || sec1[0] != 0x04) {
      throw new SignerException(
          SignerException.KEYCHAIN_ERROR, "the public key is not an uncompressed P-256 point");
    }
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
      BigInteger x = new BigInteger(1, Arrays.copyOfRange(sec1, 1, 33));
      BigInteger y = new BigInteger(1, Arrays.copyOfRange(sec1, 33, 65));
      // KeyFactory does not check curve membership: y^2 = x^3 + ax + b (mod p), 0 <= x, y < p
      BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
      if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
        throw new IllegalArgumentException("coordinate out of range");
      }
      BigInteger rhs =
          x.pow(3).add(spec.getCurve().getA().multiply(x)).add(spec.getCurve().getB()).mod(p);
      if (!y.modPow(BigInteger.TWO, p).equals(rhs)) {
        throw new IllegalArgumentException("not on the curve");
      }
      KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), spec));
      return sec1;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new SignerException(
          SignerException.KEYCHAIN_ERROR, "the public key is not a valid P-256 point");
    }
  }
}
