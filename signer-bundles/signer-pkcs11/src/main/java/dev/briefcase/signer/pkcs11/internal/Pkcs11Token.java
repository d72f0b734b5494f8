package dev.briefcase.signer.pkcs11.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_EC_POINT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_EXTRACTABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_ID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_KEY_TYPE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_LABEL;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_SENSITIVE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKK_EC;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKK_EC_EDWARDS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_ECDSA;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_EC_EDWARDS_KEY_PAIR_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_EC_KEY_PAIR_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_EDDSA;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PRIVATE_KEY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PUBLIC_KEY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_INCORRECT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_LEN_RANGE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_PIN_LOCKED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_USER_ALREADY_LOGGED_IN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKU_USER;

import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.SignerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;
import org.xipki.pkcs11.wrapper.TokenException;

/**
 * One logged-in read/write session on one PKCS#11 token. Every operation holds a lock, so one
 * session serves all threads (PKCS#11 sessions must not be used concurrently). Key objects carry
 * {@code CKA_ID = keyId} (ASCII) and {@code CKA_LABEL = briefcase-<keyId>}.
 */
final class Pkcs11Token implements AutoCloseable {
  static final String LABEL_PREFIX = "briefcase-";
  static final Pattern KEY_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  /** DER of OID 1.2.840.10045.3.1.7 (prime256v1 / P-256). */
  static final byte[] P256_PARAMS = {
    0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07
  };

  /** DER of OID 1.3.101.112 (Ed25519, RFC 8410). */
  static final byte[] ED25519_PARAMS = {0x06, 0x03, 0x2b, 0x65, 0x70};

  /** A key object pair found on the token. */
  record KeyObjects(String keyId, KeyAlgorithm algorithm, long privateKey, long publicKey) {}

  private final PKCS11Module module;
  private final Session session;
  private final boolean eddsa;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean closed;

  private Pkcs11Token(PKCS11Module module, Session session, boolean eddsa) {
    this.module = module;
    this.session = session;
    this.eddsa = eddsa;
  }

  /**
   * Loads the module, finds the token by label and logs in once. A wrong PIN is reported as {@code
   * wrong_pin} and never retried here (tokens lock after a few failures).
   */
  static Pkcs11Token open(String modulePath, String tokenLabel, char[] pin) throws SignerException {
    if (modulePath == null || modulePath.isBlank() || !Files.isRegularFile(Path.of(modulePath))) {
      throw new SignerException(
          SignerException.MODULE_NOT_FOUND, "PKCS#11 module not found: " + modulePath);
    }
    PKCS11Module module;
    try {
      module = PKCS11Module.getInstance(modulePath);
    } catch (Exception | LinkageError e) {
      throw new SignerException(
          SignerException.MODULE_NOT_FOUND, "PKCS#11 module cannot be loaded: " + modulePath);
    }
    try {
      module.initialize();
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw new SignerException(
            SignerException.MODULE_NOT_FOUND,
            "PKCS#11 module failed to initialize: " + e.getErrorName());
      }
    } catch (RuntimeException | LinkageError e) {
      throw new SignerException(
          SignerException.MODULE_NOT_FOUND, "PKCS#11 module cannot be loaded: " + modulePath);
    }
    Session session = null;
    try {
      Token token = findToken(module, tokenLabel);
      session = token.openSession(true);
      try {
        session.login(CKU_USER, pin);
      } catch (PKCS11Exception e) {
        long code = e.getErrorCode();
        if (code == CKR_PIN_INCORRECT || code == CKR_PIN_LEN_RANGE) {
          throw new SignerException(SignerException.WRONG_PIN, "the token refused the PIN");
        }
        if (code == CKR_PIN_LOCKED) {
          throw new SignerException(SignerException.PIN_LOCKED, "the token PIN is locked");
        }
        if (code != CKR_USER_ALREADY_LOGGED_IN) {
          throw new SignerException(
              SignerException.TOKEN_ERROR, "login failed: " + e.getErrorName());
        }
      }
      long[] mechanisms = token.getMechanismList();
      boolean eddsa =
          contains(mechanisms, CKM_EDDSA) && contains(mechanisms, CKM_EC_EDWARDS_KEY_PAIR_GEN);
      return new Pkcs11Token(module, session, eddsa);
    } catch (RuntimeException e) {
      closeQuietly(module, session);
      throw e;
    } catch (TokenException e) {
      closeQuietly(module, session);
      throw new SignerException(SignerException.TOKEN_ERROR, "token access failed: " + name(e));
    }
  }

  private static Token findToken(PKCS11Module module, String label)
      throws TokenException, SignerException {
    for (Slot slot : module.getSlotList(true)) {
      Token token = slot.getToken();
      if (token != null && label.equals(token.getTokenInfo().getLabel().trim())) {
        return token;
      }
    }
    throw new SignerException(SignerException.TOKEN_NOT_FOUND, "no token labelled " + label);
  }

  boolean supports(KeyAlgorithm algorithm) {
    return algorithm == KeyAlgorithm.P256 || eddsa;
  }

  /** Generates a non-extractable key pair; on any failure nothing stays on the token. */
  KeyObjects generate(KeyAlgorithm algorithm, String keyId) throws SignerException {
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    String label = LABEL_PREFIX + keyId;
    boolean ed = algorithm == KeyAlgorithm.ED25519;
    AttributeVector pub =
        new AttributeVector()
            .class_(CKO_PUBLIC_KEY)
            .keyType(ed ? CKK_EC_EDWARDS : CKK_EC)
            .token(true)
            .private_(false)
            .verify(true)
            .ecParams(ed ? ED25519_PARAMS : P256_PARAMS)
            .id(id)
            .label(label);
    AttributeVector priv =
        new AttributeVector()
            .class_(CKO_PRIVATE_KEY)
            .keyType(ed ? CKK_EC_EDWARDS : CKK_EC)
            .token(true)
            .private_(true)
            .sensitive(true)
            .extractable(false)
            .sign(true)
            .id(id)
            .label(label);
    Mechanism mech = new Mechanism(ed ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN);
    lock.lock();
    try {
      checkOpen();
      PKCS11KeyPair pair = session.generateKeyPair(mech, new KeyPairTemplate(priv, pub));
      try {
        // the point must be readable, or the key is useless: check before handing it out
        publicKey(new KeyObjects(keyId, algorithm, pair.getPrivateKey(), pair.getPublicKey()));
        verifyNonExtractable(pair.getPrivateKey());
      } catch (RuntimeException e) {
        destroyQuietly(pair.getPrivateKey());
        destroyQuietly(pair.getPublicKey());
        throw e;
      }
      return new KeyObjects(keyId, algorithm, pair.getPrivateKey(), pair.getPublicKey());
    } catch (PKCS11Exception e) {
      throw failure("key generation", e);
    } finally {
      lock.unlock();
    }
  }

  private void verifyNonExtractable(long privateKey) throws PKCS11Exception, SignerException {
    AttributeVector a = session.getAttrValues(privateKey, CKA_SENSITIVE, CKA_EXTRACTABLE);
    if (!Boolean.TRUE.equals(a.sensitive()) || !Boolean.FALSE.equals(a.extractable())) {
      throw new SignerException(
          SignerException.TOKEN_ERROR, "the token did not make the key non-extractable");
    }
  }

  /** The key pair with this id, or null. */
  KeyObjects find(String keyId) throws SignerException {
    if (!KEY_ID.matcher(keyId).matches()) {
      return null;
    }
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    lock.lock();
    try {
      checkOpen();
      long[] privs =
          session.findObjectsSingle(new AttributeVector().class_(CKO_PRIVATE_KEY).id(id), 2);
      long[] pubs =
          session.findObjectsSingle(new AttributeVector().class_(CKO_PUBLIC_KEY).id(id), 2);
      if (privs.length != 1 || pubs.length != 1) {
        return null;
      }
      Long type = session.getAttrValues(privs[0], CKA_KEY_TYPE).keyType();
      KeyAlgorithm alg = algorithmOf(type);
      return alg == null ? null : new KeyObjects(keyId, alg, privs[0], pubs[0]);
    } catch (PKCS11Exception e) {
      throw failure("key lookup", e);
    } finally {
      lock.unlock();
    }
  }

  /** Ids of the Briefcase private keys on the token. */
  List<KeyObjects> list() throws SignerException {
    lock.lock();
    try {
      checkOpen();
      List<KeyObjects> out = new ArrayList<>();
      for (long h : session.findAllObjectsSingle(new AttributeVector().class_(CKO_PRIVATE_KEY))) {
        AttributeVector a = session.getAttrValues(h, CKA_ID, CKA_LABEL, CKA_KEY_TYPE);
        byte[] id = a.id();
        if (id == null) {
          continue;
        }
        String keyId = new String(id, StandardCharsets.US_ASCII);
        KeyAlgorithm alg = algorithmOf(a.keyType());
        if (alg != null
            && KEY_ID.matcher(keyId).matches()
            && (LABEL_PREFIX + keyId).equals(a.label())) {
          out.add(new KeyObjects(keyId, alg, h, 0));
        }
      }
      return out;
    } catch (PKCS11Exception e) {
      throw failure("key listing", e);
    } finally {
      lock.unlock();
    }
  }

  /** The raw public key: SEC1 uncompressed (65 bytes) for P-256, 32 bytes for Ed25519. */
  byte[] publicKey(KeyObjects key) throws SignerException {
    lock.lock();
    try {
      checkOpen();
      byte[] point = session.getAttrValues(key.publicKey(), CKA_EC_POINT).ecPoint();
      int len = key.algorithm() == KeyAlgorithm.P256 ? 65 : 32;
      if (point != null && point.length == len + 2 && point[0] == 0x04 && point[1] == len) {
        // CKA_EC_POINT is a DER OCTET STRING around the point
        point = Arrays.copyOfRange(point, 2, point.length);
      }
      if (point == null
          || point.length != len
          || (key.algorithm() == KeyAlgorithm.P256 && point[0] != 0x04)) {
        throw new SignerException(
            SignerException.TOKEN_ERROR, "the token returned an unexpected EC point");
      }
      return point;
    } catch (PKCS11Exception e) {
      throw failure("public key read", e);
    } finally {
      lock.unlock();
    }
  }

  /** ES256 (ECDSA over a SHA-256 digest computed here) as r||s, or Ed25519 over the message. */
  byte[] sign(KeyObjects key, byte[] message) throws SignerException {
    boolean ed = key.algorithm() == KeyAlgorithm.ED25519;
    byte[] input = ed ? message : sha256(message);
    lock.lock();
    try {
      checkOpen();
      byte[] sig =
          session.signSingle(new Mechanism(ed ? CKM_EDDSA : CKM_ECDSA), key.privateKey(), input);
      return ed ? sig : Ecdsa.toRaw(sig);
    } catch (PKCS11Exception e) {
      throw failure("signing", e);
    } finally {
      lock.unlock();
    }
  }

  /** Destroys every object with this id; returns whether there was one. */
  boolean delete(String keyId) throws SignerException {
    if (!KEY_ID.matcher(keyId).matches()) {
      return false;
    }
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    lock.lock();
    try {
      checkOpen();
      long[] objects = session.findAllObjectsSingle(new AttributeVector().id(id));
      for (long h : objects) {
        session.destroyObject(h);
      }
      return objects.length > 0;
    } catch (PKCS11Exception e) {
      throw failure("key deletion", e);
    } finally {
      lock.unlock();
    }
  }

  /** Test aid: the number of objects this session sees. */
  int objectCount() throws SignerException {
    lock.lock();
    try {
      checkOpen();
      return session.findAllObjectsSingle(new AttributeVector()).length;
    } catch (PKCS11Exception e) {
      throw failure("object count", e);
    } finally {
      lock.unlock();
    }
  }

  /** Test aid: CKA_SENSITIVE and CKA_EXTRACTABLE of a private key, read back from the token. */
  boolean[] sensitiveAndExtractable(KeyObjects key) throws SignerException {
    lock.lock();
    try {
      checkOpen();
      AttributeVector a = session.getAttrValues(key.privateKey(), CKA_SENSITIVE, CKA_EXTRACTABLE);
      return new boolean[] {
        Boolean.TRUE.equals(a.sensitive()), !Boolean.FALSE.equals(a.extractable())
      };
    } catch (PKCS11Exception e) {
      throw failure("attribute read", e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        try {
          session.logout();
        } catch (PKCS11Exception | RuntimeException ignored) {
          // closing the session below logs out anyway
        }
        closeQuietly(module, session);
      }
    } finally {
      lock.unlock();
    }
  }

  private void checkOpen() throws SignerException {
    if (closed) {
      throw new SignerException(SignerException.BACKEND_UNAVAILABLE, "PKCS#11 signer is stopped");
    }
  }

  private void destroyQuietly(long handle) {
    try {
      session.destroyObject(handle);
    } catch (PKCS11Exception | RuntimeException ignored) {
      // best effort: the caller reports the original failure
    }
  }

  private static void closeQuietly(PKCS11Module module, Session session) {
    if (session != null) {
      try {
        session.closeSession();
      } catch (PKCS11Exception | RuntimeException ignored) {
        // the module finalization below closes it anyway
      }
    }
    try {
      module.finalize(null);
    } catch (PKCS11Exception | RuntimeException ignored) {
      // nothing more to release
    }
  }

  private static KeyAlgorithm algorithmOf(Long keyType) {
    if (keyType == null) {
      return null;
    }
    if (keyType == CKK_EC) {
      return KeyAlgorithm.P256;
    }
    return keyType == CKK_EC_EDWARDS ? KeyAlgorithm.ED25519 : null;
  }

  private static SignerException failure(String what, PKCS11Exception e) {
    return new SignerException(SignerException.TOKEN_ERROR, what + " failed: " + e.getErrorName());
  }

  private static String name(TokenException e) {
    return e instanceof PKCS11Exception p ? p.getErrorName() : e.getClass().getSimpleName();
  }

  private static boolean contains(long[] values, long v) {
    if (values == null) {
      return false;
    }
    for (long x : values) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  private static byte[] sha256(byte[] message) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(message);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
