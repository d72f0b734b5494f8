package dev.briefcase.plugins.internal;

import dev.briefcase.plugins.PluginInfo;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** What {@code list()} and every lifecycle answer report about a bundle: state, families, ids. */
final class PluginReport {
  /** Service interfaces that make a bundle a plugin of a family, and the property naming it. */
  private static final Map<String, String[]> FAMILIES =
      Map.of(
          "dev.briefcase.connector.Connector", new String[] {"connector", "connector.id"},
          "dev.briefcase.signer.Signer", new String[] {"signer", "signer.id"},
          "dev.briefcase.payment.PaymentRail", new String[] {"rail", "rail.scheme"},
          "dev.briefcase.policy.PolicyCompiler", new String[] {"compiler", "compiler.id"},
          "dev.briefcase.secrets.SecretStore", new String[] {"secrets", "secrets.backend"},
          "dev.briefcase.risk.RiskAssessor", new String[] {"risk", "risk.id"});

  private PluginReport() {}

  static PluginInfo info(Bundle b) {
    Set<String> families = new LinkedHashSet<>();
    Set<String> ids = new LinkedHashSet<>();
    ServiceReference<?>[] refs = b.getState() == Bundle.ACTIVE ? b.getRegisteredServices() : null;
    if (refs != null) {
      for (ServiceReference<?> ref : refs) {
        for (String type : (String[]) ref.getProperty(Constants.OBJECTCLASS)) {
          String[] family = FAMILIES.get(type);
          if (family != null) {
            families.add(family[0]);
            Object id = ref.getProperty(family[1]);
            if (id != null) {
              ids.add(family[0] + ":" + id);
            }
          }
        }
      }
    }
    if (b.getHeaders("").get("Briefcase-Wasm-Tools") != null) {
      // its connector is registered by the sandbox extender on its behalf
      families.add("connector");
      ids.add("connector:wasm:" + b.getSymbolicName());
    }
    return new PluginInfo(
        b.getBundleId(),
        b.getSymbolicName(),
        b.getVersion().toString(),
        state(b.getState()),
        List.copyOf(families),
        List.copyOf(ids),
        PluginManager.isCore(b),
        b.getLocation());
  }

  private static String state(int state) {
    return switch (state) {
      case Bundle.INSTALLED -> "installed";
      case Bundle.RESOLVED -> "resolved";
      case Bundle.STARTING -> "starting";
      case Bundle.STOPPING -> "stopping";
      case Bundle.ACTIVE -> "active";
      default -> "uninstalled";
    };
  }
}
