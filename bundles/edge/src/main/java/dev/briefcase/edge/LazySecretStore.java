package dev.briefcase.edge;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.ComponentServiceObjects;

/**
 * The secret store, got for each call and released after it: an always-on component that holds one
 * does not activate the store (whose key derivation is slow on purpose) at start, only when a
 * secret is read or written, and a store that went away answers {@code secret_store_unavailable}
 * instead of being called after its deactivation.
 */
public final class LazySecretStore implements SecretStore {
  private interface Work<T> {
    T run(SecretStore store);
  }

  private final ComponentServiceObjects<SecretStore> objects;

  public LazySecretStore(ComponentServiceObjects<SecretStore> objects) {
    this.objects = objects;
  }

  private <T> T with(Work<T> work) {
    SecretStore store = objects.getService();
    if (store == null) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, "secret store unavailable");
    }
    try {
      return work.run(store);
    } finally {
      objects.ungetService(store);
    }
  }

  @Override
  public Optional<Sensitive<byte[]>> get(String id) {
    return with(s -> s.get(id));
  }

  @Override
  public void put(String id, Sensitive<byte[]> value) {
    with(
        s -> {
          s.put(id, value);
          return null;
        });
  }

  @Override
  public boolean delete(String id) {
    return with(s -> s.delete(id));
  }

  @Override
  public List<String> ids() {
    return with(SecretStore::ids);
  }
}
