package dev.briefcase.signer.windows.internal;

import java.util.Locale;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enables {@link WindowsSigner} on Windows only; elsewhere the bundle stays installed and resolved
 * but registers no signer, and says so in one INFO line.
 */
@Component(
    immediate = true,
    service = {})
public final class WindowsPlatformGate {
  private static final Logger LOG = LoggerFactory.getLogger(WindowsPlatformGate.class);

  @Activate
  void activate(ComponentContext context) {
    String os = System.getProperty("os.name", "");
    if (isWindows(os)) {
      context.enableComponent(WindowsSigner.class.getName());
    } else {
      LOG.info("Windows signer not registered: it needs Windows, this is {}", os);
    }
  }

  static boolean isWindows(String osName) {
    return osName != null && osName.toLowerCase(Locale.ROOT).startsWith("windows");
  }
}
