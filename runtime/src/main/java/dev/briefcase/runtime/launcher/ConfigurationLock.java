package dev.briefcase.runtime.launcher;

import java.io.PrintStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Makes configuration a launch-time decision: a Config Admin {@code ConfigurationPlugin},
 * registered by the system bundle before any bundle starts, that hands every configuration target
 * exactly what the feature files said for its PID, resolved by the launcher — or nothing, so the
 * component's defaults and the framework properties apply. A configuration created or changed at
 * run time (a dropped {@code .cfg}, a console, a plugin calling {@code ConfigurationAdmin}) has no
 * effect; it is reported once per change as a WARN line with the stable code {@value #CODE}, naming
 * the PID and the keys, never the values.
 *
 * <p>Deleting a configuration bypasses the plugin (nothing is delivered, the component falls back
 * to its defaults), so the lock is also a {@code ConfigurationListener}: when a configuration the
 * features name is deleted, it is created again at once with the features' values, and a WARN line
 * with the same code says so. The component may see its defaults for that moment; it ends on the
 * launcher's values.
 *
 * <p>A factory configuration the features do not name cannot be stopped from creating an instance,
 * so the instances of the factories that would open something are turned off: a stray HTTP runtime
 * ({@code org.apache.felix.http}) is disabled, a stray File Install watcher watches an empty
 * directory with the jar-only filter.
 *
 * <p>Thread-safe: Config Admin calls it from its own threads.
 */
final class ConfigurationLock implements InvocationHandler {
  /** The stable code of the WARN line written when a run-time change is ignored. */
  static final String CODE = "configuration_locked";

  static final String PLUGIN = "org.osgi.service.cm.ConfigurationPlugin";
  static final String LISTENER = "org.osgi.service.cm.ConfigurationListener";
  // ConfigurationEvent.CM_DELETED
  private static final int CM_DELETED = 2;
  private static final String CM_BUNDLE = "org.apache.felix.configadmin";
  // ConfigurationPlugin.CM_RANKING: 1000 is the last plugin allowed to change what is delivered
  private static final String CM_RANKING = "service.cmRanking";
  private static final Set<String> CM_OWN_KEYS =
      Set.of("service.pid", "service.factoryPid", "service.bundleLocation");

  private final Map<String, Map<String, Object>> pinned;
  private final Map<String, ConfigurationPid> pids;
  private final Map<ConfigurationPid, Hashtable<String, Object>> configurations;
  private volatile BundleContext system;
  private final Map<String, Map<String, Object>> strayFactories;
  private final PrintStream log;
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  /**
   * @param configurations the feature configurations as the launcher applies them
   * @param dataDir the data directory (a stray File Install watcher is pointed inside it)
   * @param log where the WARN lines go
   */
  ConfigurationLock(
      Map<ConfigurationPid, Hashtable<String, Object>> configurations,
      Path dataDir,
      PrintStream log) {
    Map<String, Map<String, Object>> byPid = new HashMap<>();
    for (Map.Entry<ConfigurationPid, Hashtable<String, Object>> e : configurations.entrySet()) {
      // Config Admin 1.6 names a named factory configuration factoryPid~name, like the features
      byPid.put(e.getKey().toString(), Map.copyOf(e.getValue()));
    }
    this.pinned = Map.copyOf(byPid);
    Map<String, ConfigurationPid> named = new HashMap<>();
    for (ConfigurationPid pid : configurations.keySet()) {
      named.put(pid.toString(), pid);
    }
    this.pids = Map.copyOf(named);
    this.configurations = Map.copyOf(configurations);
    this.strayFactories =
        Map.of(
            "org.apache.felix.http",
            Map.of("org.apache.felix.http.enable", false, "org.apache.felix.https.enable", false),
            "org.apache.felix.fileinstall",
            Map.of(
                "felix.fileinstall.dir",
                dataDir.resolve("deploy-locked").toString(),
                "felix.fileinstall.filter",
                ".*\\.jar",
                "felix.fileinstall.enableConfigSave",
                "false"));
    this.log = log;
  }

  /**
   * Registers the lock as a {@code ConfigurationPlugin} and a {@code ConfigurationListener} with
   * the system bundle, so no plugin bundle can unregister it. The interface lives in the Config
   * Admin bundle, not on the launcher's class path: the plugin is a proxy made with that bundle's
   * class loader. Does nothing when the feature has no Config Admin.
   *
   * @return the registration, or {@code null} without Config Admin
   */
  ServiceRegistration<?> register(BundleContext system, List<Bundle> installed)
      throws LaunchException {
    Bundle cm = null;
    for (Bundle b : installed) {
      if (CM_BUNDLE.equals(b.getSymbolicName())) {
        cm = b;
      }
    }
    if (cm == null) {
      return null;
    }
    Class<?> plugin;
    Class<?> listener;
    try {
      plugin = cm.loadClass(PLUGIN);
      listener = cm.loadClass(LISTENER);
    } catch (ClassNotFoundException | IllegalStateException e) {
      throw new LaunchException(
          "cannot lock the configuration: the Config Admin interfaces are not loadable from "
              + CM_BUNDLE,
          e);
    }
    Object proxy =
        Proxy.newProxyInstance(plugin.getClassLoader(), new Class<?>[] {plugin, listener}, this);
    Hashtable<String, Object> props = new Hashtable<>();
    props.put(CM_RANKING, 1000);
    props.put("service.description", "Briefcase: configuration comes from the launcher only");
    this.system = system;
    return system.registerService(new String[] {PLUGIN, LISTENER}, proxy, props);
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) {
    switch (method.getName()) {
      case "modifyConfiguration":
        if (args != null && args.length == 2 && args[1] instanceof Dictionary<?, ?> d) {
          @SuppressWarnings("unchecked")
          Dictionary<String, Object> props = (Dictionary<String, Object>) d;
          enforce(props);
        }
        return null;
      case "configurationEvent":
        if (args != null && args.length == 1 && args[0] != null) {
          configurationEvent(args[0]);
        }
        return null;
      case "hashCode":
        return System.identityHashCode(proxy);
      case "equals":
        return proxy == args[0];
      case "toString":
        return "Briefcase configuration lock";
      default:
        throw new UnsupportedOperationException(method.getName());
    }
  }

  /**
   * Creates a deleted configuration the features name again, with their values. Runs on Config
   * Admin's event thread; never throws into it.
   */
  private void configurationEvent(Object event) {
    try {
      int type = (Integer) event.getClass().getMethod("getType").invoke(event);
      String pid = string(event.getClass().getMethod("getPid").invoke(event));
      ConfigurationPid pinnedPid = pid == null ? null : pids.get(pid);
      if (type != CM_DELETED || pinnedPid == null) {
        return;
      }
      log.println(
          "briefcase: warning: "
              + CODE
              + ": configuration "
              + pid
              + " was deleted at run time; it is restored from the feature files");
      restore(
          pinnedPid,
          (org.osgi.framework.ServiceReference<?>)
              event.getClass().getMethod("getReference").invoke(event));
    } catch (ReflectiveOperationException | RuntimeException | LaunchException e) {
      log.println(
          "briefcase: error: "
              + CODE
              + ": could not restore a deleted configuration: "
              + String.valueOf(e).replaceAll("[\\r\\n]+", " "));
    }
  }

  /** Writes the features' values for {@code pid} through the Config Admin that fired the event. */
  void restore(ConfigurationPid pid, org.osgi.framework.ServiceReference<?> configAdmin)
      throws LaunchException {
    BundleContext context = system;
    if (context == null || configAdmin == null) {
      return;
    }
    FeatureLauncher.applyConfigurations(
        context, configAdmin, Map.of(pid, new Hashtable<>(configurations.get(pid))));
  }

  /**
   * Replaces, in place, everything but Config Admin's own keys with the launcher's values for this
   * PID.
   *
   * @return the keys that differed (empty when the configuration is the launcher's)
   */
  List<String> enforce(Dictionary<String, Object> props) {
    String pid = string(props.get("service.pid"));
    String factoryPid = string(props.get("service.factoryPid"));
    Map<String, Object> wanted = pinned.get(pid);
    if (wanted == null) {
      wanted = factoryPid == null ? Map.of() : strayFactories.getOrDefault(factoryPid, Map.of());
    }
    Map<String, Object> have = new HashMap<>();
    for (Enumeration<String> keys = props.keys(); keys.hasMoreElements(); ) {
      String key = keys.nextElement();
      if (!CM_OWN_KEYS.contains(key)) {
        have.put(key, props.get(key));
      }
    }
    Set<String> differing = new TreeSet<>();
    for (String key : have.keySet()) {
      if (!wanted.containsKey(key) || !same(have.get(key), wanted.get(key))) {
        differing.add(key);
      }
    }
    for (String key : wanted.keySet()) {
      if (!have.containsKey(key)) {
        differing.add(key);
      }
    }
    if (differing.isEmpty()) {
      return List.of();
    }
    for (String key : have.keySet()) {
      props.remove(key);
    }
    for (Map.Entry<String, Object> e : wanted.entrySet()) {
      props.put(e.getKey(), e.getValue());
    }
    String report = pid + " " + differing;
    if (reported.add(report + have.hashCode())) {
      log.println(
          "briefcase: warning: "
              + CODE
              + ": ignored a run-time change to configuration "
              + pid
              + " (keys "
              + String.join(", ", differing)
              + "); configuration comes from the feature files at start");
    }
    return Collections.unmodifiableList(new ArrayList<>(differing));
  }

  private static boolean same(Object a, Object b) {
    return Objects.deepEquals(asList(a), asList(b));
  }

  private static Object asList(Object value) {
    if (value == null || !value.getClass().isArray()) {
      return value;
    }
    int n = java.lang.reflect.Array.getLength(value);
    List<Object> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(java.lang.reflect.Array.get(value, i));
    }
    return list;
  }

  private static String string(Object value) {
    return value == null ? null : value.toString();
  }
}
