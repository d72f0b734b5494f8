package dev.briefcase.plugins.internal;

import dev.briefcase.plugins.internal.PluginTrust.Trust;
import dev.briefcase.plugins.internal.PluginTrust.Verdict;
import dev.briefcase.profile.ProfileMode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin trust gate for every door. As a resolver hook it keeps untrusted non-core bundles out
 * of resolution in the strict profile ({@code ga}), so they never start whoever installed them
 * (admin API, CLI, File Install's {@code deploy/}, a console). In the other profiles it filters
 * nothing. Verdicts are cached per bundle id and last-modified time and trust-store content.
 * Immediate and without references, so the hook is in place before plugins reach their start level.
 *
 * <p>In every profile it also keeps a bundle out of resolution whose symbolic name another
 * installed bundle already has ({@value #DUPLICATE_SYMBOLIC_NAME}): the framework allows the same
 * name at another version, but tool ownership and stored manifests are keyed by the name, so the
 * first bundle with a name is the only one that may run. An update of that bundle keeps its bundle
 * id and stays resolvable.
 */
@Component(
    service = {TrustGate.class, ResolverHookFactory.class},
    immediate = true,
    configurationPid = TrustGate.PID)
@Designate(ocd = TrustGate.Config.class)
public final class TrustGate implements ResolverHookFactory {
  private static final Logger LOG = LoggerFactory.getLogger(TrustGate.class);
  static final String TRUST_DIR_PROPERTY = "briefcase.plugin.trust.dir";

  /** The configuration PID ({@code trust.dir}); the kernel's protected path list reads it too. */
  static final String PID = "dev.briefcase.plugins";

  /** Why a bundle carrying an installed bundle's symbolic name is refused. */
  static final String DUPLICATE_SYMBOLIC_NAME = "duplicate_symbolic_name";

  @ObjectClassDefinition(
      name = "Briefcase plugin trust",
      description = "Which certificates may sign plugin bundles.")
  public @interface Config {
    @AttributeDefinition(
        name = "Trust directory",
        description =
            "Directory of X.509 plugin-signing certificates (PEM or DER). Empty means"
                + " <data_dir>/trust. The framework property briefcase.plugin.trust.dir"
                + " (env BRIEFCASE_PLUGIN_TRUST_DIR) overrides it.")
    String trust_dir() default "";
  }

  private final boolean strict;
  private final Path trustDir;
  private final BundleContext context; // null in tests: no duplicate check
  private final Map<Long, Verdict> uploaded = new ConcurrentHashMap<>();
  private final Map<Long, Cached> cache = new ConcurrentHashMap<>();

  /** {@code uploaded}: the byte verdict this was confirmed from, or null when computed here. */
  private record Cached(
      long lastModified, Set<X509Certificate> store, Verdict uploaded, Verdict verdict) {}

  @Activate
  public TrustGate(BundleContext context, Config config) {
    this(
        ProfileMode.isStrict(context.getProperty(ProfileMode.PROPERTY)),
        trustDir(
            context.getProperty(TRUST_DIR_PROPERTY),
            config.trust_dir(),
            context.getProperty("briefcase.data.dir")),
        context);
    LOG.info(
        "plugin trust: {} profile, trust store {} ({} certificates)",
        strict ? "strict" : "warn-only",
        trustDir,
        trustStore().size());
  }

  TrustGate(boolean strict, Path trustDir) {
    this(strict, trustDir, null);
  }

  TrustGate(boolean strict, Path trustDir, BundleContext context) {
    this.strict = strict;
    this.trustDir = trustDir;
    this.context = context;
  }

  /**
   * The installed bundle that had {@code bundle}'s symbolic name first (the lowest bundle id other
   * than its own), or {@code null} when the name is its alone.
   */
  Bundle duplicateOf(Bundle bundle) {
    BundleContext c = context;
    String name = bundle.getSymbolicName();
    if (c == null || name == null || bundle.getBundleId() == 0) {
      return null;
    }
    Bundle first = null;
    for (Bundle other : c.getBundles()) {
      if (other.getBundleId() != bundle.getBundleId()
          && other.getBundleId() < bundle.getBundleId()
          && other.getState() != Bundle.UNINSTALLED
          && name.equals(other.getSymbolicName())
          && (first == null || other.getBundleId() < first.getBundleId())) {
        first = other;
      }
    }
    return first;
  }

  static Path trustDir(String override, String configured, String dataDir) {
    if (override != null && !override.isBlank()) {
      return Path.of(override.strip());
    }
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured.strip());
    }
    return Path.of(dataDir == null ? "." : dataDir).resolve("trust");
  }

  /** Whether untrusted bundles are refused ({@code ga}) rather than allowed with a warning. */
  boolean strict() {
    return strict;
  }

  Path trustDir() {
    return trustDir;
  }

  /** The certificates trusted now; read on each call so an operator's change applies at once. */
  Set<X509Certificate> trustStore() {
    return PluginTrust.loadTrustStore(trustDir);
  }

  /** Verifies uploaded bytes against the current trust store. */
  Verdict verify(byte[] jar) {
    return PluginTrust.verify(jar, trustStore());
  }

  /**
   * Records the verdict of bytes installed through the plugin service for a bundle id, before the
   * bundle is resolved; returns the previous one (to restore when an update fails).
   */
  Verdict remember(long bundleId, Verdict verdict) {
    cache.remove(bundleId);
    return verdict == null ? uploaded.remove(bundleId) : uploaded.put(bundleId, verdict);
  }

  /** Forgets an uninstalled bundle. */
  void forget(long bundleId) {
    uploaded.remove(bundleId);
    cache.remove(bundleId);
  }

  /** The last verdict on a bundle without computing one, or {@code null}. */
  Verdict known(Bundle bundle) {
    Cached c = cache.get(bundle.getBundleId());
    if (c != null) {
      return c.verdict();
    }
    return uploaded.get(bundle.getBundleId());
  }

  /**
   * The verdict on an installed bundle: the uploaded bytes' verdict for plugin-service installs,
   * the file's for {@code file:} locations (File Install), otherwise the bundle's entries as
   * installed (which also covers plugin-service installs restored after a restart). A trusted
   * verdict holds only while the framework's view of the bundle's entries matches what was verified
   * ({@link PluginTrust#confirmInstalled}): a file swapped after the check, or content the
   * framework reads differently from the verifier, makes it {@code tampered}.
   */
  Verdict verdict(Bundle bundle) {
    Verdict v = uploaded.get(bundle.getBundleId());
    Set<X509Certificate> store = v == null ? trustStore() : Set.of();
    long modified = bundle.getLastModified();
    Cached c = cache.get(bundle.getBundleId());
    if (c != null
        && c.lastModified() == modified
        && c.uploaded() == v
        && (v != null || c.store().equals(store))) {
      return c.verdict();
    }
    Verdict base = v != null ? v : compute(bundle, store);
    Verdict fresh = PluginTrust.confirmInstalled(bundle, base);
    if (fresh != base) {
      LOG.warn(
          "plugin {}: the installed content is not what was verified: {}",
          bundle.getSymbolicName(),
          fresh.detail());
    }
    cache.put(bundle.getBundleId(), new Cached(modified, store, v, fresh));
    return fresh;
  }

  private static Verdict compute(Bundle bundle, Set<X509Certificate> store) {
    String location = bundle.getLocation();
    try {
      if (location.startsWith("file:")) {
        Path file = Path.of(URI.create(location));
        if (Files.size(file) > PluginManager.MAX_BUNDLE_BYTES) {
          return Verdict.of(Trust.TOO_LARGE, "bundle exceeds 64 MiB");
        }
        return PluginTrust.verify(Files.readAllBytes(file), store);
      }
      return PluginTrust.verifyInstalled(bundle, store);
    } catch (IOException | RuntimeException e) {
      return Verdict.of(Trust.UNSIGNED, "bundle content cannot be read");
    }
  }

  /** Whether a bundle may resolve: core bundles always; plugins when trusted or not strict. */
  boolean admits(Bundle bundle) {
    return !strict || PluginManager.isCore(bundle) || verdict(bundle).trusted();
  }

  @Override
  public ResolverHook begin(Collection<BundleRevision> triggers) {
    return new ResolverHook() {
      @Override
      public void filterResolvable(Collection<BundleRevision> candidates) {
        for (Iterator<BundleRevision> it = candidates.iterator(); it.hasNext(); ) {
          Bundle b = it.next().getBundle();
          Bundle first = duplicateOf(b);
          if (first != null) {
            LOG.debug(
                "bundle {} [{}] has the name of bundle [{}]: not resolvable",
                b.getSymbolicName(),
                b.getBundleId(),
                first.getBundleId());
            it.remove();
          } else if (strict && !admits(b)) {
            LOG.debug("plugin {} is not trusted: not resolvable", b.getSymbolicName());
            it.remove();
          }
        }
      }

      @Override
      public void filterSingletonCollisions(
          BundleCapability singleton, Collection<BundleCapability> collisionCandidates) {
        // trust does not change which singleton wins
      }

      @Override
      public void filterMatches(
          BundleRequirement requirement, Collection<BundleCapability> candidates) {
        // untrusted bundles never resolve, so their capabilities are never candidates
      }

      @Override
      public void end() {
        // nothing held per resolve operation
      }
    };
  }
}
