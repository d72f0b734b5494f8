package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.plugins.PluginException;
import dev.briefcase.plugins.PluginInfo;
import dev.briefcase.plugins.PluginService;
import dev.briefcase.receipts.ReceiptLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
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
 * {@code plugin_lifecycle} receipt.
 */
@Component(service = PluginService.class)
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
  private final SynchronousBundleListener others = this::bundleChanged;

  @Activate
  public PluginManager(BundleContext context, @Reference ReceiptLog receipts) {
    this.context = context;
    this.receipts = receipts;
    context.addBundleListener(others);
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
  public synchronized PluginInfo install(InputStream jar, String actor) throws PluginException {
    byte[] bytes = read(jar);
    String[] nameVersion = nameAndVersion(bytes);
    for (Bundle b : context.getBundles()) {
      if (nameVersion[0].equals(b.getSymbolicName())) {
        refuse("install", nameVersion, bytes, actor, "already_installed");
        throw new PluginException(
            "already_installed", nameVersion[0] + " is installed; update it instead");
      }
    }
    Bundle bundle;
    try {
      bundle =
          context.installBundle(LOCATION_PREFIX + nameVersion[0], new ByteArrayInputStream(bytes));
    } catch (BundleException e) {
      refuse("install", nameVersion, bytes, actor, "invalid_bundle");
      throw new PluginException("invalid_bundle", oneLine(e.getMessage()));
    }
    try {
      bundle.start();
    } catch (BundleException e) {
      try {
        bundle.uninstall();
      } catch (BundleException ignored) {
        // it never started; the framework drops it on refresh
      }
      refuse("install", nameVersion, bytes, actor, "start_failed");
      throw new PluginException("start_failed", oneLine(e.getMessage()));
    }
    receipt("install", nameVersion[0], nameVersion[1], sha256(bytes), actor, null);
    LOG.info("plugin {} {} installed by {}", nameVersion[0], nameVersion[1], actor);
    return info(bundle);
  }

  @Override
  public synchronized PluginInfo update(long bundleId, InputStream jar, String actor)
      throws PluginException {
    Bundle bundle = plugin(bundleId);
    byte[] bytes = read(jar);
    String[] nameVersion = nameAndVersion(bytes);
    if (!nameVersion[0].equals(bundle.getSymbolicName())) {
      refuse("update", nameVersion, bytes, actor, "name_mismatch");
      throw new PluginException(
          "name_mismatch",
          "the new bundle is " + nameVersion[0] + ", not " + bundle.getSymbolicName());
    }
    try {
      bundle.update(new ByteArrayInputStream(bytes));
    } catch (BundleException e) {
      refuse("update", nameVersion, bytes, actor, "start_failed");
      throw new PluginException("start_failed", oneLine(e.getMessage()));
    }
    receipt("update", nameVersion[0], nameVersion[1], sha256(bytes), actor, null);
    return info(bundle);
  }

  @Override
  public synchronized PluginInfo start(long bundleId, String actor) throws PluginException {
    Bundle bundle = plugin(bundleId);
    try {
      bundle.start();
    } catch (BundleException e) {
      throw new PluginException("start_failed", oneLine(e.getMessage()));
    }
    receipt("start", bundle.getSymbolicName(), bundle.getVersion().toString(), null, actor, null);
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
    receipt("stop", bundle.getSymbolicName(), bundle.getVersion().toString(), null, actor, null);
    return info(bundle);
  }

  @Override
  public synchronized void uninstall(long bundleId, String actor) throws PluginException {
    Bundle bundle = plugin(bundleId);
    String name = bundle.getSymbolicName();
    String version = bundle.getVersion().toString();
    try {
      bundle.uninstall();
    } catch (BundleException e) {
      throw new PluginException("stop_failed", oneLine(e.getMessage()));
    }
    receipt("uninstall", name, version, null, actor, null);
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
      receipt(action, b.getSymbolicName(), b.getVersion().toString(), sha, actor, null);
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

  private void refuse(String action, String[] nameVersion, byte[] bytes, String actor, String why) {
    receipt(
        "refused_" + action,
        nameVersion == null ? "unknown" : nameVersion[0],
        nameVersion == null ? "unknown" : nameVersion[1],
        sha256(bytes),
        actor,
        why);
  }

  private void receipt(
      String action, String name, String version, String sha256, String actor, String reason) {
    ObjectNode e = CanonicalJson.MAPPER.createObjectNode();
    e.put("type", "plugin_lifecycle");
    e.put("action", action);
    e.put("bundle", name == null ? "unknown" : name);
    e.put("version", version);
    if (sha256 != null) {
      e.put("sha256_hex", sha256);
    }
    e.put("actor", actor);
    if (reason != null) {
      e.put("reason", reason);
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
      refuse("install", null, bytes, "unknown", "invalid_bundle");
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
