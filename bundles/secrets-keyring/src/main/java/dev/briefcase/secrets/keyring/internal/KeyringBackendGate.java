package dev.briefcase.secrets.keyring.internal;

import dev.briefcase.secrets.SecretBackends;
import dev.briefcase.secrets.SecretStoreException;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enables {@link KeyringSecretStore} when {@code keyring} is the selected secret backend and the
 * keyring answers a probe (connect, encrypted session, default collection unlocked). When it does
 * not, one ERROR line names both ways out and the store is not registered, so the launcher refuses
 * to start rather than run without secrets.
 */
@Component(
    immediate = true,
    service = {})
public final class KeyringBackendGate {
  static final String WAYS_OUT =
      "either make the OS keyring reachable and unlocked (Linux: a Secret Service such as"
          + " gnome-keyring on DBUS_SESSION_BUS_ADDRESS), or set BRIEFCASE_MASTER_PASSPHRASE to use"
          + " the encrypted file store (BRIEFCASE_SECRET_BACKEND=file)";

  private static final Logger LOG = LoggerFactory.getLogger(KeyringBackendGate.class);

  /**
   * The gate reads framework properties only: the launcher turns the environment into {@code
   * briefcase.secret.backend} (always set, its default resolved there).
   */
  static final Function<String, String> NO_ENVIRONMENT = variable -> null;

  @Activate
  void activate(ComponentContext context, KeyringSecretStore.Config config) {
    BundleContext bc = context.getBundleContext();
    String selected;
    try {
      selected = SecretBackends.selected(bc::getProperty, NO_ENVIRONMENT);
    } catch (SecretStoreException e) {
      LOG.error("Keyring secret store not started: {}: {}", e.code(), e.getMessage());
      return;
    }
    if (!SecretBackends.KEYRING.equals(selected)) {
      LOG.info("Keyring secret store not started: the selected secret backend is {}", selected);
      return;
    }
    long t0 = System.nanoTime();
    try (KeyringBackend probe = KeyringBackends.open(config.bus_address())) {
      LOG.info(
          "Keyring secret store: {} answered in {} ms",
          probe.describe(),
          (System.nanoTime() - t0) / 1_000_000);
    } catch (SecretStoreException e) {
      LOG.error("The OS keyring is not usable ({}); {}", e.getMessage(), WAYS_OUT);
      return;
    }
    context.enableComponent(KeyringSecretStore.class.getName());
  }
}
