package dev.briefcase.secrets.keyring.internal;

import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code keyring} secret store (SPEC §12): each secret is one item of the OS keyring under the
 * service name {@code credential-briefcase} — the Secret Service on Linux, the login Keychain on
 * macOS, the Credential Manager on Windows. Registered with {@code secrets.backend=keyring},
 * enabled by {@link KeyringBackendGate} only when it is the selected backend and the keyring
 * answered.
 *
 * <p>The keyring is connected on first use and reconnected after a failure; a locked or unreachable
 * keyring is {@code secret_store_unavailable} for that call, never an empty value. Calls are
 * serialized (one D-Bus session). Values are never logged; ids are logged at DEBUG only. After
 * deactivation every call fails with {@code secret_store_unavailable}.
 */
@Component(
    service = SecretStore.class,
    enabled = false,
    // immediate: keeps one D-Bus session for the kernel's life instead of one per service use
    immediate = true,
    configurationPid = KeyringSecretStore.PID,
    property = SecretStore.BACKEND + "=keyring")
@Designate(ocd = KeyringSecretStore.Config.class)
public final class KeyringSecretStore implements SecretStore {
  static final String PID = "dev.briefcase.secrets.keyring";
  static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private static final Logger LOG = LoggerFactory.getLogger(KeyringSecretStore.class);

  /** Where the keyring is. No secrets here. */
  @ObjectClassDefinition(
      name = "Briefcase keyring secret store",
      description = "Secrets as items of the OS keyring under the service credential-briefcase.")
  public @interface Config {
    @AttributeDefinition(
        name = "D-Bus address",
        description =
            "Linux only: the bus of the Secret Service, e.g. unix:path=/run/user/1000/bus. Empty"
                + " means the session bus named by DBUS_SESSION_BUS_ADDRESS.")
    String bus_address() default "";
  }

  private final Supplier<KeyringBackend> opener;
  private final Object lock = new Object();
  private KeyringBackend backend;
  private boolean closed;

  @Activate
  public KeyringSecretStore(Config config) {
    this(() -> KeyringBackends.open(config.bus_address()));
  }

  /** Test entry point: {@code opener} connects to a keyring (and throws when it cannot). */
  KeyringSecretStore(Supplier<KeyringBackend> opener) {
    this.opener = opener;
  }

  @Override
  public Optional<Sensitive<byte[]>> get(String id) {
    checkId(id);
    Optional<byte[]> value = call(b -> b.read(id));
    LOG.debug("Read keyring item '{}': {}", id, value.isPresent() ? "found" : "absent");
    return value.map(Sensitive::of);
  }

  @Override
  public void put(String id, Sensitive<byte[]> value) {
    checkId(id);
    Objects.requireNonNull(value, "value");
    byte[] bytes = value.reveal();
    KeyringBackends.checkSize(bytes.length);
    call(
        b -> {
          b.write(id, bytes);
          return null;
        });
    LOG.debug("Stored keyring item '{}'", id);
  }

  @Override
  public boolean delete(String id) {
    checkId(id);
    boolean deleted = call(b -> b.remove(id));
    LOG.debug("Deleted keyring item '{}': {}", id, deleted);
    return deleted;
  }

  @Override
  public List<String> ids() {
    return List.copyOf(new TreeSet<>(call(KeyringBackend::list)));
  }

  @Deactivate
  void close() {
    synchronized (lock) {
      closed = true;
      if (backend != null) {
        backend.close();
        backend = null;
      }
    }
    LOG.info("Keyring secret store closed");
  }

  private interface Work<T> {
    T run(KeyringBackend backend);
  }

  /**
   * Runs one operation on a connected backend. A failure drops the connection so that the next call
   * reconnects (the keyring daemon may have restarted); the failure itself is reported, not retried
   * here, so a write is never applied twice.
   */
  private <T> T call(Work<T> work) {
    synchronized (lock) {
      if (closed) {
        throw new SecretStoreException(
            SecretStoreException.SECRET_STORE_UNAVAILABLE, "the keyring secret store is closed");
      }
      if (backend == null) {
        backend = opener.get();
        LOG.info("Keyring secret store connected to {}", backend.describe());
      }
      try {
        return work.run(backend);
      } catch (SecretStoreException e) {
        if (SecretStoreException.SECRET_STORE_UNAVAILABLE.equals(e.code())) {
          dropBackend();
        }
        throw e;
      } catch (RuntimeException e) {
        dropBackend();
        throw new SecretStoreException(
            SecretStoreException.SECRET_STORE_UNAVAILABLE,
            "the keyring failed (" + e.getClass().getSimpleName() + ")");
      }
    }
  }

  private void dropBackend() {
    KeyringBackend b = backend;
    backend = null;
    if (b != null) {
      try {
        b.close();
      } catch (RuntimeException e) {
        // already broken
      }
    }
  }

  private static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new SecretStoreException(
          SecretStoreException.INVALID_SECRET_ID, "secret ids match [A-Za-z0-9._-]{1,128}");
    }
  }
}
