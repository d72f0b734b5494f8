package dev.briefcase.payhelper;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** AES-256-GCM with a random 96-bit nonce prefixed to the ciphertext. */
final class Sealed {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE = 12;

  private Sealed() {}

  static byte[] seal(byte[] key, byte[] plaintext, byte[] aad) {
    try {
      byte[] nonce = new byte[NONCE];
      RANDOM.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      c.updateAAD(aad);
      byte[] ct = c.doFinal(plaintext);
      byte[] out = Arrays.copyOf(nonce, NONCE + ct.length);
      System.arraycopy(ct, 0, out, NONCE, ct.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** The plaintext, or an exception when the key, the data or the associated data do not match. */
  static byte[] open(byte[] key, byte[] sealed, byte[] aad) throws GeneralSecurityException {
    if (sealed.length < NONCE + 16) {
      throw new GeneralSecurityException("too short");
    }
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(key, "AES"),
        new GCMParameterSpec(128, sealed, 0, NONCE));
    c.updateAAD(aad);
    return c.doFinal(sealed, NONCE, sealed.length - NONCE);
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
