package dev.briefcase.kernel.internal;

import dev.briefcase.files.ProtectedPaths;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
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
 * directory ({@code briefcase.plugin.trust.dir} or {@code TrustGate trust_dir}), the file secret
 * store's directory and passphrase file, the database file when configured elsewhere, and the
 * operator's own list ({@code briefcase.protected.paths}, env {@code BRIEFCASE_PROTECTED_PATHS},
 * separated by the platform's path separator). Recomputed per call, so a configuration change takes
 * effect at once.
 */
@Component(service = ProtectedPaths.class)
public final class ProtectedPathList implements ProtectedPaths {
  private static final Logger LOG = LoggerFactory.getLogger(ProtectedPathList.class);

  static final String DATA_DIR_PROPERTY = "briefcase.data.dir";
  static final String EXTRA_PROPERTY = "briefcase.protected.paths";

  /** Configured locations: PID and the attributes naming a path there. */
  private static final List<String[]> CONFIGURED =
      List.of(
          new String[] {"dev.briefcase.kernel.internal.TrustGate", "trust_dir"},
          new String[] {"dev.briefcase.secrets.file", "path", "passphrase_file"},
          new String[] {"dev.briefcase.store", "path"});

  private final Function<String, String> properties;

  @Reference(
      cardinality = ReferenceCardinality.OPTIONAL,
      policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY)
  private volatile ConfigurationAdmin configAdmin;

  @Activate
  public ProtectedPathList(BundleContext context) {
    this(context::getProperty);
    LOG.info("protected paths: {}", paths());
  }

  ProtectedPathList(Function<String, String> properties) {
    this.properties = properties;
  }

  void setConfigAdmin(ConfigurationAdmin admin) {
    this.configAdmin = admin;
  }

  @Override
  public List<Path> paths() {
    Set<Path> out = new LinkedHashSet<>();
    Path dataDir = path(properties.apply(DATA_DIR_PROPERTY), null);
    add(out, dataDir);
    add(out, path(properties.apply(TrustGate.TRUST_DIR_PROPERTY), null));
    String extra = properties.apply(EXTRA_PROPERTY);
    if (extra != null) {
      for (String p : extra.split(java.io.File.pathSeparator)) {
        add(out, path(p, null));
      }
    }
    ConfigurationAdmin admin = configAdmin;
    if (admin != null) {
      for (String[] where : CONFIGURED) {
        for (int i = 1; i < where.length; i++) {
          String value = configured(admin, where[0], where[i]);
          // a relative value: the store resolves it against the data directory, the passphrase
          // source against the working directory; protect both readings
          add(out, path(value, dataDir));
          add(out, path(value, null));
        }
      }
    }
    return List.copyOf(out);
  }

  private static String configured(ConfigurationAdmin admin, String pid, String key) {
    try {
      // listConfigurations never creates (or binds) a configuration, unlike getConfiguration
      Configuration[] found =
          admin.listConfigurations(
              "(" + org.osgi.framework.Constants.SERVICE_PID + "=" + pid + ")");
      if (found == null) {
        return null;
      }
      for (Configuration c : found) {
        Dictionary<String, Object> props = c.getProperties();
        Object v = props == null ? null : props.get(key);
        if (v instanceof String s && !s.isBlank()) {
          return s;
        }
      }
    } catch (IOException | InvalidSyntaxException | IllegalStateException e) {
      LOG.debug("cannot read configuration {}: {}", pid, e.toString());
    }
    return null;
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
