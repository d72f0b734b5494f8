package dev.briefcase.secrets.file.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.bouncycastle.crypto.params.HKDFParameters;

/** The cryptographic primitives of the file format, in one place so the format is reviewable. */
final class StoreCrypto {

  static final int KEY_BYTES = 32;
  static final int SALT_BYTES = 16;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;

  private static final String DOMAIN = "briefcase.secrets.file/v1";
  private static final byte[] INFO_ENC = bytes(DOMAIN + "/enc");
  private static final byte[] INFO_CHECK = bytes(DOMAIN + "/check");

  private StoreCrypto() {}

  /**
   * Argon2id (version 0x13) with optional secret and associated data. The store passes neither; the
   * parameters exist so the RFC 9106 known-answer test runs through this exact code path.
   */
  static byte[] argon2id(
      byte[] password, byte[] salt, KdfParams p, byte[] secret, byte[] ad, int outLen) {
    Argon2Parameters.Builder b =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(p.memoryKib())
            .withIterations(p.iterations())
            .withParallelism(p.parallelism())
            .withSalt(salt);
    if (secret != null) {
      b.withSecret(secret);
    }
    if (ad != null) {
      b.withAdditional(ad);
    }
    Argon2Parameters params = b.build();
    try {
      Argon2BytesGenerator gen = new Argon2BytesGenerator();
      gen.init(params);
      byte[] out = new byte[outLen];
      gen.generateBytes(password, out);
      return out;
    } finally {
      // The builder copies salt/secret/ad; clear() zeroes those copies.
      params.clear();
    }
  }

  /** The two subkeys derived from the Argon2id master key: record encryption and check value. */
  record Keys(byte[] enc, byte[] check) {
    void wipe() {
      Arrays.fill(enc, (byte) 0);
      Arrays.fill(check, (byte) 0);
    }
  }

  static Keys deriveKeys(byte[] passphrase, byte[] salt, KdfParams p) {
    byte[] master = argon2id(passphrase, salt, p, null, null, KEY_BYTES);
    try {
      // Separate keys for separate jobs: the check value never shares a key with record AEAD.
      return new Keys(hkdf(master, INFO_ENC), hkdf(master, INFO_CHECK));
    } finally {
      Arrays.fill(master, (byte) 0);
    }
  }

  private static byte[] hkdf(byte[] ikm, byte[] info) {
    HKDFBytesGenerator gen = new HKDFBytesGenerator(new SHA256Digest());
    gen.init(new HKDFParameters(ikm, null, info));
    byte[] out = new byte[KEY_BYTES];
    gen.generateBytes(out, 0, out.length);
    return out;
  }

  /**
   * The passphrase check value: HMAC over the header fields, so a wrong passphrase is told apart
   * from a tampered record before any record is touched.
   */
  static byte[] checkValue(byte[] checkKey, KdfParams p, byte[] salt) {
    String input =
        DOMAIN
            + "/check|argon2id|19|"
            + p.memoryKib()
            + "|"
            + p.iterations()
            + "|"
            + p.parallelism()
            + "|"
            + java.util.HexFormat.of().formatHex(salt);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(checkKey, "HmacSHA256"));
      return mac.doFinal(bytes(input));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  static boolean checkMatches(byte[] expected, byte[] actual) {
    return MessageDigest.isEqual(expected, actual);
  }

  /** AAD binds the format version and the record id: a ciphertext moved to another id fails. */
  static byte[] recordAad(String id) {
    return bytes(DOMAIN + "/record\0" + id);
  }

  static byte[] seal(byte[] encKey, byte[] nonce, byte[] aad, byte[] plaintext) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(encKey, "AES"),
          new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad);
      return c.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** Decrypts, or throws {@link AEADBadTagException} when the tag does not verify. */
  static byte[] open(byte[] encKey, byte[] nonce, byte[] aad, byte[] ciphertext)
      throws AEADBadTagException {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(encKey, "AES"),
          new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad);
      return c.doFinal(ciphertext);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** {@code H(id)} of SPEC §0: lowercase hex SHA-256 of the UTF-8 id. */
  static String fileHash(String id) {
    try {
      return java.util.HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(id)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
