package dev.briefcase.kernel.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 * tool. The table is rebuilt whenever a connector comes or goes, so a lookup is one map read and a
 * call never sees half of a change.
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
 * <p>Drain and swap: a call holds a {@link Lease} from resolution until its result is in. When a
 * connector service goes away, DS calls {@link #unbindConnector} before it deactivates the
 * connector's component. Unbind first marks the connector as draining (no new lease is granted on
 * it), rebuilds the table (the next call resolves to the replacement, if any), and then waits — at
 * most the drain timeout — for the calls already running on it to finish. So a call that is running
 * finishes on the old connector, the next call uses the new one, and no call is handed to a
 * connector that is being stopped.
 *
 * <p>A tool whose connector left without a replacement is remembered: calls to it end with {@code
 * backend_unavailable} instead of {@code unknown_tool}. During the short swap grace after the
 * departure (a bundle update stops the old revision before the new one registers), a call waits for
 * a replacement at most that long, then fails; afterwards it fails at once. Never a hang.
 *
 * <p>Thread-safe. Framework properties {@value #DRAIN_PROPERTY} and {@value #GRACE_PROPERTY}
 * (milliseconds) tune the two bounds.
 */
@Component(service = ToolRegistry.class)
public final class ToolRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ToolRegistry.class);

  /** Framework property: how long unbinding a connector waits for its running calls (ms). */
  static final String DRAIN_PROPERTY = "briefcase.plugin.drain.ms";

  /** Framework property: how long a call to a just-departed tool waits for a replacement (ms). */
  static final String GRACE_PROPERTY = "briefcase.plugin.swap.grace.ms";

  static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);
  static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);

  /** The reason of the receipt written when a bundle offers a tool id another bundle owns. */
  static final String TOOL_ID_CONFLICT = "tool_id_conflict";

  /** Departed tool ids remembered at most; the oldest is forgotten first. */
  static final int MAX_DEPARTED = 10_000;

  private final Map<ServiceReference<Connector>, Slot> connectors = new ConcurrentHashMap<>();
  private final List<ToolCatalogListener> listeners = new CopyOnWriteArrayList<>();
  private volatile Map<String, ResolvedTool> table = Map.of();
  // guarded by this: tool id → the connector that served it last and when it left
  private final Map<String, Departed> departed = new LinkedHashMap<>();
  // guarded by this: tool id → the bundle that owns it
  private final Map<String, Owner> owners = new HashMap<>();
  private final AtomicLong arrivals = new AtomicLong();
  private final ToolOwnerBook book;
  private volatile ReceiptLog receipts;
  private volatile BundleContext context;
  private volatile BundleListener uninstalls;
  private volatile long drainNanos;
  private volatile long graceNanos;

  /** A registry with the default drain timeout and swap grace, ownership kept in memory only. */
  public ToolRegistry() {
    this(DEFAULT_DRAIN, DEFAULT_GRACE);
  }

  ToolRegistry(Duration drain, Duration grace) {
    this(drain, grace, new ToolOwnerBook());
  }

  /**
   * A registry whose tool ids start owned as {@code book} stored them: before any connector binds,
   * so the first bundle to register after a restart cannot take an id.
   */
  ToolRegistry(Duration drain, Duration grace, ToolOwnerBook book) {
    this.drainNanos = drain.toNanos();
    this.graceNanos = grace.toNanos();
    this.book = book;
    for (Map.Entry<String, String> stored : book.load().entrySet()) {
      owners.put(stored.getKey(), new Owner(stored.getValue(), null));
    }
  }

  /** Activates with ownership from the store. */
  @Activate
  public ToolRegistry(BundleContext context, @Reference(name = "owners") ToolOwnerBook book) {
    this(DEFAULT_DRAIN, DEFAULT_GRACE, book);
    activate(context);
  }

  private void activate(BundleContext context) {
    drainNanos = millis(context.getProperty(DRAIN_PROPERTY), drainNanos);
    graceNanos = millis(context.getProperty(GRACE_PROPERTY), graceNanos);
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

  /** Frees the tool ids an uninstalled bundle owned, so the table is built again without it. */
  void bundleUninstalled(Bundle bundle) {
    boolean owned;
    synchronized (this) {
      owned = owners.values().stream().anyMatch(o -> o.bundle == bundle);
    }
    if (owned) {
      receipt(rebuild());
    }
  }

  private static long millis(String value, long fallbackNanos) {
    if (value == null || value.isBlank()) {
      return fallbackNanos;
    }
    try {
      long ms = Long.parseLong(value.strip());
      return ms >= 0 ? Duration.ofMillis(ms).toNanos() : fallbackNanos;
    } catch (NumberFormatException e) {
      LOG.warn("ignoring a malformed plugin timing property: {}", value.strip());
      return fallbackNanos;
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
    connectors.put(
        ref,
        new Slot(
            connector,
            connectorId,
            bundle,
            ownerName(bundle, connectorId),
            arrivals.incrementAndGet()));
    LOG.info("connector {} arrived", id);
    receipt(rebuild());
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
    Slot slot = connectors.get(ref);
    if (slot == null) {
      return;
    }
    slot.draining = true; // before the table changes: a racing call sees one or the other
    connectors.remove(ref);
    LOG.info("connector {} left", slot.connectorId);
    receipt(rebuild());
    if (!slot.awaitIdle(drainNanos)) {
      LOG.warn(
          "connector {} still had {} running call(s) after the drain timeout; stopping it anyway",
          slot.connectorId,
          slot.inFlight.get());
    }
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
    long graceDeadline = 0;
    while (true) {
      ResolvedTool tool = table.get(toolId);
      if (tool != null) {
        Slot slot = tool.slot();
        if (slot.enter()) {
          return new Lease(tool, null, slot);
        }
        // It started draining under us. Unbind rebuilds the table right after raising the flag;
        // wait for that table, which names the replacement (or none).
        if (!awaitTableWithout(toolId, slot)) {
          return new Lease(null, slot.connectorId, null);
        }
        continue;
      }
      synchronized (this) {
        if (table.containsKey(toolId)) {
          continue;
        }
        Departed gone = departed.get(toolId);
        if (gone == null) {
          return new Lease(null, null, null);
        }
        if (graceDeadline == 0) {
          graceDeadline = gone.atNanos + graceNanos;
        }
        long left = graceDeadline - System.nanoTime();
        if (left <= 0 || gone.gone()) {
          return new Lease(null, gone.connectorId, null);
        }
        // a bundle update stops the old revision before the new one registers: wait for it
        // (polling a little, since an uninstall ends the wait without an event here)
        try {
          wait(Math.max(1, Math.min(20, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Lease(null, gone.connectorId, null);
        }
      }
    }
  }

  private synchronized boolean awaitTableWithout(String toolId, Slot slot) {
    long deadline = System.nanoTime() + drainNanos;
    while (true) {
      ResolvedTool now = table.get(toolId);
      if (now == null || now.slot() != slot) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        wait(Math.max(1, Math.min(10, left / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

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
    int n = 0;
    for (Slot s : connectors.values()) {
      n += s.inFlight.get();
    }
    return n;
  }

  /**
   * Rebuilds the table under the ownership rule.
   *
   * @return the conflicts found for the first time, to be receipted outside the lock
   */
  private synchronized List<Conflict> rebuild() {
    List<Map.Entry<ServiceReference<Connector>, Slot>> ranked =
        new ArrayList<>(connectors.entrySet());
    // ascending by ranking, so a higher-ranked connector of the owner overwrites a lower one
    ranked.sort(Comparator.comparing(Map.Entry::getKey));
    Map<String, List<ResolvedTool>> offers = new TreeMap<>();
    for (Map.Entry<ServiceReference<Connector>, Slot> e : ranked) {
      Slot slot = e.getValue();
      List<ToolSpec> specs;
      try {
        specs = slot.connector.tools();
      } catch (RuntimeException ex) {
        LOG.warn(
            "connector {} failed to list its tools; its tools are not offered", slot.connectorId);
        continue;
      }
      for (ToolSpec spec : specs) {
        offers
            .computeIfAbsent(spec.id(), k -> new ArrayList<>())
            .add(new ResolvedTool(spec, slot.connector, slot.connectorId, slot, slot.owner));
      }
    }
    // an uninstalled owner gives its ids back; a stopped or updating one keeps them
    for (var it = owners.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Owner> e = it.next();
      if (e.getValue().gone() && !offeredBy(offers, e)) {
        it.remove();
        book.release(e.getKey(), e.getValue().name);
      }
    }
    List<Conflict> conflicts = new ArrayList<>();
    Map<String, ResolvedTool> next = new TreeMap<>();
    for (Map.Entry<String, List<ResolvedTool>> e : offers.entrySet()) {
      String toolId = e.getKey();
      Owner owner = owners.get(toolId);
      if (owner == null) {
        ResolvedTool first =
            e.getValue().stream().min(Comparator.comparingLong(t -> t.slot().arrival)).get();
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
          conflicts.add(new Conflict(toolId, t.slot(), owner.name));
        }
      }
      if (chosen != null) {
        next.put(toolId, chosen);
      }
    }
    Map<String, ResolvedTool> previous = table;
    long now = System.nanoTime();
    for (Map.Entry<String, ResolvedTool> e : previous.entrySet()) {
      if (!next.containsKey(e.getKey())) {
        departed.remove(e.getKey());
        departed.put(
            e.getKey(), new Departed(e.getValue().connectorId(), e.getValue().slot().bundle, now));
      }
    }
    for (String id : next.keySet()) {
      departed.remove(id);
    }
    while (departed.size() > MAX_DEPARTED) {
      departed.remove(departed.keySet().iterator().next());
    }
    boolean changed = !next.keySet().equals(previous.keySet()) || !sameServers(previous, next);
    table = Collections.unmodifiableMap(next);
    notifyAll(); // calls waiting out a swap grace look again
    if (changed) {
      for (ToolCatalogListener l : listeners) {
        try {
          l.toolsChanged();
        } catch (RuntimeException ex) {
          LOG.warn("tool catalogue listener failed", ex);
        }
      }
    }
    return conflicts;
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
  private void receipt(List<Conflict> conflicts) {
    for (Conflict c : conflicts) {
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

  /**
   * A tool that left with its connector. An uninstalled bundle is not coming back, so its tools
   * fail at once; otherwise (stop, or the first half of an update) calls wait out the grace.
   */
  private record Departed(String connectorId, Bundle bundle, long atNanos) {
    boolean gone() {
      return bundle != null && bundle.getState() == Bundle.UNINSTALLED;
    }
  }

  /** One bound connector and the calls running on it. */
  static final class Slot {
    final Connector connector;
    final String connectorId;
    final Bundle bundle; // may be null (tests)
    final String owner; // the name that owns the tool ids it offers
    final long arrival; // bind order: the first to offer an id owns it
    final Set<String> refused =
        new HashSet<>(); // guarded by the registry: ids receipted as refused
    final AtomicInteger inFlight = new AtomicInteger();
    volatile boolean draining;

    Slot(Connector connector, String connectorId, Bundle bundle, String owner, long arrival) {
      this.connector = connector;
      this.connectorId = connectorId;
      this.bundle = bundle;
      this.owner = owner;
      this.arrival = arrival;
    }

    /**
     * Counts a call in, unless the connector is draining. The count goes up before the flag is
     * read, and unbind sets the flag before it reads the count: one of the two always sees the
     * other, so a call either backs off or is waited for.
     */
    boolean enter() {
      inFlight.incrementAndGet();
      if (draining) {
        exit();
        return false;
      }
      return true;
    }

    void exit() {
      if (inFlight.decrementAndGet() == 0 && draining) {
        synchronized (this) {
          notifyAll();
        }
      }
    }

    synchronized boolean awaitIdle(long timeoutNanos) {
      long deadline = System.nanoTime() + timeoutNanos;
      boolean interrupted = false;
      try {
        while (inFlight.get() > 0) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          try {
            wait(Math.max(1, left / 1_000_000));
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        return true;
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /**
   * What one call got: a tool and its connector, held until {@link #close()}, or the reason there
   * is none. Closing twice is harmless.
   */
  static final class Lease implements AutoCloseable {
    private final ResolvedTool tool;
    private final String departedConnector;
    private Slot slot;

    Lease(ResolvedTool tool, String departedConnector, Slot slot) {
      this.tool = tool;
      this.departedConnector = departedConnector;
      this.slot = slot;
    }

    /** The tool and the connector to run it on, or {@code null}. */
    ResolvedTool tool() {
      return tool;
    }

    /** True when no connector serves the tool and none ever did since start. */
    boolean unknown() {
      return tool == null && departedConnector == null;
    }

    /** True when the connector that served the tool left and nothing replaced it. */
    boolean unavailable() {
      return tool == null && departedConnector != null;
    }

    /** The connector that served the tool last, for an unavailable tool. */
    String departedConnector() {
      return departedConnector;
    }

    @Override
    public void close() {
      Slot s = slot;
      slot = null;
      if (s != null) {
        s.exit();
      }
    }
  }
}
