package dev.briefcase.itests.kernel;

import dev.briefcase.tools.ToolCallOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * What the hot-swap tests share inside the framework (the Pax Exam probe, where testing/fixtures'
 * Poll is not deployed): threads that call a tool without pause and count good answers and failures
 * by outcome, a deadline poll, and a bundle by symbolic name.
 */
final class SwapLoad implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong ok = new AtomicLong();
  private final Map<String, Long> failures = new ConcurrentHashMap<>();
  private final List<Thread> callers = new ArrayList<>();
  private final Duration join;

  private SwapLoad(Duration join) {
    this.join = join;
  }

  /**
   * Starts {@code threads} callers of {@code call}; an outcome {@code good} accepts counts as ok,
   * any other as a failure keyed by its status, message and content.
   */
  static SwapLoad start(
      int threads,
      String name,
      Supplier<ToolCallOutcome> call,
      Predicate<ToolCallOutcome> good,
      Duration join) {
    SwapLoad load = new SwapLoad(join);
    for (int i = 0; i < threads; i++) {
      Thread t =
          new Thread(
              () -> {
                while (load.running.get()) {
                  ToolCallOutcome r = call.get();
                  if (good.test(r)) {
                    load.ok.incrementAndGet();
                  } else {
                    load.failures.merge(
                        r.status() + " " + r.message() + " " + r.content(), 1L, Long::sum);
                  }
                }
              },
              name + "-caller-" + i);
      t.start();
      load.callers.add(t);
    }
    return load;
  }

  long ok() {
    return ok.get();
  }

  Map<String, Long> failures() {
    return failures;
  }

  /** Stops the callers and waits for each to finish its call. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread t : callers) {
      t.join(join.toMillis());
    }
  }

  static void waitFor(BooleanSupplier condition, String what, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  /** The installed bundle with this symbolic name, or null. */
  static Bundle bundle(BundleContext context, String symbolicName) {
    for (Bundle b : context.getBundles()) {
      if (symbolicName.equals(b.getSymbolicName())) {
        return b;
      }
    }
    return null;
  }
}
