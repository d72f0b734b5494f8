package dev.briefcase.signer.windows.internal;

import dev.briefcase.signer.SignerException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code BCRYPT_ECCPUBLIC_BLOB} (bcrypt.h): a {@code BCRYPT_ECCKEY_BLOB} header of two
 * little-endian ULONGs — {@code dwMagic}, {@code cbKey} — followed by X and Y, each {@code cbKey}
 * bytes, big-endian. Pure Java.
 */
final class EccPublicBlob {
  /** {@code BCRYPT_ECDSA_PUBLIC_P256_MAGIC}, "ECS1". */
  static final int ECDSA_PUBLIC_P256_MAGIC = 0x31534345;

  /** {@code BCRYPT_ECDSA_PUBLIC_GENERIC_MAGIC}, "ECDP" (named-curve keys). */
  static final int ECDSA_PUBLIC_GENERIC_MAGIC = 0x50444345;

  private EccPublicBlob() {}

  /** The uncompressed SEC1 point {@code 04 || X || Y} of a P-256 public key blob. */
  static byte[] toSec1(byte[] blob) throws SignerException {
    if (blob == null || blob.length != 8 + 64) {
      throw malformed("a P-256 public key blob is 72 bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    int magic = b.getInt();
    int cbKey = b.getInt();
    if (magic != ECDSA_PUBLIC_P256_MAGIC && magic != ECDSA_PUBLIC_GENERIC_MAGIC) {
      throw malformed(String.format("unexpected blob magic 0x%08x", magic));
    }
    if (cbKey != 32) {
      throw malformed("cbKey is " + cbKey + ", not 32");
    }
    byte[] sec1 = new byte[65];
    sec1[0] = 0x04;
    System.arraycopy(blob, 8, sec1, 1, 64);
    return sec1;
  }

  /** The blob for a SEC1 point (test aid and documentation of the layout). */
  static byte[] fromSec1(byte[] sec1) {
    ByteBuffer b = ByteBuffer.allocate(72).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(ECDSA_PUBLIC_P256_MAGIC).putInt(32).put(sec1, 1, 64);
    return b.array();
  }

  private static SignerException malformed(String why) {
    return new SignerException(
        SignerException.CNG_ERROR, "CNG exported a malformed public key: " + why);
  }
}
