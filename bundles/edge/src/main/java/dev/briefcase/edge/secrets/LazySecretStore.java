package dev.briefcase.edge.secrets;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.ComponentServiceObjects;

/**
 * The secret store of an always-on component, got on first use and kept until {@link #close()}: the
 * component does not activate the store (whose key derivation is slow on purpose) at start, only
 * when a secret is first read or written. Once got, the same service object serves every call:
 * getting and ungetting it around each call from several threads races in the framework's usage
 * count (an unget can find the count already flushed and fail), which a call must never pay for.
 * Closed by the owner's deactivation; afterwards, and when no store is registered, every call
 * answers {@code secret_store_unavailable}. Thread-safe.
 */
public final class LazySecretStore implements SecretStore, AutoCloseable {
  private final ComponentServiceObjects<SecretStore> objects;
  private SecretStore store; // guarded by this
  private boolean closed; // guarded by this

  public LazySecretStore(ComponentServiceObjects<SecretStore> objects) {
    this.objects = objects;
  }

  private synchronized SecretStore store() {
    if (!closed && store == null) {
      store = objects.getService();
    }
    if (closed || store == null) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, "secret store unavailable");
    }
    return store;
  }

  @Override
  public Optional<Sensitive<byte[]>> get(String id) {
    return store().get(id);
  }

  @Override
  public void put(String id, Sensitive<byte[]> value) {
    store().put(id, value);
  }

  @Override
  public boolean delete(String id) {
    return store().delete(id);
  }

  @Override
  public List<String> ids() {
    return store().ids();
  }

  /** Releases the store; called when the owning component is deactivated. */
  @Override
  public synchronized void close() {
    closed = true;
    if (store != null) {
      SecretStore s = store;
      store = null;
      try {
        objects.ungetService(s);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // the component context is already gone: the framework released the store with it
      }
    }
  }
}
