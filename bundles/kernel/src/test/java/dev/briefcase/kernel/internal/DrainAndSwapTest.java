package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.testing.Poll;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallOutcome.Status;
import dev.briefcase.tools.ToolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.After;
import org.junit.Test;
import org.osgi.framework.ServiceReference;

/**
 * The drain-and-swap guarantee of {@link ToolRegistry}, raced deterministically with latches: a
 * running call finishes on the old connector, the next call goes to the replacement (or ends with
 * {@code backend_unavailable}), and no call ever reaches a connector after its unbind returned —
 * the moment DS deactivates it.
 */
public class DrainAndSwapTest {
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private Fixture k;

  @After
  public void tearDown() {
    pool.shutdownNow();
    if (k != null) {
      k.close();
    }
  }

  private Fixture kernel(Duration drain, Duration grace) throws Exception {
    k = new Fixture(new ToolRegistry(drain, grace));
    return k;
  }

  /** A connector with one tool, {@code ping}, that answers with its version. */
  static final class Versioned implements Connector {
    final String version;
    final AtomicInteger served = new AtomicInteger();
    final AtomicInteger afterStop = new AtomicInteger();
    volatile boolean stopped;
    volatile CountDownLatch entered;
    volatile CountDownLatch release;

    Versioned(String version) {
      this.version = version;
    }

    @Override
    public List<ToolSpec> tools() {
      return List.of(
          new ToolSpec(
              "ping",
              "ping",
              "answers with the serving version",
              Fixture.object(FakeConnector.OPEN),
              null,
              ToolSpec.READ,
              0,
              OutputFirewall.allowAll()));
    }

    @Override
    public ToolResult execute(ToolInvocation call) throws ToolException {
      if (stopped) {
        afterStop.incrementAndGet(); // the kernel handed a call to a deactivated component
        throw ToolException.unavailable("stopped");
      }
      CountDownLatch in = entered;
      CountDownLatch out = release;
      if (in != null) {
        in.countDown();
      }
      if (out != null) {
        try {
          out.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      served.incrementAndGet();
      ObjectNode o = CanonicalJson.MAPPER.createObjectNode();
      o.put("version", version);
      return ToolResult.of(PlainJson.object(o), "local:ping");
    }

    /** What DS does after the kernel's unbind returned: deactivate. */
    void deactivate() {
      stopped = true;
    }
  }

  /** Unbind as DS does it, then deactivate the component. */
  private void stop(ServiceReference<Connector> ref, Versioned c) {
    k.registry.unbindConnector(ref);
    c.deactivate();
  }

  private static String version(ToolCallOutcome r) {
    assertEquals(r.toString(), Status.OK, r.status());
    return r.content().get("version").asText();
  }

  @Test
  public void aRunningCallFinishesOnTheOldConnectorAndTheNextUsesTheNew() throws Exception {
    kernel(Duration.ofSeconds(30), Duration.ZERO);
    Versioned v1 = new Versioned("1");
    Versioned v2 = new Versioned("2");
    ServiceReference<Connector> r1 = k.add(v1, "swap", 0);
    v1.entered = new CountDownLatch(1);
    v1.release = new CountDownLatch(1);

    Future<ToolCallOutcome> running = pool.submit(() -> k.call("ping", "{}"));
    assertTrue("call reached v1", v1.entered.await(10, TimeUnit.SECONDS));

    // the replacement arrives (higher ranking), then the old one is stopped while busy
    k.add(v2, "swap", 1);
    CountDownLatch unbinding = new CountDownLatch(1);
    Future<?> stopping =
        pool.submit(
            () -> {
              unbinding.countDown();
              stop(r1, v1);
            });
    unbinding.await();
    // the next call goes to v2 at once, while v1 still drains
    assertEquals("2", version(k.call("ping", "{}")));
    // a bounded look: a wrong implementation gets the chance to finish the stop
    assertFalse(
        "the stop waits for the running call",
        Poll.within(Duration.ofMillis(50), stopping::isDone));
    assertFalse(v1.stopped);

    v1.release.countDown();
    assertEquals("the running call finished on v1", "1", version(running.get(10, SECONDS)));
    stopping.get(10, SECONDS);
    assertTrue(v1.stopped);
    assertEquals(0, v1.afterStop.get());
    assertEquals("2", version(k.call("ping", "{}")));
    assertEquals(0, k.registry.inFlight());
  }

  @Test
  public void aCallAfterUnbindWithoutReplacementIsBackendUnavailableAtOnce() throws Exception {
    kernel(Duration.ofSeconds(30), Duration.ZERO);
    Versioned v1 = new Versioned("1");
    ServiceReference<Connector> r1 = k.add(v1, "swap", 0);
    assertEquals("1", version(k.call("ping", "{}")));
    v1.entered = new CountDownLatch(1);
    v1.release = new CountDownLatch(1);
    Future<ToolCallOutcome> running = pool.submit(() -> k.call("ping", "{}"));
    assertTrue(v1.entered.await(10, TimeUnit.SECONDS));
    Future<?> stopping = pool.submit(() -> stop(r1, v1));

    // while v1 drains, a new call is not handed to it: backend_unavailable, no wait
    Poll.waitFor(() -> k.registry.tools().isEmpty(), "the registry to empty");
    long t0 = System.nanoTime();
    ToolCallOutcome refused = k.call("ping", "{}");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(Status.ERROR, refused.status());
    assertTrue(refused.message(), refused.message().startsWith("backend_unavailable"));
    assertTrue("no hang, took " + ms + " ms", ms < 10_000);
    assertFalse(stopping.isDone());

    v1.release.countDown();
    assertEquals("1", version(running.get(10, SECONDS)));
    stopping.get(10, SECONDS);
    assertEquals(0, v1.afterStop.get());
    // after the uninstall: still the stable code, receipted as an error; never unknown_tool
    ToolCallOutcome after = k.call("ping", "{}");
    assertEquals(Status.ERROR, after.status());
    assertTrue(after.message(), after.message().startsWith("backend_unavailable"));
    ObjectNode receipt = last();
    assertEquals("error", receipt.get("decision").asText());
    assertTrue(receipt.get("message").asText().startsWith("backend_unavailable"));
    // a tool nobody ever offered stays unknown
    assertEquals("unknown_tool", k.call("never_there", "{}").reason());
  }

  @Test
  public void anUpdateGapIsBridgedByTheSwapGrace() throws Exception {
    kernel(Duration.ofSeconds(30), Duration.ofSeconds(20));
    Versioned v1 = new Versioned("1");
    ServiceReference<Connector> r1 = k.add(v1, "swap", 0);
    stop(r1, v1); // a bundle update: the old revision stops first ...
    Future<ToolCallOutcome> waiting = pool.submit(() -> k.call("ping", "{}"));
    assertFalse(
        "the call waits for the replacement", Poll.within(Duration.ofMillis(50), waiting::isDone));
    Versioned v2 = new Versioned("2");
    k.add(v2, "swap", 0); // ... then the new one registers
    assertEquals("2", version(waiting.get(10, SECONDS)));
    assertEquals(0, v1.afterStop.get());
  }

  @Test
  public void theSwapGraceIsBounded() throws Exception {
    kernel(Duration.ofSeconds(30), Duration.ofMillis(200));
    Versioned v1 = new Versioned("1");
    stop(k.add(v1, "swap", 0), v1);
    long t0 = System.nanoTime();
    ToolCallOutcome r = k.call("ping", "{}");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(r.message(), r.message().startsWith("backend_unavailable"));
    assertTrue("bounded by the grace, took " + ms + " ms", ms < 10_000);
    assertEquals(Status.ERROR, k.call("ping", "{}").status());
  }

  @Test
  public void theDrainWaitIsBounded() throws Exception {
    kernel(Duration.ofMillis(200), Duration.ZERO);
    Versioned v1 = new Versioned("1");
    ServiceReference<Connector> r1 = k.add(v1, "swap", 0);
    v1.entered = new CountDownLatch(1);
    v1.release = new CountDownLatch(1);
    Future<ToolCallOutcome> stuck = pool.submit(() -> k.call("ping", "{}"));
    assertTrue(v1.entered.await(10, TimeUnit.SECONDS));
    // a call that never ends cannot hold the stop of its bundle hostage
    pool.submit(() -> k.registry.unbindConnector(r1)).get(10, SECONDS);
    v1.release.countDown();
    assertEquals("1", version(stuck.get(10, SECONDS)));
    assertEquals(0, k.registry.inFlight());
  }

  @Test
  public void repeatedSwapsUnderConcurrentCallsNeverReachAStoppedConnector() throws Exception {
    kernel(Duration.ofSeconds(30), Duration.ofSeconds(10));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong ok = new AtomicLong();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    Versioned current = new Versioned("0");
    ServiceReference<Connector> ref = k.add(current, "swap", 0);
    List<Future<?>> callers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      callers.add(
          pool.submit(
              () -> {
                while (running.get()) {
                  ToolCallOutcome r = k.call("ping", "{}");
                  if (r.status() == Status.OK) {
                    ok.incrementAndGet();
                  } else if (failures.size() < 10) {
                    failures.add(r.toString());
                  }
                }
              }));
    }
    List<Versioned> all = new ArrayList<>(List.of(current));
    for (int n = 1; n <= 30; n++) {
      long before = ok.get();
      Poll.waitFor(() -> ok.get() > before + 20, "calls to flow again");
      Versioned next = new Versioned(String.valueOf(n));
      all.add(next);
      if (n % 2 == 0) {
        // an update: the old one stops, then the new one registers
        stop(ref, current);
        ref = k.add(next, "swap", 0);
      } else {
        // a higher-ranked replacement arrives, then the old one goes
        ServiceReference<Connector> nextRef = k.add(next, "swap", n);
        stop(ref, current);
        ref = nextRef;
      }
      current = next;
    }
    running.set(false);
    for (Future<?> f : callers) {
      f.get(30, SECONDS);
    }
    assertEquals("failed calls: " + failures, 0, failures.size());
    int reachedStopped = all.stream().mapToInt(v -> v.afterStop.get()).sum();
    assertEquals("calls handed to a stopped connector", 0, reachedStopped);
    assertTrue(ok.get() > 600);
    assertEquals(0, k.registry.inFlight());
  }

  private ObjectNode last() {
    List<ObjectNode> calls = k.receipts.toolCalls();
    return calls.get(calls.size() - 1);
  }

  private static final TimeUnit SECONDS = TimeUnit.SECONDS;
}
