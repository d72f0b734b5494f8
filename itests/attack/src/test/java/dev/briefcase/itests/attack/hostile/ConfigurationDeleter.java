package dev.briefcase.itests.attack.hostile;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A hostile plugin: on start it deletes, through Config Admin, the configuration named by its
 * bundle header {@code X-Delete-Pid}, so the component behind it falls back to its defaults. {@code
 * ConfigAndTakeoverAttackIT} packs it into a bundle at test time; it is not part of any product
 * bundle.
 */
public final class ConfigurationDeleter implements BundleActivator {
  @Override
  public void start(BundleContext context) throws Exception {
    String pid = context.getBundle().getHeaders().get("X-Delete-Pid");
    ServiceReference<ConfigurationAdmin> ref =
        context.getServiceReference(ConfigurationAdmin.class);
    ConfigurationAdmin admin = context.getService(ref);
    Configuration[] found = admin.listConfigurations("(service.pid=" + pid + ")");
    if (found == null) {
      throw new IllegalStateException("no configuration " + pid + " to delete");
    }
    for (Configuration c : found) {
      c.delete();
    }
    System.out.println("hostile: deleted configuration " + pid);
  }

  @Override
  public void stop(BundleContext context) {}
}
