package dev.briefcase.kernel.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.plugindirectory.DirectoryTimings;
import dev.briefcase.plugindirectory.Plugin;
import dev.briefcase.plugindirectory.PluginDirectory;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.tools.ToolCatalogListener;
import dev.briefcase.tools.ToolSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks every bound {@link Connector} and hands each call a lease on the connector that serves its
 * tool. Leases, drain and swap grace are the {@link PluginDirectory}'s (connectors are one plugin
 * family); this class decides which connector serves each tool id — the ownership rule below — and
 * keeps the tool catalogue. The routing is rebuilt whenever a connector comes or goes, so a lookup
 * is one map read and a call never sees half of a change.
 *
 * <p>Tool ids are owned. The bundle (by bundle id, not by symbolic name) whose connector offered an
 * id first owns it for as long as that bundle stays installed; a connector of another bundle that
 * offers the same id — whatever its service ranking, and even when it carries the owner's symbolic
 * name — is refused for that id: the tool is not offered from it, a WARN is logged and a {@code
 * plugin_lifecycle} receipt with action {@code refused_tool} and reason {@value #TOOL_ID_CONFLICT}
 * is written (once per connector and id). Among the owner's own connectors (an update registers the
 * new revision next to the draining old one) the higher service ranking wins, then the older
 * service. Manifests are keyed by owner and tool ({@link ResolvedTool#owner()}), so a grant never
 * follows a tool id to another bundle.
 *
 * <p>Ownership outlives a restart: each claim is stored by symbolic name ({@link ToolOwnerBook}).
 * After a restart an id stays with its stored owner's name whichever bundle registers first; the
 * first connector of the bundle carrying that name binds the ownership to that bundle's identity
 * again, and a connector of any other bundle is refused as above. Only the owner's uninstall (the
 * plugin service, File Install, a console) releases the id and deletes the stored row.
 *
 * <p>Drain and swap (the directory's): a call holds a {@link Lease} from resolution until its
 * result is in. DS calls {@link #unbindConnector} before it deactivates the connector's component;
 * unbind takes the connector out of service (the next call resolves to the replacement, if any) and
 * waits at most the drain timeout for the calls already running on it. A tool whose connector left
 * without a replacement ends with {@code backend_unavailable} instead of {@code unknown_tool},
 * after waiting at most the swap grace for a replacement (at once when the owner was uninstalled).
 *
 * <p>Thread-safe. The timings are the framework-wide plugin timings ({@link DirectoryTimings}).
 */
@Component(service = ToolRegistry.class)
public final class ToolRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ToolRegistry.class);

  /** The reason of the receipt written when a bundle offers a tool id another bundle owns. */
  static final String TOOL_ID_CONFLICT = "tool_id_conflict";

  private final PluginDirectory<Slot> connectors;
  private final Map<ServiceReference<Connector>, Plugin<Slot>> plugins = new ConcurrentHashMap<>();
  private final List<ToolCatalogListener> listeners = new CopyOnWriteArrayList<>();
  private volatile Map<String, ResolvedTool> table = Map.of();
  // guarded by this: tool id → the bundle that owns it
  private final Map<String, Owner> owners = new HashMap<>();
  // what a routing found, told (receipts, listeners) by the thread that changed it, outside locks
  private final Queue<Conflict> untoldConflicts = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean catalogueChanged = new AtomicBoolean();
  private final ToolOwnerBook book;
  private volatile ReceiptLog receipts;
  private volatile BundleContext context;
  private volatile BundleListener uninstalls;

  /** A registry with the default plugin timings, ownership kept in memory only. */
  public ToolRegistry() {
    this(DirectoryTimings.DEFAULT, new ToolOwnerBook());
  }

  ToolRegistry(Duration drain, Duration grace) {
    this(
        new DirectoryTimings(drain, grace, DirectoryTimings.DEFAULT.stopGrace()),
        new ToolOwnerBook());
  }

  /**
   * A registry whose tool ids start owned as {@code book} stored them: before any connector binds,
   * so the first bundle to register after a restart cannot take an id.
   */
  ToolRegistry(DirectoryTimings timings, ToolOwnerBook book) {
    this.connectors = new PluginDirectory<>("connector", timings, this::route);
    this.book = book;
    for (Map.Entry<String, String> stored : book.load().entrySet()) {
      owners.put(stored.getKey(), new Owner(stored.getValue(), null));
    }
  }

  /** Activates with ownership from the store and the framework's plugin timings. */
  @Activate
  public ToolRegistry(BundleContext context, @Reference(name = "owners") ToolOwnerBook book) {
    this(DirectoryTimings.from(context), book);
    activate(context);
  }

  private void activate(BundleContext context) {
    // DS unbinds a connector while its bundle is still stopping; only the uninstalled event says
    // the owner is gone for good and its ids are free
    uninstalls =
        event -> {
          if (event.getType() == BundleEvent.UNINSTALLED) {
            bundleUninstalled(event.getBundle());
          }
        };
    context.addBundleListener(uninstalls);
    this.context = context;
  }

  @Deactivate
  void deactivate() {
    BundleContext c = context;
    if (c != null && uninstalls != null) {
      try {
        c.removeBundleListener(uninstalls);
      } catch (IllegalStateException e) {
        // the kernel bundle is stopping: its listeners go with it
      }
    }
  }

  /** Frees the tool ids an uninstalled bundle owned, so the routing is built again without it. */
  void bundleUninstalled(Bundle bundle) {
    boolean owned;
    synchronized (this) {
      owned = owners.values().stream().anyMatch(o -> o.bundle == bundle);
    }
    if (owned) {
      connectors.refresh();
      tellChanges();
    }
  }

  /** Where tool id conflicts are receipted; bound before activation. */
  @Reference
  void setReceipts(ReceiptLog receipts) {
    this.receipts = receipts;
  }

  @Reference(cardinality = MULTIPLE, policy = DYNAMIC, policyOption = GREEDY)
  void bindConnector(ServiceReference<Connector> ref, Connector connector) {
    Object id = ref.getProperty(Connector.ID);
    String connectorId = id == null ? "unnamed" : id.toString();
    Bundle bundle = owner(ref);
    Slot slot = new Slot(ref, connector, connectorId, bundle, ownerName(bundle, connectorId));
    Object ranking = ref.getProperty("service.ranking");
    Object serviceId = ref.getProperty("service.id");
    plugins.put(
        ref,
        connectors.bind(
            slot,
            connectorId,
            ranking instanceof Integer r ? r : 0,
            serviceId instanceof Long l ? l : Long.MAX_VALUE,
            () -> bundle != null && bundle.getState() == Bundle.UNINSTALLED));
    LOG.info("connector {} arrived", id);
    tellChanges();
  }

  /**
   * The name that owns the tool ids a connector offers: its bundle's symbolic name, or {@code
   * connector:<id>} for a connector without a bundle (tests).
   */
  static String ownerName(Bundle bundle, String connectorId) {
    String bsn = bundle == null ? null : bundle.getSymbolicName();
    return bsn != null ? bsn : "connector:" + connectorId;
  }

  /**
   * The bundle whose lifecycle decides the connector's: the registering bundle, or the bundle named
   * by {@link Connector#OWNER_BUNDLE} when an extender registered the connector on its behalf (so
   * uninstalling that bundle ends the swap grace at once, as for any other plugin).
   */
  private static Bundle owner(ServiceReference<Connector> ref) {
    Bundle registrar = ref.getBundle();
    Object owner = ref.getProperty(Connector.OWNER_BUNDLE);
    if (registrar == null || !(owner instanceof Number)) {
      return registrar;
    }
    BundleContext context = registrar.getBundleContext();
    Bundle named = context == null ? null : context.getBundle(((Number) owner).longValue());
    return named == null ? registrar : named;
  }

  /**
   * Takes the connector out of service: no new call is handed to it, and this returns once its
   * running calls are done (or the drain timeout passed). DS calls this before it deactivates the
   * connector's component, so the wait keeps the old component alive for its last calls.
   */
  void unbindConnector(ServiceReference<Connector> ref) {
    Plugin<Slot> plugin = plugins.remove(ref);
    if (plugin == null) {
      return;
    }
    connectors.withdraw(plugin);
    LOG.info("connector {} left", plugin.name());
    tellChanges();
    connectors.drain(plugin);
  }

  @Reference(cardinality = MULTIPLE, policy = DYNAMIC, policyOption = GREEDY)
  void bindListener(ToolCatalogListener listener) {
    listeners.add(listener);
  }

  void unbindListener(ToolCatalogListener listener) {
    listeners.remove(listener);
  }

  /** The tool with this id, or {@code null} when no bound connector has it. */
  ResolvedTool resolve(String toolId) {
    return table.get(toolId);
  }

  /**
   * A lease on the connector serving this tool, to be closed when the call is done. The lease is
   * {@link Lease#unknown() unknown} when no connector ever offered the tool since start, and {@link
   * Lease#unavailable() unavailable} when its connector left without a replacement.
   */
  Lease acquire(String toolId) {
    for (int attempt = 1; ; attempt++) {
      dev.briefcase.plugindirectory.Lease<Slot> lease = connectors.lease(toolId);
      if (lease.plugin() == null) {
        return new Lease(null, lease);
      }
      ResolvedTool tool = lease.service().offered.get(toolId);
      if (tool != null) {
        return new Lease(tool, lease);
      }
      // the connector stopped listing the tool in a routing newer than the one that leased it:
      // that routing no longer sends the tool here, so look again — a bounded number of times, so
      // a routing that never catches up costs the call (backend_unavailable), never the thread
      String leased = lease.plugin().name();
      lease.close();
      if (attempt >= MAX_REROUTES) {
        LOG.warn("tool {} stayed routed to {}, which no longer lists it", toolId, leased);
        return new Lease(null, dev.briefcase.plugindirectory.Lease.unavailable(leased));
      }
      Thread.yield();
    }
  }

  /** How often one call looks again when its connector stopped listing the tool meanwhile. */
  static final int MAX_REROUTES = 1000;

  /** The bundle symbolic name that owns this tool id, or {@code null} when nobody does. */
  synchronized String owner(String toolId) {
    Owner o = owners.get(toolId);
    return o == null ? null : o.name;
  }

  /** Every tool, sorted by id. */
  List<ToolSpec> tools() {
    List<ToolSpec> specs = new ArrayList<>();
    for (ResolvedTool t : table.values()) {
      specs.add(t.spec());
    }
    return specs;
  }

  /** Calls running on connectors right now (for tests and diagnostics). */
  int inFlight() {
    return connectors.inFlight();
  }

  /**
   * The directory's router: which connector serves each tool id, under the ownership rule. Runs
   * under the directory's lock; conflicts and catalogue changes are told afterwards ({@link
   * #tellChanges}).
   */
  private synchronized Map<String, Plugin<Slot>> route(List<Plugin<Slot>> bound) {
    List<Plugin<Slot>> ranked = new ArrayList<>(bound);
    // ascending by ranking, so a higher-ranked connector of the owner overwrites a lower one
    ranked.sort(Comparator.comparing(p -> p.service().ref));
    Map<String, List<ResolvedTool>> offers = new TreeMap<>();
    // published on the slots with the table, at the end: a lease never finds a listing newer
    // than the routing that led it there, unless that routing is being published right now
    Map<Slot, Map<String, ResolvedTool>> listings = new HashMap<>();
    for (Plugin<Slot> plugin : ranked) {
      Slot slot = plugin.service();
      List<ToolSpec> specs;
      try {
        specs = slot.connector.tools();
      } catch (RuntimeException ex) {
        LOG.warn(
            "connector {} failed to list its tools; its tools are not offered", slot.connectorId);
        listings.put(slot, Map.of());
        continue;
      }
      Map<String, ResolvedTool> offered = new HashMap<>();
      for (ToolSpec spec : specs) {
        ResolvedTool t =
            new ResolvedTool(spec, slot.connector, slot.connectorId, plugin, slot.owner);
        offered.put(spec.id(), t);
        offers.computeIfAbsent(spec.id(), k -> new ArrayList<>()).add(t);
      }
      listings.put(slot, offered);
    }
    // an uninstalled owner gives its ids back; a stopped or updating one keeps them
    for (var it = owners.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Owner> e = it.next();
      if (e.getValue().gone() && !offeredBy(offers, e)) {
        it.remove();
        book.release(e.getKey(), e.getValue().name);
      }
    }
    Map<String, ResolvedTool> next = new TreeMap<>();
    for (Map.Entry<String, List<ResolvedTool>> e : offers.entrySet()) {
      String toolId = e.getKey();
      Owner owner = owners.get(toolId);
      if (owner == null) {
        ResolvedTool first =
            e.getValue().stream().min(Comparator.comparingLong(t -> t.plugin().arrival())).get();
        owner = new Owner(first.owner(), first.slot().bundle);
        owners.put(toolId, owner);
        book.claim(toolId, owner.name);
      }
      ResolvedTool chosen = null;
      for (ResolvedTool t : e.getValue()) {
        if (owner.owns(t)) {
          owner.bind(t);
          chosen = t; // the last of the owner's is its highest-ranked
        } else if (t.slot().refused.add(toolId)) {
          untoldConflicts.add(new Conflict(toolId, t.slot(), owner.name));
        }
      }
      if (chosen != null) {
        next.put(toolId, chosen);
      }
    }
    Map<String, ResolvedTool> previous = table;
    if (!next.keySet().equals(previous.keySet()) || !sameServers(previous, next)) {
      catalogueChanged.set(true);
    }
    listings.forEach((slot, offered) -> slot.offered = offered);
    table = Collections.unmodifiableMap(next);
    Map<String, Plugin<Slot>> routes = new HashMap<>();
    next.forEach((id, t) -> routes.put(id, t.plugin()));
    return routes;
  }

  /** Receipts the conflicts and tells the listeners about a changed catalogue, outside locks. */
  private void tellChanges() {
    receipt();
    if (catalogueChanged.getAndSet(false)) {
      for (ToolCatalogListener l : listeners) {
        try {
          l.toolsChanged();
        } catch (RuntimeException ex) {
          LOG.warn("tool catalogue listener failed", ex);
        }
      }
    }
  }

  private static boolean offeredBy(
      Map<String, List<ResolvedTool>> offers, Map.Entry<String, Owner> owned) {
    List<ResolvedTool> tools = offers.get(owned.getKey());
    if (tools == null) {
      return false;
    }
    for (ResolvedTool t : tools) {
      if (owned.getValue().owns(t)) {
        return true;
      }
    }
    return false;
  }

  /** Logs and receipts each refused tool id: the intruding tool is not offered. */
  private void receipt() {
    for (Conflict c = untoldConflicts.poll(); c != null; c = untoldConflicts.poll()) {
      LOG.warn(
          "{}: bundle {} offers tool {} through connector {}, but bundle {} owns that id; the tool"
              + " is not offered from {}",
          TOOL_ID_CONFLICT,
          c.slot.owner,
          c.toolId,
          c.slot.connectorId,
          c.owner,
          c.slot.owner);
      ReceiptLog log = receipts;
      if (log == null) {
        continue;
      }
      ObjectNode e = CanonicalJson.MAPPER.createObjectNode();
      e.put("type", "plugin_lifecycle");
      e.put("action", "refused_tool");
      e.put("bundle", c.slot.owner);
      if (c.slot.bundle != null) {
        e.put("version", c.slot.bundle.getVersion().toString());
      }
      e.put("actor", "framework");
      e.put("reason", TOOL_ID_CONFLICT);
      e.put("tool_id", c.toolId);
      e.put("connector_id", c.slot.connectorId);
      e.put("owner", c.owner);
      e.put("ts", Instant.now().toString());
      try {
        log.append(e);
      } catch (RuntimeException ex) {
        LOG.warn("could not receipt the refused tool {}: {}", c.toolId, ex.toString());
      }
    }
  }

  /** A tool id offered by a bundle that does not own it. */
  private record Conflict(String toolId, Slot slot, String owner) {}

  /**
   * The bundle that owns a tool id. Ownership is the bundle's identity (its bundle id, which an
   * update keeps), never its symbolic name: a second bundle installed under the owner's name is
   * another bundle. An owner read from the store after a restart is known by name only until the
   * bundle with that name (only one resolves) offers the id; from then on it is that bundle. A
   * connector without a bundle (tests) is matched by name.
   */
  private static final class Owner {
    final String name;
    Bundle bundle; // guarded by the registry; null: stored, not yet seen this run (or tests)

    Owner(String name, Bundle bundle) {
      this.name = name;
      this.bundle = bundle;
    }

    boolean owns(ResolvedTool t) {
      Bundle other = t.slot().bundle;
      if (bundle == null) {
        return t.owner().equals(name);
      }
      return other != null && other.getBundleId() == bundle.getBundleId();
    }

    /** Ties a stored owner to the bundle that carries its name in this run. */
    void bind(ResolvedTool t) {
      if (bundle == null) {
        bundle = t.slot().bundle;
      }
    }

    boolean gone() {
      return bundle != null && bundle.getState() == Bundle.UNINSTALLED;
    }
  }

  private static boolean sameServers(
      Map<String, ResolvedTool> previous, Map<String, ResolvedTool> next) {
    for (Map.Entry<String, ResolvedTool> e : next.entrySet()) {
      ResolvedTool old = previous.get(e.getKey());
      if (old == null || old.connector() != e.getValue().connector()) {
        return false;
      }
    }
    return true;
  }

  /** One bound connector: what the ownership rule and the calls on it need. */
  static final class Slot {
    final ServiceReference<Connector> ref; // its order is the ranking order
    final Connector connector;
    final String connectorId;
    final Bundle bundle; // may be null (tests)
    final String owner; // the name that owns the tool ids it offers
    // guarded by the registry: ids receipted as refused
    final Set<String> refused = new HashSet<>();
    // the tools it listed at the last routing, by id (set under the registry's lock)
    volatile Map<String, ResolvedTool> offered = Map.of();

    Slot(
        ServiceReference<Connector> ref,
        Connector connector,
        String connectorId,
        Bundle bundle,
        String owner) {
      this.ref = ref;
      this.connector = connector;
      this.connectorId = connectorId;
      this.bundle = bundle;
      this.owner = owner;
    }
  }

  /**
   * What one call got: a tool and its connector, held until {@link #close()}, or the reason there
   * is none. Closing twice is harmless.
   */
  static final class Lease implements AutoCloseable {
    private final ResolvedTool tool;
    private final dev.briefcase.plugindirectory.Lease<Slot> lease;

    Lease(ResolvedTool tool, dev.briefcase.plugindirectory.Lease<Slot> lease) {
      this.tool = tool;
      this.lease = lease;
    }

    /** The tool and the connector to run it on, or {@code null}. */
    ResolvedTool tool() {
      return tool;
    }

    /** True when no connector serves the tool and none ever did since start. */
    boolean unknown() {
      return lease.unknown();
    }

    /** True when the connector that served the tool left and nothing replaced it. */
    boolean unavailable() {
      return lease.unavailable();
    }

    /** The connector that served the tool last, for an unavailable tool. */
    String departedConnector() {
      return lease.departedName();
    }

    @Override
    public void close() {
      lease.close();
    }
  }
}
