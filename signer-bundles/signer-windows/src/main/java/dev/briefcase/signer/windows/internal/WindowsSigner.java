package dev.briefcase.signer.windows.internal;

import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.SignerException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * The {@code windows} signer (SPEC §12): persisted P-256 keys in the TPM through CNG's "Microsoft
 * Platform Crypto Provider", falling back to the "Microsoft Software Key Storage Provider" (one
 * WARN line) when the TPM provider does not open. Key names are {@code briefcase-<keyId>}. ES256 =
 * {@code NCryptSignHash} over a SHA-256 digest computed here, raw {@code r || s}; the public JWK
 * comes from {@code NCryptExportKey(BCRYPT_ECCPUBLIC_BLOB)}.
 *
 * <p>Registered only on Windows: {@link WindowsPlatformGate} enables this component there.
 * Thread-safe (calls are serialized); after deactivation every call fails with {@code
 * backend_unavailable}.
 */
@Component(service = Signer.class, enabled = false, property = Signer.ID + "=" + WindowsSigner.ID)
public final class WindowsSigner implements Signer {
  static final String ID = "windows";
  static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

  private static final Logger LOG = LoggerFactory.getLogger(WindowsSigner.class);

  private final Object lock = new Object();
  private final WindowsCng cng;
  private final SignerException failure;
  private volatile boolean closed;

  @Activate
  public WindowsSigner() {
    WindowsCng opened = null;
    SignerException failed = null;
    try {
      opened = WindowsCng.open();
      if (opened.tpmBacked()) {
        LOG.info("Windows signer ready: P-256 keys in the TPM ({})", opened.providerName());
      } else {
        LOG.warn(
            "Windows signer: the TPM provider is not available; P-256 keys go to the {} (not"
                + " hardware-backed)",
            opened.providerName());
      }
    } catch (SignerException e) {
      failed = e;
      LOG.error("Windows signer unavailable: {}: {}", e.code(), e.getMessage());
    } catch (RuntimeException | LinkageError e) {
      failed =
          new SignerException(
              SignerException.BACKEND_UNAVAILABLE,
              "cannot load ncrypt.dll (" + e.getClass().getSimpleName() + ")");
      LOG.error("Windows signer unavailable: {}", failed.getMessage());
    }
    this.cng = opened;
    this.failure = failed;
  }

  @Deactivate
  void close() {
    closed = true;
    synchronized (lock) {
      if (cng != null) {
        cng.close();
      }
    }
    LOG.info("Windows signer stopped");
  }

  @Override
  public boolean hardwareBacked() {
    return cng != null && cng.tpmBacked();
  }

  @Override
  public KeyHandle generate(KeyAlgorithm algorithm, String label) throws SignerException {
    if (algorithm != KeyAlgorithm.P256) {
      throw new SignerException(
          SignerException.UNSUPPORTED_ALGORITHM,
          "the Windows signer holds P-256 keys only, not " + algorithm);
    }
    String keyId = UUID.randomUUID().toString();
    synchronized (lock) {
      open().generate(keyId);
    }
    LOG.info("Generated P-256 key {} on the Windows signer", keyId);
    return new KeyHandle(ID, keyId, KeyAlgorithm.P256);
  }

  @Override
  public List<KeyHandle> keys() throws SignerException {
    List<KeyHandle> out = new ArrayList<>();
    synchronized (lock) {
      for (String id : open().list()) {
        out.add(new KeyHandle(ID, id, KeyAlgorithm.P256));
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
    byte[] digest = sha256(message);
    synchronized (lock) {
      return open().signDigest(handle.keyId(), digest);
    }
  }

  @Override
  public boolean delete(KeyHandle handle) throws SignerException {
    open();
    if (!owned(handle)) {
      return false;
    }
    boolean deleted;
    synchronized (lock) {
      deleted = open().delete(handle.keyId());
    }
    if (deleted) {
      LOG.info("Deleted key {} on the Windows signer", handle.keyId());
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
          SignerException.UNKNOWN_HANDLE, "not a key handle of the Windows signer");
    }
  }

  private WindowsCng open() throws SignerException {
    if (closed) {
      throw new SignerException(
          SignerException.BACKEND_UNAVAILABLE, "the Windows signer is stopped");
    }
    if (failure != null) {
      throw new SignerException(failure.code(), failure.getMessage());
    }
    return cng;
  }

  private static byte[] sha256(byte[] message) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(message);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  @Override
  public String toString() {
    return "WindowsSigner[signer.id=windows" + (closed ? ", stopped" : "") + "]";
  }
}
