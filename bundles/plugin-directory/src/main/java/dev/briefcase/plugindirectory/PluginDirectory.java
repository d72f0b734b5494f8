package dev.briefcase.plugindirectory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins of one family (connectors, signers, …) currently bound, and which one serves each key
 * (a tool id, a backend id). Every call holds a {@link Lease} on the plugin that serves its key
 * from lookup until its result is in; nothing is cached past a call.
 *
 * <p>Drain: {@link #unbind} (DS calls it before it deactivates the plugin's component) first marks
 * the plugin as draining — no new lease is granted on it — then routes the keys again (the next
 * call gets the replacement, if any), then waits at most {@link DirectoryTimings#drain()} for the
 * leases already running on it to close. A running call finishes on the old plugin; no call is
 * handed to a plugin that is being stopped.
 *
 * <p>Swap grace: a key whose plugin left without a replacement is remembered. For {@link
 * DirectoryTimings#swapGrace()} after the departure (a bundle update unbinds the old revision
 * before the new one binds), a lease waits for a replacement, then is {@link Lease#unavailable()
 * unavailable} ({@value #BACKEND_UNAVAILABLE}); afterwards it is unavailable at once, and at once
 * too when the departed plugin's bundle was uninstalled. A key never served since start is {@link
 * Lease#unknown() unknown}. Never a hang.
 *
 * <p>Which plugin serves a key is the {@link Router}'s choice ({@link #highestRanked} by default);
 * it is asked again on every bind, unbind and {@link #refresh()}, and its answer replaces the
 * routing table at once, so a lookup is one map read and never sees half of a change. Thread-safe.
 *
 * @param <S> what the family binds (a connector, a signer binding)
 */
public final class PluginDirectory<S> {
  /** The stable outcome of a lease on a key whose plugin left and was not replaced in time. */
  public static final String BACKEND_UNAVAILABLE = "backend_unavailable";

  /** Departed keys remembered at most; the oldest is forgotten first. */
  static final int MAX_DEPARTED = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(PluginDirectory.class);

  /** Chooses the plugin that serves each key among the bound ones. */
  @FunctionalInterface
  public interface Router<S> {
    /**
     * The routing table for these plugins (in bind order). Called under the directory's lock, so a
     * router may keep state of its own between calls without locking.
     */
    Map<String, Plugin<S>> route(List<Plugin<S>> bound);
  }

  /**
   * A router that serves each key ({@code keyOf} the service) by its highest-ranked plugin, the
   * older (lower service id) on a tie — the OSGi service ranking rule.
   */
  public static <S> Router<S> highestRanked(Function<S, String> keyOf) {
    return bound -> {
      Map<String, Plugin<S>> table = new HashMap<>();
      for (Plugin<S> p : bound) {
        table.merge(keyOf.apply(p.service()), p, (have, next) -> next.outranks(have) ? next : have);
      }
      return table;
    };
  }

  private final String family;
  private final DirectoryTimings timings;
  private final Router<S> router;
  private final Object lock = new Object();
  // guarded by lock, in bind order
  private final List<Plugin<S>> bound = new ArrayList<>();
  // guarded by lock: key → the plugin that served it last and when it left
  private final Map<String, Departed> departed = new LinkedHashMap<>();
  private volatile Map<String, Plugin<S>> table = Map.of();
  private long arrivals; // guarded by lock

  /**
   * @param family what the plugins are, for the log ({@code connector}, {@code signer})
   */
  public PluginDirectory(String family, DirectoryTimings timings, Router<S> router) {
    this.family = family;
    this.timings = timings;
    this.router = router;
  }

  public DirectoryTimings timings() {
    return timings;
  }

  /**
   * Binds a plugin and routes the keys again.
   *
   * @param name how the log and {@link Lease#departedName()} call it (a connector or signer id)
   * @param ranking its service ranking
   * @param serviceId its service id (the older wins a ranking tie)
   * @param retired whether its bundle is gone for good (uninstalled): its keys then get no grace
   */
  public Plugin<S> bind(
      S service, String name, int ranking, long serviceId, BooleanSupplier retired) {
    synchronized (lock) {
      Plugin<S> p = new Plugin<>(service, name, ranking, serviceId, ++arrivals, retired);
      bound.add(p);
      reroute();
      return p;
    }
  }

  /**
   * Takes a plugin out of service ({@link #withdraw}) and returns once its running calls are done
   * or the drain timeout passed ({@link #drain}).
   *
   * @return false when calls were still running at the drain timeout
   */
  public boolean unbind(Plugin<S> plugin) {
    withdraw(plugin);
    return drain(plugin);
  }

  /**
   * Marks the plugin as draining — no new lease — and routes the keys again without it.
   *
   * @return false when it was not bound
   */
  public boolean withdraw(Plugin<S> plugin) {
    plugin.draining = true; // before the table changes: a racing call sees one or the other
    synchronized (lock) {
      if (!bound.remove(plugin)) {
        return false;
      }
      reroute();
      return true;
    }
  }

  /**
   * Waits at most the drain timeout for the leases on a withdrawn plugin to close.
   *
   * @return false when some were still open at the timeout (logged)
   */
  public boolean drain(Plugin<S> plugin) {
    if (plugin.awaitIdle(timings.drain().toNanos())) {
      return true;
    }
    LOG.warn(
        "{} {} still had {} running call(s) after the drain timeout; stopping it anyway",
        family,
        plugin.name(),
        plugin.inFlight());
    return false;
  }

  /** Routes the keys again: the router's inputs changed (an owner was uninstalled). */
  public void refresh() {
    synchronized (lock) {
      reroute();
    }
  }

  /** The plugin serving this key right now, or {@code null}; for choices, not for calls. */
  public Plugin<S> current(String key) {
    return table.get(key);
  }

  /** The plugins bound right now, in bind order. */
  public List<Plugin<S>> bound() {
    synchronized (lock) {
      return List.copyOf(bound);
    }
  }

  /** Leases running on bound plugins right now (for tests and diagnostics). */
  public int inFlight() {
    int n = 0;
    for (Plugin<S> p : bound()) {
      n += p.inFlight();
    }
    return n;
  }

  /**
   * A lease on the plugin serving this key, to be closed when the call is done: waits out the swap
   * grace when the key's plugin left recently; {@link Lease#unknown() unknown} for a key never
   * served since start, {@link Lease#unavailable() unavailable} when its plugin left and none
   * replaced it in time.
   */
  public Lease<S> lease(String key) {
    boolean graceStarted = false;
    long graceDeadline = 0;
    while (true) {
      Plugin<S> p = table.get(key);
      if (p != null) {
        if (p.enter()) {
          return new Lease<>(p, null);
        }
        // It started draining under us. Withdraw routes again right after raising the flag; wait
        // for that table, which names the replacement (or none).
        if (!awaitRoutedAway(key, p, timings.drain().toNanos())) {
          return new Lease<>(null, p.name());
        }
        continue;
      }
      synchronized (lock) {
        if (table.containsKey(key)) {
          continue;
        }
        Departed gone = departed.get(key);
        if (gone == null) {
          return new Lease<>(null, null);
        }
        if (!graceStarted) {
          graceStarted = true;
          graceDeadline = gone.atNanos + timings.swapGrace().toNanos();
        }
        long left = graceDeadline - System.nanoTime();
        if (left <= 0 || gone.retired.getAsBoolean()) {
          return new Lease<>(null, gone.name);
        }
        // polling a little, since an uninstall ends the wait without a bind or unbind here
        try {
          lock.wait(Math.max(1, Math.min(20, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Lease<>(null, gone.name);
        }
      }
    }
  }

  /**
   * Whether the key stops being served by {@code plugin} within the stop grace: a call that met a
   * plugin failing as stopped (DS may deactivate it a moment before it is unbound) waits for that
   * before it takes a new lease on the successor.
   */
  public boolean awaitReplaced(String key, Plugin<S> plugin) {
    return awaitRoutedAway(key, plugin, timings.stopGrace().toNanos());
  }

  private boolean awaitRoutedAway(String key, Plugin<S> plugin, long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (lock) {
      while (table.get(key) == plugin) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          lock.wait(Math.max(1, Math.min(10, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /** Asks the router for the next table, remembers the keys it no longer serves, publishes it. */
  private void reroute() {
    Map<String, Plugin<S>> next = Map.copyOf(router.route(List.copyOf(bound)));
    long now = System.nanoTime();
    for (Map.Entry<String, Plugin<S>> e : table.entrySet()) {
      if (!next.containsKey(e.getKey())) {
        Plugin<S> last = e.getValue();
        departed.remove(e.getKey()); // re-inserted last: the newest is forgotten last
        departed.put(e.getKey(), new Departed(last.name(), last.retired, now));
      }
    }
    for (String key : next.keySet()) {
      departed.remove(key);
    }
    while (departed.size() > MAX_DEPARTED) {
      departed.remove(departed.keySet().iterator().next());
    }
    table = next;
    lock.notifyAll(); // leases waiting out a swap or stop grace look again
  }

  /** A key whose plugin left, and when. */
  private record Departed(String name, BooleanSupplier retired, long atNanos) {}
}
