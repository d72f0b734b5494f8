package dev.briefcase.signer;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A plugin that holds private keys and signs with them; callers only ever hold {@link KeyHandle}s.
 * Register with the service property {@value #ID}. Thread-safe; after deactivation every method
 * throws {@link SignerException} with code {@code backend_unavailable}.
 */
@ConsumerType
public interface Signer {

  /** Service property naming the backend, e.g. {@code software} or {@code pkcs11}. */
  String ID = "signer.id";

  /** Whether keys of this backend live in hardware. */
  boolean hardwareBacked();

  /** Creates a key that never leaves the backend. */
  KeyHandle generate(KeyAlgorithm algorithm, String label) throws SignerException;

  /** The keys this backend holds. */
  List<KeyHandle> keys() throws SignerException;

  /** The public key as a JWK JSON object (RFC 7517), without private members. */
  String publicJwk(KeyHandle handle) throws SignerException;

  /**
   * Signs a message: Ed25519 over the message; ES256 over SHA-256 of the message, returned as raw
   * {@code r || s} (64 bytes).
   */
  byte[] sign(KeyHandle handle, byte[] message) throws SignerException;

  /** Destroys a key; returns whether it existed. */
  boolean delete(KeyHandle handle) throws SignerException;
}
