package dev.briefcase.kernel.internal;

import dev.briefcase.files.ProtectedPaths;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.store.Store;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paths no tool may touch (SPEC §3, {@link ProtectedPaths}), from where the launcher and the
 * configuration say they are: the data directory ({@code briefcase.data.dir}: tokens, {@code
 * master.key}, secrets, database, {@code deploy/}, {@code plugins/}, {@code trust/}), the trust
 * directory ({@code briefcase.plugin.trust.dir} or the plugin trust gate's {@code trust_dir}), the
 * file secret store's directory and passphrase file, the database file when configured elsewhere,
 * and the operator's own list ({@code briefcase.protected.paths}, env {@code
 * BRIEFCASE_PROTECTED_PATHS}, separated by the platform's path separator).
 *
 * <p>Configured locations are taken from the services of the components they configure (the plugin
 * trust gate, the {@code Store}, the file {@code SecretStore}): their service properties are the
 * configuration those components were given, which the launcher pins to the feature files. Raw
 * Config Admin is never read, so a configuration written at run time (which the components never
 * see) cannot move the list. The list is computed when the component activates and when one of
 * those services comes, goes or is reconfigured; a call reads it and costs nothing.
 */
@Component(service = ProtectedPaths.class)
public final class ProtectedPathList implements ProtectedPaths {
  private static final Logger LOG = LoggerFactory.getLogger(ProtectedPathList.class);

  static final String DATA_DIR_PROPERTY = "briefcase.data.dir";
  static final String EXTRA_PROPERTY = "briefcase.protected.paths";
  static final String TRUST_DIR_PROPERTY = "briefcase.plugin.trust.dir";

  /** The plugin trust gate (bundle {@code dev.briefcase.plugins}): its PID and component name. */
  static final String TRUST_GATE_PID = "dev.briefcase.plugins";

  static final String TRUST_GATE_COMPONENT = "dev.briefcase.plugins.internal.TrustGate";
  static final String TRUST_GATE_BUNDLE = "dev.briefcase.plugins";

  /** Configured locations: PID and the service properties naming a path there. */
  static final Map<String, List<String>> CONFIGURED =
      Map.of(
          TRUST_GATE_PID,
          List.of("trust.dir"),
          "dev.briefcase.secrets.file",
          List.of("path", "passphrase.file"),
          "dev.briefcase.store",
          List.of("path"));

  private final Function<String, String> properties;
  // PID → the path values its component was configured with
  private final Map<String, Map<String, String>> configured = new ConcurrentHashMap<>();
  private volatile List<Path> paths;
  private volatile ServiceReference<?> trustGate; // the plugins bundle's gate, when bound

  @Activate
  public ProtectedPathList(BundleContext context) {
    this(context::getProperty);
    LOG.info("protected paths: {}", paths);
  }

  ProtectedPathList(Function<String, String> properties) {
    this.properties = properties;
    this.paths = compute();
  }

  /**
   * The gate's class is private to its bundle, so it is found as the resolver hook it registers, by
   * component name. Any bundle could register a service with that name, so only the one registered
   * by the plugins bundle counts (the gate lets one bundle per symbolic name resolve, and the core
   * bundles come first); every other is ignored, whatever its ranking.
   */
  @Reference(
      name = "trustGate",
      service = ResolverHookFactory.class,
      target = "(component.name=" + TRUST_GATE_COMPONENT + ")",
      cardinality = ReferenceCardinality.MULTIPLE,
      policy = ReferencePolicy.DYNAMIC,
      updated = "trustGateChanged",
      unbind = "trustGateGone")
  void trustGateArrived(ServiceReference<?> ref) {
    if (isTrustGate(ref)) {
      trustGate = ref;
      configure(TRUST_GATE_PID, ref);
    } else {
      LOG.warn(
          "a service named {} from another bundle is ignored for protected paths",
          TRUST_GATE_COMPONENT);
    }
  }

  void trustGateChanged(ServiceReference<?> ref) {
    if (ref.equals(trustGate)) {
      configure(TRUST_GATE_PID, ref);
    }
  }

  void trustGateGone(ServiceReference<?> ref) {
    if (ref.equals(trustGate)) {
      trustGate = null;
      configure(TRUST_GATE_PID, null);
    }
  }

  private static boolean isTrustGate(ServiceReference<?> ref) {
    Bundle bundle = ref.getBundle();
    return bundle != null && TRUST_GATE_BUNDLE.equals(bundle.getSymbolicName());
  }

  @Reference(
      name = "store",
      service = Store.class,
      cardinality = ReferenceCardinality.OPTIONAL,
      policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY,
      updated = "storeChanged",
      unbind = "storeGone")
  void storeArrived(ServiceReference<?> ref) {
    configure("dev.briefcase.store", ref);
  }

  void storeChanged(ServiceReference<?> ref) {
    configure("dev.briefcase.store", ref);
  }

  void storeGone(ServiceReference<?> ref) {
    configure("dev.briefcase.store", null);
  }

  @Reference(
      name = "fileSecrets",
      service = SecretStore.class,
      target = "(" + SecretStore.BACKEND + "=file)",
      cardinality = ReferenceCardinality.OPTIONAL,
      policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY,
      updated = "fileSecretsChanged",
      unbind = "fileSecretsGone")
  void fileSecretsArrived(ServiceReference<?> ref) {
    configure("dev.briefcase.secrets.file", ref);
  }

  void fileSecretsChanged(ServiceReference<?> ref) {
    configure("dev.briefcase.secrets.file", ref);
  }

  void fileSecretsGone(ServiceReference<?> ref) {
    configure("dev.briefcase.secrets.file", null);
  }

  /**
   * Takes the path values a component was configured with from its service properties (null: the
   * service left), and computes the list again.
   */
  void configure(String pid, ServiceReference<?> ref) {
    Map<String, String> values = new ConcurrentHashMap<>();
    if (ref != null) {
      for (String key : CONFIGURED.getOrDefault(pid, List.of())) {
        if (ref.getProperty(key) instanceof String s && !s.isBlank()) {
          values.put(key, s);
        }
      }
    }
    synchronized (this) {
      configured.put(pid, values);
      paths = compute();
    }
  }

  @Override
  public List<Path> paths() {
    return paths;
  }

  private List<Path> compute() {
    Set<Path> out = new LinkedHashSet<>();
    Path dataDir = path(properties.apply(DATA_DIR_PROPERTY), null);
    add(out, dataDir);
    add(out, path(properties.apply(TRUST_DIR_PROPERTY), null));
    String extra = properties.apply(EXTRA_PROPERTY);
    if (extra != null) {
      for (String p : extra.split(java.io.File.pathSeparator)) {
        add(out, path(p, null));
      }
    }
    for (Map<String, String> values : new java.util.TreeMap<>(configured).values()) {
      for (String value : new java.util.TreeMap<>(values).values()) {
        // a relative value: the store resolves it against the data directory, the passphrase
        // source against the working directory; protect both readings
        add(out, path(value, dataDir));
        add(out, path(value, null));
      }
    }
    return List.copyOf(out);
  }

  /** An absolute path; a relative one is taken against {@code base}, else the working directory. */
  private static Path path(String value, Path base) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      Path p = Path.of(value.strip());
      if (!p.isAbsolute()) {
        p = base == null ? p.toAbsolutePath() : base.resolve(p);
      }
      return p.normalize();
    } catch (InvalidPathException e) {
      return null;
    }
  }

  private static void add(Set<Path> out, Path p) {
    if (p != null) {
      out.add(p);
    }
  }
}
