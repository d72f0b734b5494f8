package dev.briefcase.secrets;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A plugin that keeps secrets (refresh tokens, PINs, wrapped keys) behind the boundary. Register
 * with the service property {@value #BACKEND}. Every method fails closed with {@link
 * SecretStoreException}: a tampered record or a wrong passphrase is an error, never an empty value.
 */
@ConsumerType
public interface SecretStore {

  /** Service property naming the backend: {@code file}, {@code keyring} or {@code memory}. */
  String BACKEND = "secrets.backend";

  /** The secret with this id, or empty when none is stored. */
  Optional<Sensitive<byte[]>> get(String id) throws SecretStoreException;

  /** Stores or replaces a secret durably. */
  void put(String id, Sensitive<byte[]> value) throws SecretStoreException;

  /** Removes a secret; returns whether one was there. */
  boolean delete(String id) throws SecretStoreException;

  /** The ids stored, sorted. */
  List<String> ids() throws SecretStoreException;
}
