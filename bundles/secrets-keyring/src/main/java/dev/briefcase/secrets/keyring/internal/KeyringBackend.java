package dev.briefcase.secrets.keyring.internal;

import dev.briefcase.secrets.SecretStoreException;
import java.util.List;
import java.util.Optional;

/**
 * One OS keyring. Items are keyed by the service name {@value #SERVICE} and the secret id; values
 * are bytes. Every method throws {@link SecretStoreException} rather than returning an empty value
 * when the keyring is locked or unreachable. Implementations are called under the store's lock.
 */
interface KeyringBackend extends AutoCloseable {

  /** The service (application) name every item is stored under. */
  String SERVICE = "credential-briefcase";

  /** A secret-free description for log lines, e.g. {@code Secret Service (gnome-keyring)}. */
  String describe();

  Optional<byte[]> read(String id);

  void write(String id, byte[] value);

  boolean remove(String id);

  /** The ids stored under {@value #SERVICE}, in any order. */
  List<String> list();

  @Override
  void close();
}
