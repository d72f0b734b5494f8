package dev.briefcase.signer.pkcs11.internal;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.Signer;
import dev.briefcase.signer.SignerException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
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

/**
 * A signer on a PKCS#11 token (SoftHSM, YubiHSM, smart cards, cloud HSM clients). One factory
 * configuration per token; the {@code signer_id} attribute is published as {@code signer.id}. The
 * PIN is read from the secret store at activation, never from configuration.
 *
 * <p>Keys are generated on the token with {@code CKA_TOKEN=true, CKA_SENSITIVE=true,
 * CKA_EXTRACTABLE=false}. A failed login (wrong PIN, missing module, missing token) is logged once
 * and kept: every call then fails with that code, and the PIN is never retried. Thread-safe (one
 * session behind a lock); after deactivation every call fails with {@code backend_unavailable}.
 */
@Component(
    service = Signer.class,
    configurationPid = Pkcs11Signer.PID,
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Pkcs11Signer.Config.class, factory = true)
public final class Pkcs11Signer implements Signer {

  static final String PID = "dev.briefcase.signer.pkcs11";

  private static final Logger LOG = LoggerFactory.getLogger(Pkcs11Signer.class);

  /** One PKCS#11 token. No PIN here: it lives in the secret store under {@code pin_secret_id}. */
  @ObjectClassDefinition(
      name = "Briefcase PKCS#11 signer",
      description = "Non-extractable signing keys on one PKCS#11 token.")
  public @interface Config {
    @AttributeDefinition(
        name = "Signer id",
        description = "Published as the signer.id service property; key handles carry it.")
    String signer_id() default "pkcs11";

    @AttributeDefinition(
        name = "Module path",
        description =
            "The PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. Empty: not configured.")
    String module_path() default "";

    @AttributeDefinition(name = "Token label", description = "CKA label of the token to use.")
    String token_label() default "briefcase";

    @AttributeDefinition(
        name = "PIN secret id",
        description = "Secret-store id holding the user PIN (UTF-8). Never the PIN itself.")
    String pin_secret_id() default "signer.pkcs11.pin";
  }

  private final String signerId;
  private final Pkcs11Token token;
  private final SignerException failure;
  private volatile boolean closed;

  /** Opens the token and logs in once; a failure is kept and reported by every call. */
  @Activate
  public Pkcs11Signer(@Reference SecretStore secrets, Config config) {
    this.signerId = config.signer_id();
    Pkcs11Token opened = null;
    SignerException failed = null;
    char[] pin = null;
    try {
      pin = readPin(secrets, config.pin_secret_id());
      opened = Pkcs11Token.open(config.module_path(), config.token_label(), pin);
      LOG.info(
          "PKCS#11 signer {} ready on token '{}' ({})",
          signerId,
          config.token_label(),
          config.module_path());
    } catch (SignerException e) {
      failed = e;
      LOG.error(
          "PKCS#11 signer {} unavailable: {}: {} (not retried until reconfigured)",
          signerId,
          e.code(),
          e.getMessage());
    } finally {
      if (pin != null) {
        Arrays.fill(pin, '\0');
      }
    }
    this.token = opened;
    this.failure = failed;
  }

  private static char[] readPin(SecretStore secrets, String id) throws SignerException {
    Optional<Sensitive<byte[]>> secret;
    try {
      secret = secrets.get(id);
    } catch (SecretStoreException e) {
      throw new SignerException(
          SignerException.BACKEND_UNAVAILABLE,
          "secret store failed (" + e.code() + ") reading the PIN");
    }
    if (secret.isEmpty()) {
      throw new SignerException(SignerException.PIN_MISSING, "no PIN stored under secret id " + id);
    }
    Sensitive<byte[]> bytes = secret.get();
    try {
      CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes.reveal()));
      char[] pin = Arrays.copyOf(chars.array(), chars.limit());
      Arrays.fill(chars.array(), '\0');
      return pin;
    } finally {
      bytes.wipe();
    }
  }

  @Deactivate
  void close() {
    closed = true;
    if (token != null) {
      token.close();
    }
    LOG.info("PKCS#11 signer {} stopped", signerId);
  }

  @Override
  public boolean hardwareBacked() {
    return true;
  }

  @Override
  public KeyHandle generate(KeyAlgorithm algorithm, String label) throws SignerException {
    Pkcs11Token t = open();
    if (algorithm == null || !t.supports(algorithm)) {
      throw new SignerException(
          SignerException.UNSUPPORTED_ALGORITHM, "the token does not support " + algorithm);
    }
    String keyId = UUID.randomUUID().toString();
    t.generate(algorithm, keyId);
    LOG.info("Generated {} key {} on PKCS#11 signer {}", algorithm, keyId, signerId);
    return new KeyHandle(signerId, keyId, algorithm);
  }

  @Override
  public List<KeyHandle> keys() throws SignerException {
    List<KeyHandle> out = new ArrayList<>();
    for (Pkcs11Token.KeyObjects k : open().list()) {
      out.add(new KeyHandle(signerId, k.keyId(), k.algorithm()));
    }
    return out;
  }

  @Override
  public String publicJwk(KeyHandle handle) throws SignerException {
    Pkcs11Token.KeyObjects k = find(handle);
    return PublicJwks.json(k.algorithm(), token.publicKey(k));
  }

  /** The RFC 7638 thumbprint of a key's public JWK. */
  String thumbprint(KeyHandle handle) throws SignerException {
    Pkcs11Token.KeyObjects k = find(handle);
    return PublicJwks.thumbprint(k.algorithm(), token.publicKey(k));
  }

  @Override
  public byte[] sign(KeyHandle handle, byte[] message) throws SignerException {
    if (message == null) {
      throw new SignerException(SignerException.INVALID_REQUEST, "message is required");
    }
    Pkcs11Token.KeyObjects k = find(handle);
    return token.sign(k, message);
  }

  @Override
  public boolean delete(KeyHandle handle) throws SignerException {
    Pkcs11Token t = open();
    checkOwner(handle);
    if (t.find(handle.keyId()) == null) {
      return false;
    }
    boolean deleted = t.delete(handle.keyId());
    LOG.info("Deleted key {} on PKCS#11 signer {}", handle.keyId(), signerId);
    return deleted;
  }

  /** Test aid: the token session, or an error when unavailable. */
  Pkcs11Token token() throws SignerException {
    return open();
  }

  private Pkcs11Token.KeyObjects find(KeyHandle handle) throws SignerException {
    Pkcs11Token t = open();
    checkOwner(handle);
    Pkcs11Token.KeyObjects k = t.find(handle.keyId());
    if (k == null || k.algorithm() != handle.algorithm()) {
      throw new SignerException(SignerException.UNKNOWN_HANDLE, "no such key on this token");
    }
    return k;
  }

  private void checkOwner(KeyHandle handle) throws SignerException {
    if (handle == null || !signerId.equals(handle.signerId())) {
      throw new SignerException(
          SignerException.UNKNOWN_HANDLE, "not a key handle of signer " + signerId);
    }
  }

  private Pkcs11Token open() throws SignerException {
    if (closed) {
      throw new SignerException(SignerException.BACKEND_UNAVAILABLE, "PKCS#11 signer is stopped");
    }
    if (failure != null) {
      throw new SignerException(failure.code(), failure.getMessage());
    }
    return token;
  }

  @Override
  public String toString() {
    return "Pkcs11Signer[signer.id=" + signerId + (closed ? ", stopped" : "") + "]";
  }
}
