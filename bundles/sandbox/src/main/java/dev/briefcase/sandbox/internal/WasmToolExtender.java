package dev.briefcase.sandbox.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.edge.OneLine;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.files.ProtectedPaths;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extender that turns WASM tool bundles into tools. A bundle whose manifest carries {@value
 * #HEADER} (a comma-separated list of JSON descriptor entries, see {@link WasmToolDescriptor})
 * contributes, while it is active, one {@link Connector} service with {@code connector.id =
 * wasm:<symbolic name>} and the properties {@link Connector#OWNER_BUNDLE}, {@code wasm.bundle.id},
 * {@code wasm.bundle.symbolic_name}, {@code wasm.bundle.version} and {@code wasm.tools}.
 *
 * <p>Hot swap: the service is registered by this extender, not by the contributing bundle, so
 * updating the bundle does not unregister it in the middle of the update. When the new revision
 * starts, its connector is registered first and the old one unregistered after, so the kernel
 * always finds the tool; calls that resolved the old connector finish on the old module. A bundle
 * that is stopped (and not restarted within {@link Config#stop_grace_millis()}) or uninstalled has
 * its service unregistered and its connector closed: calls still holding it, and later calls to its
 * tools (the kernel follows the owner bundle), fail with {@code backend_unavailable}.
 *
 * <p>A bundle whose descriptors or modules are invalid contributes nothing (logged at WARN, one
 * line). Modules run with the limits of {@link Config}; {@code kv_get}/{@code kv_put} persist in
 * the kernel store per tool id.
 */
@Component(immediate = true, configurationPid = WasmToolExtender.PID)
@Designate(ocd = WasmToolExtender.Config.class)
public final class WasmToolExtender {
  static final String PID = "dev.briefcase.sandbox";
  private static final Logger LOG = LoggerFactory.getLogger(WasmToolExtender.class);

  /** The manifest header that makes a bundle a WASM tool bundle. */
  public static final String HEADER = "Briefcase-Wasm-Tools";

  /**
   * Framework property that turns on loopback dev mode (env {@code
   * BRIEFCASE_SANDBOX_DEV_LOOPBACK}).
   */
  static final String DEV_LOOPBACK_PROPERTY = "briefcase.sandbox.dev.loopback";

  private static final int MAX_DESCRIPTOR_BYTES = 256 << 10;
  private static final int MAX_MODULE_BYTES = 32 << 20;
  private static final int MAX_TOOLS = 64;

  @ObjectClassDefinition(
      name = "Briefcase WASM tools",
      description = "Limits of the WebAssembly tools that bundles contribute (SPEC §11).")
  public @interface Config {
    @AttributeDefinition(name = "Fuel", description = "Instructions one call may execute.")
    long fuel() default 50_000_000L;

    @AttributeDefinition(
        name = "Memory pages",
        description = "Linear memory cap in 64 KiB pages (256 = 16 MiB).")
    int max_memory_pages() default 256;

    @AttributeDefinition(
        name = "Wall clock",
        description = "Hard wall clock of one call in milliseconds, at most 10000.")
    long wall_clock_millis() default 10_000L;

    @AttributeDefinition(
        name = "Warm instances",
        description = "Instances kept per tool, reset between calls (0 = a fresh one per call).")
    int pool_size() default 4;

    @AttributeDefinition(
        name = "Loopback dev mode",
        description =
            "Let http_request use http and loopback addresses for loopback hosts. Off by default;"
                + " refused in the strict (ga) profile.")
    boolean dev_loopback() default false;

    @AttributeDefinition(
        name = "Stop grace",
        description =
            "Milliseconds a stopped bundle's tools stay registered, so an update (stop, replace,"
                + " start) never shows a gap.")
    long stop_grace_millis() default 2_000L;
  }

  private final BundleContext context;
  private final EgressClient egress;
  private final Store store;
  private final ProtectedPaths protectedPaths;
  private final SandboxLimits limits;
  private final long graceMillis;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<Long, Entry> entries = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final BundleTracker<Long> tracker;

  /** One contributing bundle's live registration. */
  private static final class Entry {
    ServiceRegistration<Connector> registration;
    WasmConnector connector;
    ScheduledFuture<?> pendingRemoval;
  }

  /**
   * Whether WASM tools may reach loopback hosts: only when asked for, and never in the strict
   * profile (however its name is spelled), where the request is refused and logged.
   */
  static boolean loopbackDevMode(boolean requested, String profileMode) {
    if (requested && ProfileMode.isStrict(profileMode)) {
      LOG.warn("WASM loopback dev mode is refused in the strict (ga) profile; it stays off");
      return false;
    }
    return requested;
  }

  @Activate
  public WasmToolExtender(
      BundleContext context,
      @Reference EgressClient egress,
      @Reference Store store,
      @Reference ProtectedPaths protectedPaths,
      Config config) {
    this.context = context;
    this.egress = egress;
    this.store = store;
    this.protectedPaths = protectedPaths;
    boolean dev =
        loopbackDevMode(
            config.dev_loopback() || truthy(context.getProperty(DEV_LOOPBACK_PROPERTY)),
            context.getProperty(ProfileMode.PROPERTY));
    this.limits =
        new SandboxLimits(
            config.max_memory_pages(),
            config.fuel(),
            Duration.ofMillis(Math.max(1, Math.min(config.wall_clock_millis(), 10_000L))),
            dev,
            Math.max(0, config.pool_size()));
    this.graceMillis = Math.max(0, config.stop_grace_millis());
    store.migrate(StoreKv.OWNER, StoreKv.MIGRATIONS);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "briefcase-wasm-extender");
              t.setDaemon(true);
              return t;
            });
    this.tracker =
        new BundleTracker<>(
            context,
            Bundle.INSTALLED | Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING,
            new Customizer());
    tracker.open();
    LOG.info(
        "WASM tool extender active (fuel {}, {} pages, pool {}, dev loopback {})",
        limits.fuel(),
        limits.maxMemoryPages(),
        limits.poolSize(),
        dev);
  }

  @Deactivate
  void deactivate() {
    tracker.close();
    timer.shutdownNow();
    for (Long id : List.copyOf(entries.keySet())) {
      removeNow(id);
    }
    LOG.info("WASM tool extender stopped");
  }

  private final class Customizer implements BundleTrackerCustomizer<Long> {
    @Override
    public Long addingBundle(Bundle bundle, BundleEvent event) {
      if (bundle.getBundleId() == 0 || bundle.getBundleId() == context.getBundle().getBundleId()) {
        return null;
      }
      changed(bundle, event);
      return bundle.getBundleId();
    }

    @Override
    public void modifiedBundle(Bundle bundle, BundleEvent event, Long id) {
      changed(bundle, event);
    }

    @Override
    public void removedBundle(Bundle bundle, BundleEvent event, Long id) {
      removeNow(bundle.getBundleId());
    }
  }

  private synchronized void changed(Bundle bundle, BundleEvent event) {
    long id = bundle.getBundleId();
    if (bundle.getState() == Bundle.ACTIVE) {
      activate(bundle);
      return;
    }
    Entry e = entries.get(id);
    if (e == null || event == null) {
      return;
    }
    int type = event.getType();
    if (type == BundleEvent.STOPPING
        || type == BundleEvent.STOPPED
        || type == BundleEvent.UPDATED
        || type == BundleEvent.UNRESOLVED) {
      // Maybe an update (stop, replace, start): keep serving for the grace period.
      if (e.pendingRemoval == null) {
        e.pendingRemoval =
            timer.schedule(() -> removeIfStillStopped(id), graceMillis, TimeUnit.MILLISECONDS);
      }
    }
  }

  private synchronized void removeIfStillStopped(long id) {
    Bundle b = context.getBundle(id);
    if (b == null || (b.getState() & (Bundle.ACTIVE | Bundle.STARTING)) == 0) {
      removeNow(id);
    }
  }

  private void activate(Bundle bundle) {
    long id = bundle.getBundleId();
    Entry old = entries.get(id);
    if (old != null && old.pendingRemoval != null) {
      old.pendingRemoval.cancel(false);
      old.pendingRemoval = null;
    }
    String header = bundle.getHeaders("").get(HEADER);
    if (header == null) {
      if (old != null) {
        removeNow(id); // a new revision without tools
      }
      return;
    }
    WasmConnector connector;
    try {
      connector = load(bundle, header);
    } catch (IOException | IllegalArgumentException | ToolException e) {
      LOG.warn(
          "bundle {} ({}) contributes no WASM tools: {}",
          bundle.getSymbolicName(),
          id,
          OneLine.of(e.getMessage(), 200, "invalid"));
      if (old != null) {
        removeNow(id);
      }
      return;
    }
    if (old != null && old.connector != null && sameRevision(old, bundle)) {
      connector.close();
      return; // already serving this revision (a second STARTED for the same state)
    }
    Dictionary<String, Object> props = new Hashtable<>();
    String bsn = bundle.getSymbolicName();
    props.put(Connector.ID, "wasm:" + bsn);
    props.put(Connector.OWNER_BUNDLE, id);
    props.put("wasm.bundle.id", id);
    props.put("wasm.bundle.symbolic_name", bsn);
    props.put("wasm.bundle.version", bundle.getVersion().toString());
    props.put("wasm.bundle.last_modified", bundle.getLastModified());
    props.put("wasm.tools", connector.tools().stream().map(t -> t.id()).toArray(String[]::new));
    // New first, old after: the kernel's table always has the tool.
    ServiceRegistration<Connector> reg = context.registerService(Connector.class, connector, props);
    Entry next = new Entry();
    next.registration = reg;
    next.connector = connector;
    entries.put(id, next);
    if (old != null && old.registration != null) {
      unregisterQuietly(old.registration);
      // Not closed: calls that resolved the old revision finish on it.
    }
    LOG.info(
        "bundle {} {} contributes WASM tools {}",
        bsn,
        bundle.getVersion(),
        props.get("wasm.tools") instanceof String[] a ? String.join(",", a) : "");
  }

  private static boolean sameRevision(Entry old, Bundle bundle) {
    Object lm = old.registration.getReference().getProperty("wasm.bundle.last_modified");
    return lm instanceof Long l && l == bundle.getLastModified();
  }

  private synchronized void removeNow(long id) {
    Entry e = entries.remove(id);
    if (e == null) {
      return;
    }
    if (e.pendingRemoval != null) {
      e.pendingRemoval.cancel(false);
    }
    if (e.registration != null) {
      unregisterQuietly(e.registration);
    }
    if (e.connector != null) {
      e.connector.close();
      LOG.info("WASM tools of {} removed", e.connector.bundleName());
    }
  }

  private WasmConnector load(Bundle bundle, String header) throws IOException, ToolException {
    Map<String, WasmConnector.Tool> tools = new LinkedHashMap<>();
    String bsn = bundle.getSymbolicName();
    for (String raw : header.split(",")) {
      String path = raw.strip();
      if (path.isEmpty()) {
        continue;
      }
      if (tools.size() >= MAX_TOOLS) {
        throw new IllegalArgumentException("more than " + MAX_TOOLS + " tools");
      }
      JsonNode d = json.readTree(entry(bundle, path, MAX_DESCRIPTOR_BYTES));
      WasmToolDescriptor descriptor = WasmToolDescriptor.parse(d);
      if (tools.containsKey(descriptor.spec().id())) {
        throw new IllegalArgumentException("tool id " + descriptor.spec().id() + " twice");
      }
      byte[] wasm = entry(bundle, descriptor.modulePath(), MAX_MODULE_BYTES);
      WasmTool tool =
          new WasmTool(
              wasm,
              descriptor.declared(),
              limits,
              egress,
              new StoreKv(store, descriptor.spec().id(), KvStore.DEFAULT_QUOTA),
              protectedPaths::paths);
      tools.put(descriptor.spec().id(), new WasmConnector.Tool(descriptor, tool));
    }
    if (tools.isEmpty()) {
      throw new IllegalArgumentException(HEADER + " names no descriptor");
    }
    return new WasmConnector(bsn, tools);
  }

  /** A bundle entry (never from an attached fragment or the class path), size-capped. */
  private static byte[] entry(Bundle bundle, String path, int max) throws IOException {
    if (path.contains("..") || path.startsWith("/")) {
      throw new IllegalArgumentException("entry must be relative: " + path);
    }
    URL url = bundle.getEntry(path);
    if (url == null) {
      throw new IllegalArgumentException("no entry " + path);
    }
    try (InputStream in = url.openStream()) {
      byte[] data = in.readNBytes(max + 1);
      if (data.length > max) {
        throw new IllegalArgumentException("entry too large: " + path);
      }
      return data;
    }
  }

  private static void unregisterQuietly(ServiceRegistration<?> reg) {
    try {
      reg.unregister();
    } catch (IllegalStateException e) {
      // already gone with its bundle
    }
  }

  private static boolean truthy(String v) {
    return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
  }
}
