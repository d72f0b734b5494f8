package dev.briefcase.signer.tpm2.internal;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.SignerException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tss.tpm.TPMA_OBJECT;

/**
 * A signer whose P-256 keys live under a TPM 2.0's owner storage hierarchy. One factory
 * configuration per TPM; {@code signer_id} is published as {@code signer.id}.
 *
 * <p>A key is created by the TPM as a child of the owner storage primary ({@code fixedTPM,
 * fixedParent, sensitiveDataOrigin, userWithAuth, sign}); its public area and its private area —
 * encrypted by the TPM under the primary, useless anywhere else — are kept in the secret store
 * under {@code keys.tpm2.<signer_id>.<keyId>} and loaded for each signature. Deleting a key forgets
 * that blob. Each call opens its own connection to the TPM (see {@link #withTpm}); calls are
 * serialized. After deactivation every call fails with {@code backend_unavailable}.
 */
@Component(
    service = Signer.class,
    configurationPid = Tpm2Signer.PID,
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Tpm2Signer.Config.class, factory = true)
public final class Tpm2Signer implements Signer {

  static final String PID = "dev.briefcase.signer.tpm2";

  private static final Logger LOG = LoggerFactory.getLogger(Tpm2Signer.class);
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final Pattern SIGNER_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** One TPM. Nothing secret here: the TPM holds the keys, the secret store their sealed blobs. */
  @ObjectClassDefinition(
      name = "Briefcase TPM 2.0 signer",
      description = "Non-extractable P-256 signing keys under a TPM 2.0 storage hierarchy.")
  public @interface Config {
    @AttributeDefinition(
        name = "Signer id",
        description =
            "Published as the signer.id service property; key handles carry it"
                + " ([A-Za-z0-9_-], at most 64).")
    String signer_id() default "tpm2";

    @AttributeDefinition(
        name = "Device",
        description =
            "tcp:<host>:<port> for a TPM simulator such as swtpm (command port), or a"
                + " character device, normally /dev/tpmrm0 (kernel resource manager).")
    String device() default "tcp:127.0.0.1:2321";
  }

  private final String signerId;
  private final String device;
  private final SecretStore secrets;
  private final Object lock = new Object();
  private final SignerException configError;
  private volatile boolean closed;

  /** Validates the configuration; the TPM is only contacted by calls. */
  @Activate
  public Tpm2Signer(@Reference SecretStore secrets, Config config) {
    this.secrets = secrets;
    this.signerId = config.signer_id();
    this.device = config.device();
    this.configError =
        SIGNER_ID.matcher(signerId).matches()
            ? null
            : new SignerException(
                SignerException.INVALID_CONFIG, "signer_id must match " + SIGNER_ID);
    if (configError != null) {
      LOG.error("TPM 2.0 signer unavailable: {}", configError.getMessage());
    } else {
      LOG.info("TPM 2.0 signer {} ready on {}", signerId, device);
    }
  }

  @Deactivate
  void close() {
    closed = true;
    LOG.info("TPM 2.0 signer {} stopped", signerId);
  }

  @Override
  public boolean hardwareBacked() {
    return true;
  }

  @Override
  public KeyHandle generate(KeyAlgorithm algorithm, String label) throws SignerException {
    checkUsable();
    if (algorithm != KeyAlgorithm.P256) {
      throw new SignerException(
          SignerException.UNSUPPORTED_ALGORITHM, "TPM 2.0 signs with P-256 only, not " + algorithm);
    }
    TpmSession.KeyBlob blob = withTpm(TpmSession::createSigningKey);
    String keyId = UUID.randomUUID().toString();
    try {
      secrets.put(secretId(keyId), Sensitive.of(blob.encode()));
    } catch (SecretStoreException e) {
      // the TPM keeps nothing, so an unsaved key simply never existed
      throw new SignerException(
          SignerException.BACKEND_UNAVAILABLE,
          "secret store failed (" + e.code() + ") saving the key blob");
    }
    LOG.info("Generated P-256 key {} on TPM 2.0 signer {}", keyId, signerId);
    return new KeyHandle(signerId, keyId, KeyAlgorithm.P256);
  }

  @Override
  public List<KeyHandle> keys() throws SignerException {
    checkUsable();
    String prefix = secretId("");
    List<KeyHandle> out = new ArrayList<>();
    try {
      for (String id : secrets.ids()) {
        if (id.startsWith(prefix)) {
          out.add(new KeyHandle(signerId, id.substring(prefix.length()), KeyAlgorithm.P256));
        }
      }
    } catch (SecretStoreException e) {
      throw new SignerException(
          SignerException.BACKEND_UNAVAILABLE,
          "secret store failed (" + e.code() + ") listing keys");
    }
    return out;
  }

  @Override
  public String publicJwk(KeyHandle handle) throws SignerException {
    return PublicJwks.json(KeyAlgorithm.P256, blob(handle).sec1());
  }

  /** The RFC 7638 thumbprint of a key's public JWK. */
  String thumbprint(KeyHandle handle) throws SignerException {
    return PublicJwks.thumbprint(KeyAlgorithm.P256, blob(handle).sec1());
  }

  @Override
  public byte[] sign(KeyHandle handle, byte[] message) throws SignerException {
    if (message == null) {
      throw new SignerException(SignerException.INVALID_REQUEST, "message is required");
    }
    TpmSession.KeyBlob key = blob(handle);
    byte[] digest = sha256(message);
    return withTpm(s -> s.sign(key, digest));
  }

  @Override
  public boolean delete(KeyHandle handle) throws SignerException {
    checkUsable();
    if (!owned(handle)) {
      return false;
    }
    try {
      boolean existed = secrets.delete(secretId(handle.keyId()));
      if (existed) {
        LOG.info("Deleted key {} on TPM 2.0 signer {}", handle.keyId(), signerId);
      }
      return existed;
    } catch (SecretStoreException e) {
      throw new SignerException(
          SignerException.BACKEND_UNAVAILABLE,
          "secret store failed (" + e.code() + ") deleting the key");
    }
  }

  /** Test aid: the attributes the TPM reports for the key once loaded. */
  TPMA_OBJECT loadedAttributes(KeyHandle handle) throws SignerException {
    TpmSession.KeyBlob key = blob(handle);
    return withTpm(s -> s.loadedAttributes(key));
  }

  private TpmSession.KeyBlob blob(KeyHandle handle) throws SignerException {
    checkUsable();
    if (!owned(handle) || handle.algorithm() != KeyAlgorithm.P256) {
      throw new SignerException(SignerException.UNKNOWN_HANDLE, "not a key of signer " + signerId);
    }
    Optional<Sensitive<byte[]>> stored;
    try {
      stored = secrets.get(secretId(handle.keyId()));
    } catch (SecretStoreException e) {
      throw new SignerException(
          SignerException.BACKEND_UNAVAILABLE,
          "secret store failed (" + e.code() + ") reading the key blob");
    }
    if (stored.isEmpty()) {
      throw new SignerException(SignerException.UNKNOWN_HANDLE, "no such key on this TPM signer");
    }
    try {
      return TpmSession.KeyBlob.decode(stored.get().reveal());
    } catch (RuntimeException e) {
      throw new SignerException(
          SignerException.KEY_CORRUPT, "the stored TPM key blob is unreadable");
    }
  }

  private boolean owned(KeyHandle handle) {
    return handle != null
        && signerId.equals(handle.signerId())
        && KEY_ID.matcher(handle.keyId()).matches();
  }

  private String secretId(String keyId) {
    return "keys.tpm2." + signerId + "." + keyId;
  }

  private interface TpmCall<T> {
    T run(TpmSession session) throws SignerException;
  }

  /**
   * One command sequence on a connection of its own. Why not one long-lived connection: swtpm (like
   * the other simulators) serves a single client at a time, so a held connection would block every
   * other signer instance and tool; on {@code /dev/tpmrm0} closing also makes the kernel flush
   * anything left loaded. Calls are serialized: swtpm would queue them anyway.
   */
  private <T> T withTpm(TpmCall<T> call) throws SignerException {
    synchronized (lock) {
      checkUsable();
      try (TpmSession session = TpmSession.open(device)) {
        return call.run(session);
      }
    }
  }

  private void checkUsable() throws SignerException {
    if (closed) {
      throw new SignerException(SignerException.BACKEND_UNAVAILABLE, "TPM 2.0 signer is stopped");
    }
    if (configError != null) {
      throw new SignerException(configError.code(), configError.getMessage());
    }
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
    return "Tpm2Signer[signer.id=" + signerId + (closed ? ", stopped" : "") + "]";
  }
}
