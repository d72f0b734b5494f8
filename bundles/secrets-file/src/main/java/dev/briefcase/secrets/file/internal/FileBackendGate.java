package dev.briefcase.secrets.file.internal;

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
 * Enables {@link EncryptedFileSecretStore} only when {@code file} is the selected secret backend
 * ({@link SecretBackends#selected}), so exactly one secret store is registered in a kernel.
 */
@Component(
    immediate = true,
    service = {})
public final class FileBackendGate {
  private static final Logger LOG = LoggerFactory.getLogger(FileBackendGate.class);

  /**
   * The gate reads framework properties only: the launcher turns the environment into {@code
   * briefcase.secret.backend} (always set, its default resolved there).
   */
  static final Function<String, String> NO_ENVIRONMENT = variable -> null;

  @Activate
  void activate(ComponentContext context) {
    BundleContext bc = context.getBundleContext();
    String selected;
    try {
      selected = SecretBackends.selected(bc::getProperty, NO_ENVIRONMENT);
    } catch (SecretStoreException e) {
      LOG.error("File secret store not started: {}: {}", e.code(), e.getMessage());
      return;
    }
    if (SecretBackends.FILE.equals(selected)) {
      context.enableComponent(EncryptedFileSecretStore.class.getName());
    } else {
      LOG.info("File secret store not started: the selected secret backend is {}", selected);
    }
  }
}
