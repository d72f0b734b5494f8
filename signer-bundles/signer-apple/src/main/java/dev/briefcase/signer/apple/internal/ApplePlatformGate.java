package dev.briefcase.signer.apple.internal;

import java.util.Locale;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enables {@link AppleSigner} on macOS only; elsewhere the bundle stays installed and resolved but
 * registers no signer, and says so in one INFO line.
 */
@Component(
    immediate = true,
    service = {})
public final class ApplePlatformGate {
  private static final Logger LOG = LoggerFactory.getLogger(ApplePlatformGate.class);

  @Activate
  void activate(ComponentContext context) {
    String os = System.getProperty("os.name", "");
    if (isMacOs(os)) {
      context.enableComponent(AppleSigner.class.getName());
    } else {
      LOG.info("Apple signer not registered: it needs macOS, this is {}", os);
    }
  }

  static boolean isMacOs(String osName) {
    String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
    return os.startsWith("mac") || os.startsWith("darwin");
  }
}
