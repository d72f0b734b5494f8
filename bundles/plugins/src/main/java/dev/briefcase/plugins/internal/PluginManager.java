package dev.briefcase.plugins.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.Version;
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
 * {@link TrustGate} and receipted as refused.
 */
@Component(service = PluginService.class, immediate = true)
public final class PluginManager implements PluginService {
  private static final Logger LOG = LoggerFactory.getLogger(PluginManager.class);
  static final String LOCATION_PREFIX = "briefcase-plugin:";
  static final int MAX_BUNDLE_BYTES = 64 << 20;

  /** Service interfaces that make a bundle a plugin of a family, and the property naming it. */
  private static final Map<String, String[]> FAMILIES =
      Map.of(
          "dev.briefcase.connector.Connector", new String[] {"connector", "connector.id"},
          "dev.briefcase.signer.Signer", new String[] {"signer", "signer.id"},
          "dev.briefcase.payment.PaymentRail", new String[] {"rail", "rail.scheme"},
          "dev.briefcase.policy.PolicyCompiler", new String[] {"compiler", "compiler.id"},
          "dev.briefcase.secrets.SecretStore", new String[] {"secrets", "secrets.backend"},
          "dev.briefcase.risk.RiskAssessor", new String[] {"risk", "risk.id"});

  private final BundleContext context;
  private final ReceiptLog receipts;
  private final TrustGate gate;
  private final SynchronousBundleListener others = this::bundleChanged;
  private final PluginShelf shelf;

  @Activate
  public PluginManager(
      BundleContext context, @Reference ReceiptLog receipts, @Reference TrustGate gate) {
    this.context = context;
    this.receipts = receipts;
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
          "storage_failed",
          "the plugin could not be kept for restarts: " + oneLine(e.getMessage()));
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
      out.add(info(b));
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
        refuse("install", nameVersion, bytes, actor, "already_installed", verdict, source);
        throw new PluginException(
            "already_installed", nameVersion[0] + " is installed; update it instead");
      }
    }
    Bundle bundle;
    try {
      bundle =
          context.installBundle(LOCATION_PREFIX + nameVersion[0], new ByteArrayInputStream(bytes));
    } catch (BundleException e) {
      refuse("install", nameVersion, bytes, actor, "invalid_bundle", verdict, source);
      throw new PluginException("invalid_bundle", oneLine(e.getMessage()));
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
        refuse("install", nameVersion, bytes, actor, installed.trust().wire(), installed, source);
        throw untrusted(nameVersion[0], installed);
      }
      refuse("install", nameVersion, bytes, actor, "start_failed", verdict, source);
      throw new PluginException("start_failed", oneLine(e.getMessage()));
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
      refuse("install", nameVersion, bytes, actor, e.code(), verdict, source);
      throw e;
    }
    receipt("install", nameVersion[0], nameVersion[1], sha256(bytes), actor, null, verdict, source);
    LOG.info(
        "plugin {} {} installed by {} ({})",
        nameVersion[0],
        nameVersion[1],
        actor,
        verdict.trust().wire());
    return info(bundle);
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
      refuse("update", nameVersion, bytes, actor, "name_mismatch", null);
      throw new PluginException(
          "name_mismatch",
          "the new bundle is " + nameVersion[0] + ", not " + bundle.getSymbolicName());
    }
    checkTrust("update", nameVersion, bytes, verdict, actor, null);
    // the update resolves the new revision at once: the gate must know its verdict first
    Verdict previous = gate.remember(bundleId, verdict);
    try {
      bundle.update(new ByteArrayInputStream(bytes));
    } catch (BundleException e) {
      gate.remember(bundleId, previous);
      refuse("update", nameVersion, bytes, actor, "start_failed", verdict);
      throw new PluginException("start_failed", oneLine(e.getMessage()));
    }
    refuseOtherView("update", bundle, bytes, nameVersion, verdict, actor, null);
    shelve(s -> s.put(nameVersion[0], bytes));
    receipt("update", nameVersion[0], nameVersion[1], sha256(bytes), actor, null, verdict);
    return info(bundle);
  }

  @Override
  public synchronized PluginInfo start(long bundleId, String actor) throws PluginException {
    Bundle bundle = plugin(bundleId);
    Verdict verdict = gate.verdict(bundle);
    if (gate.strict() && !verdict.trusted()) {
      receipt(
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
      throw new PluginException("start_failed", oneLine(e.getMessage()));
    }
    shelve(s -> s.markStopped(bundle.getSymbolicName(), false));
    receipt(
        "start",
        bundle.getSymbolicName(),
        bundle.getVersion().toString(),
        null,
        actor,
        null,
        verdict);
    return info(bundle);
  }

  @Override
  public synchronized PluginInfo stop(long bundleId, String actor) throws PluginException {
    Bundle bundle = plugin(bundleId);
    try {
      bundle.stop();
    } catch (BundleException e) {
      throw new PluginException("stop_failed", oneLine(e.getMessage()));
    }
    shelve(s -> s.markStopped(bundle.getSymbolicName(), true));
    receipt(
        "stop",
        bundle.getSymbolicName(),
        bundle.getVersion().toString(),
        null,
        actor,
        null,
        gate.known(bundle));
    return info(bundle);
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
      throw new PluginException("stop_failed", oneLine(e.getMessage()));
    }
    gate.forget(bundleId);
    shelve(s -> s.remove(name));
    receipt("uninstall", name, version, null, actor, null, verdict);
  }

  /** A non-core bundle by id. */
  private Bundle plugin(long bundleId) throws PluginException {
    Bundle bundle = context.getBundle(bundleId);
    if (bundle == null) {
      throw new PluginException("not_found", "no bundle with id " + bundleId);
    }
    if (isCore(bundle)) {
      throw new PluginException(
          "core_bundle", bundle.getSymbolicName() + " is part of the core deployment");
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
        sha = sha256(Files.readAllBytes(Path.of(URI.create(location))));
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
      receipt(action, b.getSymbolicName(), b.getVersion().toString(), sha, actor, reason, verdict);
    } catch (RuntimeException e) {
      LOG.error("could not receipt {} of {}", action, b.getSymbolicName(), e);
    }
  }

  static boolean isCore(Bundle b) {
    return b.getBundleId() == 0 || b.getLocation().startsWith("reference:");
  }

  private PluginInfo info(Bundle b) {
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
        isCore(b),
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
    refuse(action, null, bytes, actor, verdict.trust().wire(), verdict, source);
    LOG.warn("plugin {} refused ({}): {}", action, verdict.trust().code(), verdict.detail());
    throw new PluginException(verdict.trust().code(), oneLine(verdict.detail()));
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
      refuse(action, nameVersion, bytes, actor, verdict.trust().wire(), verdict, source);
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
    String problem = otherView(bundle, bytes, nameVersion, verdict);
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
    refuse(action, nameVersion, bytes, actor, refused.trust().wire(), refused, source);
    LOG.warn(
        "plugin {} {} refused ({}): {}", nameVersion[0], action, refused.trust().code(), problem);
    throw new PluginException(refused.trust().code(), oneLine(problem));
  }

  /** How the installed bundle differs from the verified bytes, or {@code null}. */
  static String otherView(Bundle bundle, byte[] bytes, String[] nameVersion, Verdict verdict) {
    if (!nameVersion[0].equals(bundle.getSymbolicName())) {
      return "the framework installed another symbolic name than the verified one";
    }
    try {
      if (!Version.parseVersion(nameVersion[1]).equals(bundle.getVersion())) {
        return "the framework installed another version than the verified one";
      }
    } catch (IllegalArgumentException e) {
      return "the verified version is not a valid OSGi version";
    }
    byte[] verified = manifestBytes(bytes);
    byte[] installed;
    try {
      URL url = bundle.getEntry(JarFile.MANIFEST_NAME);
      installed = url == null ? null : readCapped(url);
    } catch (IOException | RuntimeException e) {
      installed = null;
    }
    if (verified == null || installed == null || !Arrays.equals(verified, installed)) {
      return "the framework installed another manifest than the verified one";
    }
    Verdict confirmed = PluginTrust.confirmInstalled(bundle, verdict);
    if (confirmed != verdict) {
      return confirmed.detail();
    }
    return null;
  }

  /** The manifest's bytes in the verified zip (the layout check makes its one view certain). */
  private static byte[] manifestBytes(byte[] jar) {
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (JarFile.MANIFEST_NAME.equals(e.getName())) {
          return in.readNBytes(MAX_MANIFEST + 1);
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  private static final int MAX_MANIFEST = 4 << 20;

  private static byte[] readCapped(URL url) throws IOException {
    try (InputStream in = url.openStream()) {
      return in.readNBytes(MAX_MANIFEST + 1);
    }
  }

  private static PluginException untrusted(String name, Verdict verdict) {
    return new PluginException(
        verdict.trust().code(),
        name
            + " is "
            + verdict.trust().wire()
            + " ("
            + oneLine(verdict.detail())
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

  private void refuse(
      String action,
      String[] nameVersion,
      byte[] bytes,
      String actor,
      String why,
      Verdict verdict) {
    refuse(action, nameVersion, bytes, actor, why, verdict, null);
  }

  private void refuse(
      String action,
      String[] nameVersion,
      byte[] bytes,
      String actor,
      String why,
      Verdict verdict,
      String source) {
    receipt(
        "refused_" + action,
        nameVersion == null ? "unknown" : nameVersion[0],
        nameVersion == null ? "unknown" : nameVersion[1],
        sha256(bytes),
        actor,
        why,
        verdict,
        source);
  }

  private void receipt(
      String action,
      String name,
      String version,
      String sha256,
      String actor,
      String reason,
      Verdict verdict) {
    receipt(action, name, version, sha256, actor, reason, verdict, null);
  }

  /** {@code source}: where the bytes came from ({@code file:} or {@code https:} URL), if known. */
  private void receipt(
      String action,
      String name,
      String version,
      String sha256,
      String actor,
      String reason,
      Verdict verdict,
      String source) {
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("type", "plugin_lifecycle");
    e.put("action", action);
    e.put("bundle", name == null ? "unknown" : name);
    e.put("version", version);
    if (sha256 != null) {
      e.put("sha256_hex", sha256);
    }
    e.put("actor", actor);
    if (source != null) {
      e.put("source", source);
    }
    if (reason != null) {
      e.put("reason", reason);
    }
    if (verdict != null) {
      e.put("trust", verdict.trust().wire());
      if (verdict.signer() == null) {
        e.putNull("signer");
      } else {
        e.put("signer", verdict.signer());
        e.put("signer_sha256", verdict.fingerprint());
      }
    }
    e.put("ts", Instant.now().toString());
    receipts.append(e);
  }

  private static byte[] read(InputStream jar) throws PluginException {
    try (jar) {
      byte[] bytes = jar.readNBytes(MAX_BUNDLE_BYTES + 1);
      if (bytes.length > MAX_BUNDLE_BYTES) {
        throw new PluginException("invalid_bundle", "bundle exceeds 64 MiB");
      }
      return bytes;
    } catch (IOException e) {
      throw new PluginException("invalid_bundle", "bundle could not be read");
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
      refuse("install", null, bytes, "unknown", "invalid_bundle", null, source);
      throw new PluginException("invalid_bundle", "not an OSGi bundle: no Bundle-SymbolicName");
    }
    String version = manifest.getMainAttributes().getValue(Constants.BUNDLE_VERSION);
    return new String[] {name.split(";")[0].trim(), version == null ? "0.0.0" : version.trim()};
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String oneLine(String s) {
    String line = s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ").strip();
    return line.length() <= 200 ? line : line.substring(0, 200);
  }
}
