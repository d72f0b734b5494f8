package dev.briefcase.itests.kernel;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * While four threads call {@code echo} without pause, a second connector bundle is installed,
 * updated and uninstalled. No call may fail, and its tool must appear and disappear.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject ToolCallService tools;
  @Inject BundleContext context;

  @Configuration
  public Option[] config() {
    return RuntimeOptions.coreWithTestConnector(EXTRA_JAR);
  }

  /** The test connector jar, found outside the framework and handed in as a system property. */
  static final String EXTRA_JAR = "briefcase.it.extraConnector";

  @Test
  public void connectorSwapUnderLoadDropsNoCall() throws Exception {
    Path jar = Path.of(System.getProperty(EXTRA_JAR));
    assertTrue("test connector not built: " + jar, Files.isRegularFile(jar));

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  ToolCallOutcome r = call("echo", "{\"text\":\"swap\"}");
                  if (r.status() == ToolCallOutcome.Status.OK) {
                    ok.incrementAndGet();
                  } else {
                    failed.incrementAndGet();
                  }
                }
              },
              "echo-caller-" + i);
      t.start();
      callers.add(t);
    }
    try {
      waitFor(() -> ok.get() > 200, "echo calls to start succeeding");

      Bundle extra;
      try (InputStream in = Files.newInputStream(jar)) {
        extra = context.installBundle("itest:extra-connector", in);
      }
      extra.start();
      waitFor(() -> hasTool("extra_ping"), "extra_ping to appear after install");
      assertEquals(ToolCallOutcome.Status.OK, call("extra_ping", "{}").status());
      long afterInstall = ok.get();

      try (InputStream in = Files.newInputStream(jar)) {
        extra.update(in);
      }
      waitFor(() -> hasTool("extra_ping"), "extra_ping to be served after update");
      waitFor(
          () -> call("extra_ping", "{}").status() == ToolCallOutcome.Status.OK,
          "extra_ping to answer after update");
      long afterUpdate = ok.get();

      extra.uninstall();
      waitFor(() -> !hasTool("extra_ping"), "extra_ping to disappear after uninstall");
      // a tool whose connector left is a backend that is gone: a fast error, never unknown_tool
      ToolCallOutcome gone = call("extra_ping", "{}");
      assertEquals(ToolCallOutcome.Status.ERROR, gone.status());
      assertTrue(gone.message(), gone.message().startsWith("backend_unavailable"));
      waitFor(() -> ok.get() > afterUpdate + 200, "echo calls to continue after uninstall");

      System.out.printf(
          "hot swap: %d echo calls ok, %d failed (ok after install %d, after update %d)%n",
          ok.get(), failed.get(), afterInstall, afterUpdate);
    } finally {
      running.set(false);
      for (Thread t : callers) {
        t.join(10_000);
      }
    }
    assertEquals("failed echo calls during the swap", 0, failed.get());
    assertFalse(hasTool("extra_ping"));
  }

  /**
   * The drain guarantee with the real Felix SCR: a slow call is running on the connector when its
   * bundle is uninstalled. The uninstall waits for it (DS unbinds the kernel's reference before it
   * deactivates the component, and the kernel's unbind drains), so the call finishes on a live
   * component; the next call fails fast with backend_unavailable.
   */
  @Test
  public void uninstallWaitsForTheRunningCallAndTheNextFailsFast() throws Exception {
    Path jar = Path.of(System.getProperty(EXTRA_JAR));
    Bundle extra;
    try (InputStream in = Files.newInputStream(jar)) {
      extra = context.installBundle("itest:extra-connector-drain", in);
    }
    extra.start();
    waitFor(() -> hasTool("extra_slow"), "extra_slow to appear");
    java.util.concurrent.atomic.AtomicReference<ToolCallOutcome> slow =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread caller = new Thread(() -> slow.set(call("extra_slow", "{\"ms\":1500}")), "slow-call");
    caller.start();
    waitFor(() -> insideExtraTools(caller), "the slow call to be inside the connector");
    long t0 = System.nanoTime();
    extra.uninstall();
    long uninstallMs = (System.nanoTime() - t0) / 1_000_000;
    caller.join(30_000);
    ToolCallOutcome r = slow.get();
    assertEquals(
        "the running call finished on the old, still active component: " + r,
        ToolCallOutcome.Status.OK,
        r.status());
    ToolCallOutcome next = call("extra_slow", "{\"ms\":0}");
    assertEquals(ToolCallOutcome.Status.ERROR, next.status());
    assertTrue(next.message(), next.message().startsWith("backend_unavailable"));
    System.out.printf(
        "drain: uninstall returned after %d ms, once the running call was done%n", uninstallMs);
  }

  private boolean hasTool(String id) {
    return tools.listTools().stream().map(ToolSpec::id).anyMatch(id::equals);
  }

  private ToolCallOutcome call(String tool, String args) {
    try {
      return tools.call(
          new ToolCallRequest(
              tool,
              JSON.readTree(args),
              new CallContext(UUID.randomUUID().toString(), null, null, "itest"),
              null));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code t} is running the test connector's code (the slow tool sleeps there). */
  private static boolean insideExtraTools(Thread t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().endsWith(".ExtraTools")) {
        return true;
      }
    }
    return false;
  }

  // This test runs inside the framework (Pax Exam probe), where testing/fixtures' Poll is not
  // deployed: the same deadline polling, kept here.
  private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
