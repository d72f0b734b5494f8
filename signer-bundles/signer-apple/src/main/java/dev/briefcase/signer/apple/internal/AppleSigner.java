package dev.briefcase.signer.apple.internal;

import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.SignerException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code apple} signer (SPEC §12): P-256 keys created in the Secure Enclave (non-extractable,
 * usable only on this device while it is unlocked), falling back to the login Keychain when the
 * enclave is not available to this process. Keys carry {@code kSecAttrApplicationTag =
 * briefcase-<keyId>}. ES256 signatures are {@code SecKeyCreateSignature} with {@code
 * kSecKeyAlgorithmECDSASignatureMessageX962SHA256}, converted from DER to raw {@code r || s}.
 *
 * <p>Registered only on macOS: {@link ApplePlatformGate} enables this component there. Thread-safe
 * (calls are serialized); after deactivation every call fails with {@code backend_unavailable}.
 */
@Component(service = Signer.class, enabled = false, property = Signer.ID + "=" + AppleSigner.ID)
public final class AppleSigner implements Signer {
  static final String ID = "apple";
  static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  private static final Logger LOG = LoggerFactory.getLogger(AppleSigner.class);

  private final Object lock = new Object();
  private final AppleKeychain keychain;
  private final SignerException failure;
  private volatile boolean closed;

  @Activate
  public AppleSigner() {
    AppleKeychain opened = null;
    SignerException failed = null;
    try {
      opened = AppleKeychain.open();
      if (opened.secureEnclave()) {
        LOG.info("Apple signer ready: P-256 keys in the Secure Enclave");
      } else {
        LOG.warn(
            "Apple signer: no Secure Enclave for this process; P-256 keys go to the login Keychain"
                + " (not hardware-backed)");
      }
    } catch (RuntimeException | LinkageError e) {
      failed =
          new SignerException(
              SignerException.BACKEND_UNAVAILABLE,
              "cannot load the Security framework (" + e.getClass().getSimpleName() + ")");
      LOG.error("Apple signer unavailable: {}", failed.getMessage());
    }
    this.keychain = opened;
    this.failure = failed;
  }

  @Deactivate
  void close() {
    closed = true;
    LOG.info("Apple signer stopped");
  }

  @Override
  public boolean hardwareBacked() {
    return keychain != null && keychain.secureEnclave();
  }

  @Override
  public KeyHandle generate(KeyAlgorithm algorithm, String label) throws SignerException {
    if (algorithm != KeyAlgorithm.P256) {
      throw new SignerException(
          SignerException.UNSUPPORTED_ALGORITHM,
          "the Apple signer holds P-256 keys only, not " + algorithm);
    }
    String keyId = UUID.randomUUID().toString();
    synchronized (lock) {
      open().generate(keyId);
    }
    LOG.info("Generated P-256 key {} on the Apple signer", keyId);
    return new KeyHandle(ID, keyId, KeyAlgorithm.P256);
  }

  @Override
  public List<KeyHandle> keys() throws SignerException {
    List<KeyHandle> out = new ArrayList<>();
    synchronized (lock) {
      for (String id : open().list()) {
        if (KEY_ID.matcher(id).matches()) {
          out.add(new KeyHandle(ID, id, KeyAlgorithm.P256));
        }
      }
    }
    return out;
  }

  @Override
  public String publicJwk(KeyHandle handle) throws SignerException {
    return PublicJwks.json(KeyAlgorithm.P256, publicKey(handle));
  }

  /** The RFC 7638 thumbprint of a key's public JWK. */
  String thumbprint(KeyHandle handle) throws SignerException {
    return PublicJwks.thumbprint(KeyAlgorithm.P256, publicKey(handle));
  }

  @Override
  public byte[] sign(KeyHandle handle, byte[] message) throws SignerException {
    if (message == null) {
      throw new SignerException(SignerException.INVALID_REQUEST, "message is required");
    }
    check(handle);
    synchronized (lock) {
      return open().sign(handle.keyId(), message);
    }
  }

  @Override
  public boolean delete(KeyHandle handle) throws SignerException {
    if (!owned(handle)) {
      open();
      return false;
    }
    boolean deleted;
    synchronized (lock) {
      deleted = open().delete(handle.keyId());
    }
    if (deleted) {
      LOG.info("Deleted key {} on the Apple signer", handle.keyId());
    }
    return deleted;
  }

  private byte[] publicKey(KeyHandle handle) throws SignerException {
    check(handle);
    synchronized (lock) {
      return open().publicKey(handle.keyId());
    }
  }

  static boolean owned(KeyHandle handle) {
    return handle != null
        && ID.equals(handle.signerId())
        && handle.algorithm() == KeyAlgorithm.P256
        && KEY_ID.matcher(handle.keyId()).matches();
  }

  private void check(KeyHandle handle) throws SignerException {
    open();
    if (!owned(handle)) {
      throw new SignerException(
          SignerException.UNKNOWN_HANDLE, "not a key handle of the Apple signer");
    }
  }

  private AppleKeychain open() throws SignerException {
    if (closed) {
      throw new SignerException(SignerException.BACKEND_UNAVAILABLE, "the Apple signer is stopped");
    }
    if (failure != null) {
      throw new SignerException(failure.code(), failure.getMessage());
    }
    return keychain;
  }

  @Override
  public String toString() {
    return "AppleSigner[signer.id=apple" + (closed ? ", stopped" : "") + "]";
  }
}
