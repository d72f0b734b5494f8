package dev.briefcase.plugins.internal;

import dev.briefcase.edge.OneLine;
import dev.briefcase.plugins.PluginException;
import dev.briefcase.plugins.PluginInfo;
import dev.briefcase.plugins.PluginService;
import dev.briefcase.plugins.internal.PluginTrust.Trust;
import dev.briefcase.plugins.internal.PluginTrust.Verdict;
import dev.briefcase.receipts.ReceiptLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin lifecycle behind the admin API and the CLI. Bundles the launcher installed from the
 * core feature are core and cannot be stopped or removed here. Every change made here, and every
 * bundle change made through another door (File Install's {@code deploy/}, a console), writes a
 * {@code plugin_lifecycle} receipt naming the signer and trust verdict. In the strict profile
 * ({@code ga}) bytes that are not signed by a trusted vendor are refused before they are installed
 * ({@code untrusted_plugin}); bundles arriving through other doors are kept from resolving by
 * {@link TrustGate} and receipted as refused. Receipts are written by {@link LifecycleReceipts},
 * the reported view of a bundle is {@link PluginReport}'s, and the check of what the framework
 * installed against the verified bytes is {@link InstalledView}'s.
 */
@Component(service = PluginService.class, immediate = true)
public final class PluginManager implements PluginService {
  private static final Logger LOG = LoggerFactory.getLogger(PluginManager.class);

  /** The longest detail a refusal or failure carries (one line, see OneLine). */
  private static final int MAX_DETAIL = 200;

  static final String LOCATION_PREFIX = "briefcase-plugin:";
  static final int MAX_BUNDLE_BYTES = 64 << 20;

  private final BundleContext context;
  private final LifecycleReceipts lifecycle;
  private final TrustGate gate;
  private final SynchronousBundleListener others = this::bundleChanged;
  private final PluginShelf shelf;

  @Activate
  public PluginManager(
      BundleContext context, @Reference ReceiptLog receipts, @Reference TrustGate gate) {
    this.context = context;
    this.lifecycle = new LifecycleReceipts(receipts);
    this.gate = gate;
    String dataDir = context.getProperty("briefcase.data.dir");
    this.shelf = dataDir == null ? null : new PluginShelf(Path.of(dataDir, "plugins"));
    context.addBundleListener(others);
    restore();
  }

  /**
   * Reinstalls the plugins kept on the shelf: the framework cache starts clean at every start, so
   * this is what makes an installed plugin survive a restart. Each goes through the same trust
   * check as a new install, and is receipted with actor {@code restore}.
   */
  private synchronized void restore() {
    if (shelf == null) {
      return;
    }
    List<Path> jars;
    try {
      jars = shelf.jars();
    } catch (IOException e) {
      LOG.error("cannot read the plugin shelf; installed plugins were not restored", e);
      return;
    }
    for (Path jar : jars) {
      try (InputStream in = Files.newInputStream(jar)) {
        PluginInfo restored = install(in, "restore");
        if (shelf.stopped(restored.symbolicName())) {
          context.getBundle(restored.bundleId()).stop();
        }
      } catch (PluginException e) {
        LOG.error("plugin {} not restored: {}: {}", jar.getFileName(), e.code(), e.getMessage());
      } catch (IOException | BundleException e) {
        LOG.error("plugin {} not restored", jar.getFileName(), e);
      }
    }
  }

  private void shelve(ShelfWork work) throws PluginException {
    if (shelf == null) {
      return;
    }
    try {
      work.run(shelf);
    } catch (IOException | IllegalArgumentException e) {
      throw new PluginException(
          PluginException.STORAGE_FAILED,
          "the plugin could not be kept for restarts: " + OneLine.of(e.getMessage(), MAX_DETAIL));
    }
  }

  private interface ShelfWork {
    void run(PluginShelf shelf) throws IOException;
  }

  @Deactivate
  void deactivate() {
    context.removeBundleListener(others);
  }

  @Override
  public List<PluginInfo> list() {
    List<PluginInfo> out = new ArrayList<>();
    for (Bundle b : context.getBundles()) {
      out.add(PluginReport.info(b));
    }
    return out;
  }

  @Override
  public PluginInfo install(InputStream jar, String actor) throws PluginException {
    return install(jar, actor, null);
  }

  /**
   * Reads and verifies the bytes before taking the plugin lock, so a slow upload or a zip bomb
   * never holds up other plugin changes; then installs under the lock.
   */
  @Override
  public PluginInfo install(InputStream jar, String actor, String source) throws PluginException {
    byte[] bytes = read(jar);
    Verdict verdict = gate.verify(bytes);
    refuseMalformed("install", bytes, actor, verdict, source);
    String[] nameVersion = nameAndVersion(bytes, source);
    synchronized (this) {
      return install(bytes, nameVersion, verdict, actor, source);
    }
  }

  private PluginInfo install(
      byte[] bytes, String[] nameVersion, Verdict verdict, String actor, String source)
      throws PluginException {
    checkTrust("install", nameVersion, bytes, verdict, actor, source);
    for (Bundle b : context.getBundles()) {
      if (nameVersion[0].equals(b.getSymbolicName())) {
        lifecycle.refused(
            "install",
            nameVersion,
            bytes,
            actor,
            PluginException.ALREADY_INSTALLED,
            verdict,
            source);
        throw new PluginException(
            PluginException.ALREADY_INSTALLED, nameVersion[0] + " is installed; update it instead");
      }
    }
    Bundle bundle;
    try {
      bundle =
          context.installBundle(LOCATION_PREFIX + nameVersion[0], new ByteArrayInputStream(bytes));
    } catch (BundleException e) {
      lifecycle.refused(
          "install", nameVersion, bytes, actor, PluginException.INVALID_BUNDLE, verdict, source);
      throw new PluginException(
          PluginException.INVALID_BUNDLE, OneLine.of(e.getMessage(), MAX_DETAIL));
    }
    gate.remember(bundle.getBundleId(), verdict);
    refuseOtherView("install", bundle, bytes, nameVersion, verdict, actor, source);
    afterTheKernel(bundle);
    try {
      bundle.start();
    } catch (BundleException e) {
      Verdict installed = gate.verdict(bundle);
      gate.forget(bundle.getBundleId());
      try {
        bundle.uninstall();
      } catch (BundleException ignored) {
        // it never started; the framework drops it on refresh
      }
      if (gate.strict() && !installed.trusted()) {
        // the framework's view of the content is not what was verified: the gate kept it out
        lifecycle.refused(
            "install", nameVersion, bytes, actor, installed.trust().wire(), installed, source);
        throw untrusted(nameVersion[0], installed);
      }
      lifecycle.refused(
          "install", nameVersion, bytes, actor, PluginException.START_FAILED, verdict, source);
      throw new PluginException(
          PluginException.START_FAILED, OneLine.of(e.getMessage(), MAX_DETAIL));
    }
    try {
      shelve(s -> s.put(nameVersion[0], bytes));
    } catch (PluginException e) {
      // not kept, not installed: a plugin that would vanish at the next restart is refused now
      gate.forget(bundle.getBundleId());
      try {
        bundle.uninstall();
      } catch (BundleException ignored) {
        // it is being removed anyway
      }
      lifecycle.refused("install", nameVersion, bytes, actor, e.code(), verdict, source);
      throw e;
    }
    lifecycle.write(
        "install",
        nameVersion[0],
        nameVersion[1],
        LifecycleReceipts.sha256(bytes),
        actor,
        null,
        verdict,
        source);
    LOG.info(
        "plugin {} {} installed by {} ({})",
        nameVersion[0],
        nameVersion[1],
        actor,
        verdict.trust().wire());
    return PluginReport.info(bundle);
  }

  @Override
  public PluginInfo update(long bundleId, InputStream jar, String actor) throws PluginException {
    byte[] bytes = read(jar);
    Verdict verdict = gate.verify(bytes);
    refuseMalformed("update", bytes, actor, verdict, null);
    String[] nameVersion = nameAndVersion(bytes);
    synchronized (this) {
      return update(bundleId, bytes, nameVersion, verdict, actor);
    }
  }

  private PluginInfo update(
      long bundleId, byte[] bytes, String[] nameVersion, Verdict verdict, String actor)
      throws PluginException {
    Bundle bundle = plugin(bundleId);
    if (!nameVersion[0].equals(bundle.getSymbolicName())) {
      lifecycle.refused("update", nameVersion, bytes, actor, PluginException.NAME_MISMATCH, null);
      throw new PluginException(
          PluginException.NAME_MISMATCH,
          "the new bundle is " + nameVersion[0] + ", not " + bundle.getSymbolicName());
    }
    checkTrust("update", nameVersion, bytes, verdict, actor, null);
    // the update resolves the new revision at once: the gate must know its verdict first
    Verdict previous = gate.remember(bundleId, verdict);
    try {
      bundle.update(new ByteArrayInputStream(bytes));
    } catch (BundleException e) {
      gate.remember(bundleId, previous);
      lifecycle.refused("update", nameVersion, bytes, actor, PluginException.START_FAILED, verdict);
      throw new PluginException(
          PluginException.START_FAILED, OneLine.of(e.getMessage(), MAX_DETAIL));
    }
    refuseOtherView("update", bundle, bytes, nameVersion, verdict, actor, null);
    shelve(s -> s.put(nameVersion[0], bytes));
    lifecycle.write(
        "update",
        nameVersion[0],
        nameVersion[1],
        LifecycleReceipts.sha256(bytes),
        actor,
        null,
        verdict);
    return PluginReport.info(bundle);
  }

  @Override
  public synchronized PluginInfo start(long bundleId, String actor) throws PluginException {
    Bundle bundle = plugin(bundleId);
    Verdict verdict = gate.verdict(bundle);
    if (gate.strict() && !verdict.trusted()) {
      lifecycle.write(
          "refused_start",
          bundle.getSymbolicName(),
          bundle.getVersion().toString(),
          null,
          actor,
          verdict.trust().wire(),
          verdict);
      throw untrusted(bundle.getSymbolicName(), verdict);
    }
    try {
      bundle.start();
    } catch (BundleException e) {
      throw new PluginException(
          PluginException.START_FAILED, OneLine.of(e.getMessage(), MAX_DETAIL));
    }
    shelve(s -> s.markStopped(bundle.getSymbolicName(), false));
    lifecycle.write(
        "start",
        bundle.getSymbolicName(),
        bundle.getVersion().toString(),
        null,
        actor,
        null,
        verdict);
    return PluginReport.info(bundle);
  }

  @Override
  public synchronized PluginInfo stop(long bundleId, String actor) throws PluginException {
    Bundle bundle = plugin(bundleId);
    try {
      bundle.stop();
    } catch (BundleException e) {
      throw new PluginException(
          PluginException.STOP_FAILED, OneLine.of(e.getMessage(), MAX_DETAIL));
    }
    shelve(s -> s.markStopped(bundle.getSymbolicName(), true));
    lifecycle.write(
        "stop",
        bundle.getSymbolicName(),
        bundle.getVersion().toString(),
        null,
        actor,
        null,
        gate.known(bundle));
    return PluginReport.info(bundle);
  }

  @Override
  public synchronized void uninstall(long bundleId, String actor) throws PluginException {
    Bundle bundle = plugin(bundleId);
    String name = bundle.getSymbolicName();
    String version = bundle.getVersion().toString();
    Verdict verdict = gate.known(bundle);
    try {
      bundle.uninstall();
    } catch (BundleException e) {
      throw new PluginException(
          PluginException.STOP_FAILED, OneLine.of(e.getMessage(), MAX_DETAIL));
    }
    gate.forget(bundleId);
    shelve(s -> s.remove(name));
    lifecycle.write("uninstall", name, version, null, actor, null, verdict);
  }

  /** A non-core bundle by id. */
  private Bundle plugin(long bundleId) throws PluginException {
    Bundle bundle = context.getBundle(bundleId);
    if (bundle == null) {
      throw new PluginException(PluginException.NOT_FOUND, "no bundle with id " + bundleId);
    }
    if (isCore(bundle)) {
      throw new PluginException(
          PluginException.CORE_BUNDLE,
          bundle.getSymbolicName() + " is part of the core deployment");
    }
    return bundle;
  }

  /** Changes made through other doors (File Install, a console) are receipted as well. */
  private void bundleChanged(BundleEvent event) {
    Bundle b = event.getBundle();
    String location = b.getLocation();
    if (isCore(b) || location.startsWith(LOCATION_PREFIX)) {
      return; // core bundles are the deployment itself; our own changes are receipted above
    }
    String action =
        switch (event.getType()) {
          case BundleEvent.INSTALLED -> "install";
          case BundleEvent.UPDATED -> "update";
          case BundleEvent.STARTED -> "start";
          case BundleEvent.STOPPED -> "stop";
          case BundleEvent.UNINSTALLED -> "uninstall";
          default -> null;
        };
    if (action == null) {
      return;
    }
    String sha = null;
    if (location.startsWith("file:") && !"uninstall".equals(action)) {
      try {
        sha = LifecycleReceipts.sha256(Files.readAllBytes(Path.of(URI.create(location))));
      } catch (IOException | IllegalArgumentException e) {
        sha = null; // the file is already gone: the receipt says so by omitting the hash
      }
    }
    String actor = location.startsWith("file:") ? "deploy-dir" : "framework";
    try {
      Verdict verdict;
      String reason = null;
      if ("uninstall".equals(action)) {
        verdict = gate.known(b);
        gate.forget(b.getBundleId());
      } else {
        verdict = gate.verdict(b);
      }
      Bundle first =
          "install".equals(action) || "update".equals(action) ? gate.duplicateOf(b) : null;
      if (first != null) {
        // the gate keeps it from resolving: the name, and what is keyed by it, stays the first's
        action = "refused_" + action;
        reason = TrustGate.DUPLICATE_SYMBOLIC_NAME;
        LOG.warn(
            "plugin {} {} from {} refused: {} (bundle [{}] {} {} is installed)",
            b.getSymbolicName(),
            b.getVersion(),
            actor,
            reason,
            first.getBundleId(),
            first.getSymbolicName(),
            first.getVersion());
      } else if (verdict != null && !verdict.trusted()) {
        if (gate.strict() && ("install".equals(action) || "update".equals(action))) {
          // the gate keeps it from resolving: it is installed but can never start
          action = "refused_" + action;
          reason = verdict.trust().wire();
          LOG.warn(
              "plugin {} from {} refused: {} ({})",
              b.getSymbolicName(),
              actor,
              reason,
              verdict.detail());
        } else if (!gate.strict() && "install".equals(action)) {
          LOG.warn(
              "plugin {} from {} is {}: allowed in the {} profile, refused in ga",
              b.getSymbolicName(),
              actor,
              verdict.trust().wire(),
              context.getProperty("briefcase.profile.mode"));
        }
      }
      lifecycle.write(
          action, b.getSymbolicName(), b.getVersion().toString(), sha, actor, reason, verdict);
    } catch (RuntimeException e) {
      LOG.error("could not receipt {} of {}", action, b.getSymbolicName(), e);
    }
  }

  static boolean isCore(Bundle b) {
    return b.getBundleId() == 0 || b.getLocation().startsWith("reference:");
  }

  /**
   * A zip the framework and the verifier could read differently, or one over the caps, is refused
   * in every profile, before its manifest is even read: {@code malformed_plugin} / {@code
   * plugin_too_large}, receipted with bundle {@code unknown}.
   */
  private void refuseMalformed(
      String action, byte[] bytes, String actor, Verdict verdict, String source)
      throws PluginException {
    if (!verdict.trust().structural()) {
      return;
    }
    lifecycle.refused(action, null, bytes, actor, verdict.trust().wire(), verdict, source);
    LOG.warn("plugin {} refused ({}): {}", action, verdict.trust().code(), verdict.detail());
    throw new PluginException(verdict.trust().code(), OneLine.of(verdict.detail(), MAX_DETAIL));
  }

  /**
   * The verdict on uploaded bytes. In the strict profile anything but {@code trusted} is refused
   * and receipted; otherwise it goes ahead with a warning.
   */
  private void checkTrust(
      String action,
      String[] nameVersion,
      byte[] bytes,
      Verdict verdict,
      String actor,
      String source)
      throws PluginException {
    if (verdict.trusted()) {
      return;
    }
    if (gate.strict()) {
      lifecycle.refused(action, nameVersion, bytes, actor, verdict.trust().wire(), verdict, source);
      LOG.warn(
          "plugin {} {} refused ({}): {}",
          nameVersion[0],
          action,
          verdict.trust().wire(),
          verdict.detail());
      throw untrusted(nameVersion[0], verdict);
    }
    LOG.warn(
        "plugin {} is {}: allowed in the {} profile, refused in ga",
        nameVersion[0],
        verdict.trust().wire(),
        context.getProperty("briefcase.profile.mode"));
  }

  /**
   * Right after the framework installed (or updated) a bundle from verified bytes: its own view
   * must be the verified one — the same symbolic name, version and manifest bytes, and for a
   * trusted jar the same entries with the same content ({@link PluginTrust#confirmInstalled}).
   * Otherwise the bundle is uninstalled at once, before it can start, and the change is refused and
   * receipted as {@code malformed_plugin}, in every profile.
   */
  private void refuseOtherView(
      String action,
      Bundle bundle,
      byte[] bytes,
      String[] nameVersion,
      Verdict verdict,
      String actor,
      String source)
      throws PluginException {
    String problem = InstalledView.otherView(bundle, bytes, nameVersion, verdict);
    if (problem == null) {
      return;
    }
    gate.forget(bundle.getBundleId());
    try {
      bundle.uninstall();
    } catch (BundleException | IllegalStateException e) {
      LOG.warn("could not uninstall {} after refusing it", nameVersion[0], e);
    }
    if ("update".equals(action)) {
      shelve(s -> s.remove(nameVersion[0]));
    }
    Verdict refused = Verdict.of(Trust.MALFORMED, problem);
    lifecycle.refused(action, nameVersion, bytes, actor, refused.trust().wire(), refused, source);
    LOG.warn(
        "plugin {} {} refused ({}): {}", nameVersion[0], action, refused.trust().code(), problem);
    throw new PluginException(refused.trust().code(), OneLine.of(problem, MAX_DETAIL));
  }

  private static PluginException untrusted(String name, Verdict verdict) {
    return new PluginException(
        verdict.trust().code(),
        name
            + " is "
            + verdict.trust().wire()
            + " ("
            + OneLine.of(verdict.detail(), MAX_DETAIL)
            + "); the strict profile runs only bundles signed by a trusted vendor");
  }

  /**
   * Puts a plugin after the kernel in start order, so after a restart the trust gate is in place
   * before the plugin is started again; never above the framework's level, or it would not start.
   */
  private void afterTheKernel(Bundle bundle) {
    try {
      int kernel = context.getBundle().adapt(BundleStartLevel.class).getStartLevel();
      int framework = context.getBundle(0).adapt(FrameworkStartLevel.class).getStartLevel();
      bundle
          .adapt(BundleStartLevel.class)
          .setStartLevel(Math.max(kernel, Math.min(kernel + 1, framework)));
    } catch (RuntimeException e) {
      LOG.debug("start level of {} left as is", bundle.getSymbolicName(), e);
    }
  }

  private static byte[] read(InputStream jar) throws PluginException {
    try (jar) {
      byte[] bytes = jar.readNBytes(MAX_BUNDLE_BYTES + 1);
      if (bytes.length > MAX_BUNDLE_BYTES) {
        throw new PluginException(PluginException.INVALID_BUNDLE, "bundle exceeds 64 MiB");
      }
      return bytes;
    } catch (IOException e) {
      throw new PluginException(PluginException.INVALID_BUNDLE, "bundle could not be read");
    }
  }

  /** Symbolic name and version from the manifest, or {@code invalid_bundle}. */
  private String[] nameAndVersion(byte[] bytes) throws PluginException {
    return nameAndVersion(bytes, null);
  }

  private String[] nameAndVersion(byte[] bytes, String source) throws PluginException {
    Manifest manifest;
    try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(bytes))) {
      manifest = in.getManifest();
    } catch (IOException e) {
      manifest = null;
    }
    String name =
        manifest == null
            ? null
            : manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
    if (name == null || name.isBlank()) {
      lifecycle.refused("install", null, bytes, "unknown", "invalid_bundle", null, source);
      throw new PluginException(
          PluginException.INVALID_BUNDLE, "not an OSGi bundle: no Bundle-SymbolicName");
    }
    String version = manifest.getMainAttributes().getValue(Constants.BUNDLE_VERSION);
    return new String[] {name.split(";")[0].trim(), version == null ? "0.0.0" : version.trim()};
  }
}
