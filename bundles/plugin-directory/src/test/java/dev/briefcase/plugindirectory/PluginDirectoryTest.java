package dev.briefcase.plugindirectory;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import dev.briefcase.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Test;

public class PluginDirectoryTest {
  /** Bounds a failing run only; a passing run never comes near them. */
  private static final long GENEROUS_SECONDS = 20;

  private final ExecutorService pool = Executors.newCachedThreadPool();

  @After
  public void tearDown() {
    pool.shutdownNow();
  }

  /** A plugin that counts the calls it served and those it got after it was stopped. */
  static final class Backend {
    final String key;
    final AtomicInteger served = new AtomicInteger();
    final AtomicInteger afterStop = new AtomicInteger();
    volatile boolean stopped;

    Backend(String key) {
      this.key = key;
    }

    void call() {
      if (stopped) {
        afterStop.incrementAndGet();
      }
      served.incrementAndGet();
      Thread.yield();
      if (stopped) {
        afterStop.incrementAndGet();
      }
    }
  }

  private static PluginDirectory<Backend> directory(Duration drain, Duration grace, Duration stop) {
    return new PluginDirectory<>(
        "backend",
        new DirectoryTimings(drain, grace, stop),
        PluginDirectory.highestRanked(b -> b.key));
  }

  private static Plugin<Backend> bind(PluginDirectory<Backend> d, Backend b, int rank, long id) {
    return d.bind(b, b.key + "#" + id, rank, id, () -> false);
  }

  /** Unbinds as DS does for a component: unbind first, then the component is stopped. */
  private static void unbindAndStop(PluginDirectory<Backend> d, Plugin<Backend> p) {
    d.unbind(p);
    p.service().stopped = true;
  }

  @Test
  public void concurrentCallsDuringAnUpdateAllSucceedAndNoneRunsOnTheStoppedPlugin()
      throws Exception {
    PluginDirectory<Backend> d =
        directory(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMillis(500));
    Backend old = new Backend("k");
    Plugin<Backend> oldPlugin = bind(d, old, 0, 1);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    List<Future<?>> callers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      callers.add(
          pool.submit(
              () -> {
                while (running.get()) {
                  try (Lease<Backend> lease = d.lease("k")) {
                    if (lease.plugin() == null) {
                      failed.incrementAndGet();
                      continue;
                    }
                    lease.service().call();
                    calls.incrementAndGet();
                  }
                }
              }));
    }
    Poll.waitFor(() -> old.served.get() > 100, "calls on the old plugin");

    // an update: the old revision is unbound (and stopped) before the new one binds
    unbindAndStop(d, oldPlugin);
    Backend next = new Backend("k");
    bind(d, next, 0, 2);
    Poll.waitFor(() -> next.served.get() > 100, "calls on the new plugin");

    running.set(false);
    for (Future<?> f : callers) {
      f.get(GENEROUS_SECONDS, SECONDS);
    }
    assertEquals("failed calls", 0, failed.get());
    assertEquals("calls on the stopped plugin", 0, old.afterStop.get());
    assertEquals(0, d.inFlight());
    assertTrue(calls.get() > 200);
  }

  @Test
  public void unbindWaitsForTheRunningLeaseAndGrantsNoNewOne() throws Exception {
    PluginDirectory<Backend> d =
        directory(Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(500));
    Backend old = new Backend("k");
    Plugin<Backend> plugin = bind(d, old, 0, 1);
    Lease<Backend> running = d.lease("k");
    assertSame(plugin, running.plugin());

    Future<Boolean> unbind = pool.submit(() -> d.unbind(plugin));
    Poll.waitFor(plugin::draining, "the plugin to drain");
    // no new lease on a draining plugin: with no replacement and no grace, unavailable at once
    try (Lease<Backend> late = d.lease("k")) {
      assertTrue(late.unavailable());
      assertEquals("k#1", late.departedName());
    }
    assertFalse("unbind returned while a call was running", unbind.isDone());

    running.close();
    assertTrue("drained", unbind.get(GENEROUS_SECONDS, SECONDS));
    running.close(); // closing twice is harmless
    assertEquals(0, plugin.inFlight());
  }

  @Test
  public void afterTheSwapGraceAKeyIsBackendUnavailableAndThenFailsAtOnce() throws Exception {
    PluginDirectory<Backend> d =
        directory(Duration.ofSeconds(30), Duration.ofMillis(200), Duration.ofMillis(500));
    Plugin<Backend> plugin = bind(d, new Backend("k"), 0, 1);
    d.unbind(plugin);

    Future<Lease<Backend>> waited = pool.submit(() -> d.lease("k"));
    Lease<Backend> lease = waited.get(GENEROUS_SECONDS, SECONDS);
    assertTrue(lease.unavailable());
    assertFalse(lease.unknown());
    assertNull(lease.service());
    assertEquals("k#1", lease.departedName());
    assertEquals("backend_unavailable", PluginDirectory.BACKEND_UNAVAILABLE);

    // the grace has passed: no wait any more
    Poll.waitFor(() -> d.lease("k").unavailable(), "an unavailable key");

    try (Lease<Backend> never = d.lease("never-served")) {
      assertTrue(never.unknown());
      assertFalse(never.unavailable());
    }
  }

  @Test
  public void anUpdateWithinTheGraceServesTheNewPlugin() throws Exception {
    PluginDirectory<Backend> d =
        directory(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMillis(500));
    Plugin<Backend> old = bind(d, new Backend("k"), 0, 1);
    unbindAndStop(d, old);

    CountDownLatch asking = new CountDownLatch(1);
    Future<Lease<Backend>> waiting =
        pool.submit(
            () -> {
              asking.countDown();
              return d.lease("k");
            });
    asking.await();
    Backend next = new Backend("k");
    Plugin<Backend> nextPlugin = bind(d, next, 0, 2);

    try (Lease<Backend> lease = waiting.get(GENEROUS_SECONDS, SECONDS)) {
      assertSame(nextPlugin, lease.plugin());
      assertSame(next, lease.service());
    }
  }

  @Test
  public void theDrainTimeoutBoundsUnbindWhileACallStillRuns() throws Exception {
    PluginDirectory<Backend> d = directory(Duration.ofMillis(100), Duration.ZERO, Duration.ZERO);
    Plugin<Backend> plugin = bind(d, new Backend("k"), 0, 1);
    Lease<Backend> stuck = d.lease("k");

    Future<Boolean> unbind = pool.submit(() -> d.unbind(plugin));
    assertFalse("unbind reports the call it left running", unbind.get(GENEROUS_SECONDS, SECONDS));
    assertEquals(1, plugin.inFlight());
    stuck.close();
    assertEquals(0, plugin.inFlight());
  }

  @Test
  public void anUninstalledPluginsKeyFailsWithoutWaitingOutTheGrace() throws Exception {
    PluginDirectory<Backend> d =
        directory(Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofMillis(500));
    AtomicBoolean uninstalled = new AtomicBoolean();
    Plugin<Backend> plugin = d.bind(new Backend("k"), "k#1", 0, 1, uninstalled::get);
    d.unbind(plugin);
    uninstalled.set(true);

    Future<Lease<Backend>> lease = pool.submit(() -> d.lease("k"));
    assertTrue(lease.get(GENEROUS_SECONDS, SECONDS).unavailable());
  }

  @Test
  public void aWaitingCallLearnsOfAnUninstallWithoutABindOrUnbind() throws Exception {
    PluginDirectory<Backend> d =
        directory(Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofMillis(500));
    AtomicBoolean uninstalled = new AtomicBoolean();
    Plugin<Backend> plugin = d.bind(new Backend("k"), "k#1", 0, 1, uninstalled::get);
    d.unbind(plugin);

    Future<Lease<Backend>> lease = pool.submit(() -> d.lease("k"));
    uninstalled.set(true);
    assertTrue(lease.get(GENEROUS_SECONDS, SECONDS).unavailable());
  }

  @Test
  public void theHighestRankingServesAndTheOlderServiceWinsATie() throws Exception {
    PluginDirectory<Backend> d = directory(Duration.ofSeconds(30), Duration.ZERO, Duration.ZERO);
    Plugin<Backend> older = bind(d, new Backend("k"), 0, 5);
    Plugin<Backend> newer = bind(d, new Backend("k"), 0, 9);
    assertSame(older, d.current("k"));
    Plugin<Backend> ranked = bind(d, new Backend("k"), 10, 12);
    assertSame(ranked, d.current("k"));

    d.unbind(ranked); // the next in line serves at once
    try (Lease<Backend> lease = d.lease("k")) {
      assertSame(older, lease.plugin());
    }
    assertEquals(List.of(older, newer), d.bound());
    bind(d, new Backend("other"), 0, 13);
    assertSame(older, d.current("k"));
    assertEquals(3, d.bound().size());
  }

  @Test
  public void awaitReplacedTellsWhetherTheStoppedPluginWasUnboundWithinTheStopGrace()
      throws Exception {
    PluginDirectory<Backend> quick =
        directory(Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(50));
    Plugin<Backend> stays = bind(quick, new Backend("k"), 0, 1);
    assertFalse("still serving after the stop grace", quick.awaitReplaced("k", stays));

    PluginDirectory<Backend> d =
        directory(Duration.ofSeconds(30), Duration.ZERO, Duration.ofMinutes(10));
    Plugin<Backend> stopping = bind(d, new Backend("k"), 0, 1);
    Future<Boolean> replaced = pool.submit(() -> d.awaitReplaced("k", stopping));
    Plugin<Backend> next = bind(d, new Backend("k"), 5, 2);
    assertTrue(replaced.get(GENEROUS_SECONDS, SECONDS));
    assertSame(next, d.current("k"));
  }

  @Test
  public void aRouterDecidesWhichPluginServesEachKey() throws Exception {
    // a router of its own: every bound plugin serves the key named by its service, the first wins
    PluginDirectory<Backend> d =
        new PluginDirectory<>(
            "backend",
            new DirectoryTimings(Duration.ofSeconds(30), Duration.ZERO, Duration.ZERO),
            bound -> {
              java.util.Map<String, Plugin<Backend>> table = new java.util.HashMap<>();
              for (Plugin<Backend> p : bound) {
                table.putIfAbsent(p.service().key, p);
              }
              return table;
            });
    Plugin<Backend> first = bind(d, new Backend("k"), 0, 9);
    bind(d, new Backend("k"), 100, 1);
    assertSame(first, d.current("k"));
    d.refresh();
    assertSame(first, d.current("k"));
  }
}
