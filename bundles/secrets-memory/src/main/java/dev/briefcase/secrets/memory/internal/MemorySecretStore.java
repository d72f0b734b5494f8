package dev.briefcase.secrets.memory.internal;

import dev.briefcase.profile.ProfileMode;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code memory} secret store (SPEC §12): secrets live in this process only and are gone after
 * a restart, so it is for tests. Registered with {@code secrets.backend=memory} and enabled by
 * {@link MemoryBackendGate} only when selected. Refused in the {@code ga} profile: activation
 * throws, so the service never appears. Thread-safe; values are copied in and out and wiped on
 * deactivation, after which every call fails with {@code secret_store_unavailable}.
 */
// immediate: a delayed component would be disposed (and its secrets lost) whenever no one holds
// the service, e.g. between two admin API requests
@Component(
    service = SecretStore.class,
    enabled = false,
    immediate = true,
    property = SecretStore.BACKEND + "=memory")
public final class MemorySecretStore implements SecretStore {
  static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private static final Logger LOG = LoggerFactory.getLogger(MemorySecretStore.class);

  private final ConcurrentSkipListMap<String, byte[]> values = new ConcurrentSkipListMap<>();
  private volatile boolean closed;

  /** DS entry point: the profile comes from the framework property. */
  @Activate
  public MemorySecretStore(BundleContext context) {
    this(context.getProperty(ProfileMode.PROPERTY));
  }

  /** Test entry point. */
  MemorySecretStore(String profileMode) {
    if (ProfileMode.isStrict(profileMode)) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, MemoryBackendGate.GA_REFUSAL);
    }
    LOG.warn("Memory secret store active: secrets are lost when the kernel stops (tests only)");
  }

  @Override
  public Optional<Sensitive<byte[]>> get(String id) {
    check(id);
    byte[] v = values.get(id);
    return v == null ? Optional.empty() : Optional.of(Sensitive.of(v.clone()));
  }

  @Override
  public void put(String id, Sensitive<byte[]> value) {
    check(id);
    Objects.requireNonNull(value, "value");
    byte[] old = values.put(id, value.reveal().clone());
    if (old != null) {
      Arrays.fill(old, (byte) 0);
    }
  }

  @Override
  public boolean delete(String id) {
    check(id);
    byte[] old = values.remove(id);
    if (old != null) {
      Arrays.fill(old, (byte) 0);
    }
    return old != null;
  }

  @Override
  public List<String> ids() {
    open();
    return new ArrayList<>(values.keySet());
  }

  @Deactivate
  void close() {
    closed = true;
    values.values().forEach(v -> Arrays.fill(v, (byte) 0));
    values.clear();
  }

  private void check(String id) {
    open();
    if (id == null || !ID.matcher(id).matches()) {
      throw new SecretStoreException(
          SecretStoreException.INVALID_SECRET_ID, "secret ids match [A-Za-z0-9._-]{1,128}");
    }
  }

  private void open() {
    if (closed) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE, "the memory secret store is closed");
    }
  }
}
