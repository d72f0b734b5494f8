package dev.briefcase.signer.tpm2.internal;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An in-memory secret store for tests; returns copies like a real store does. */
final class MemorySecretStore implements SecretStore {
  final Map<String, byte[]> values = new TreeMap<>();
  String failPutFor;

  @Override
  public synchronized Optional<Sensitive<byte[]>> get(String id) {
    byte[] v = values.get(id);
    return v == null ? Optional.empty() : Optional.of(Sensitive.of(v.clone()));
  }

  @Override
  public synchronized void put(String id, Sensitive<byte[]> value) {
    if (id.equals(failPutFor)) {
      throw new SecretStoreException("secret_store_unavailable", "disk full");
    }
    values.put(id, value.reveal().clone());
  }

  @Override
  public synchronized boolean delete(String id) {
    return values.remove(id) != null;
  }

  @Override
  public synchronized List<String> ids() {
    return new ArrayList<>(values.keySet());
  }
}
