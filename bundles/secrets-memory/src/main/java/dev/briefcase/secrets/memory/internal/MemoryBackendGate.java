package dev.briefcase.secrets.memory.internal;

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
 * Enables {@link MemorySecretStore} only when {@code memory} is the selected secret backend and the
 * profile is not {@code ga}; in {@code ga} it refuses with one ERROR line (SPEC §12 Δ).
 */
@Component(
    immediate = true,
    service = {})
public final class MemoryBackendGate {
  static final String GA_REFUSAL =
      "BRIEFCASE_SECRET_BACKEND=memory is refused in the ga profile: secrets would not survive a"
          + " restart; use keyring or file";

  private static final Logger LOG = LoggerFactory.getLogger(MemoryBackendGate.class);

  /** What the gate does. */
  enum Decision {
    ENABLE,
    NOT_SELECTED,
    REFUSED
  }

  @Activate
  void activate(ComponentContext context) {
    BundleContext bc = context.getBundleContext();
    Decision d;
    try {
      d = decide(bc::getProperty);
    } catch (SecretStoreException e) {
      LOG.error("Memory secret store not started: {}: {}", e.code(), e.getMessage());
      return;
    }
    switch (d) {
      case ENABLE -> context.enableComponent(MemorySecretStore.class.getName());
      case REFUSED -> LOG.error("Memory secret store refused: {}", GA_REFUSAL);
      default -> LOG.debug("Memory secret store not selected");
    }
  }

  /**
   * Framework properties only: the launcher turns the environment into {@code
   * briefcase.secret.backend} (always set, its default resolved there).
   */
  static Decision decide(Function<String, String> frameworkProperty) {
    if (!SecretBackends.MEMORY.equals(
        SecretBackends.selected(frameworkProperty, variable -> null))) {
      return Decision.NOT_SELECTED;
    }
    return SecretBackends.strictProfile(frameworkProperty) ? Decision.REFUSED : Decision.ENABLE;
  }
}
