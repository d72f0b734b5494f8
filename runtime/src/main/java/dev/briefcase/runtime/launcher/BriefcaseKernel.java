package dev.briefcase.runtime.launcher;

import dev.briefcase.edge.OneLine;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;

/**
 * A running kernel: the started framework plus the instance lock of its data directory. {@link
 * #stop} and {@link #awaitStop} may be called from different threads (the shutdown hook and the
 * main thread); clean-up happens once.
 */
public final class BriefcaseKernel {
  /** Written by the admin API bundle: {@code http://127.0.0.1:PORT}. */
  public static final String ADMIN_URL_FILE = "admin.url";

  /** The features the running kernel was launched with, in its data directory (JSON array). */
  public static final String FEATURES_FILE = "features.json";

  private final Framework framework;
  private final InstanceLock lock;
  private final LaunchSettings settings;
  private final PrintStream log;
  private final long startNanos;
  private boolean closed;

  BriefcaseKernel(
      Framework framework,
      InstanceLock lock,
      LaunchSettings settings,
      PrintStream log,
      long startNanos) {
    this.framework = framework;
    this.lock = lock;
    this.settings = settings;
    this.log = log;
    this.startNanos = startNanos;
  }

  /** The framework, for tests and diagnostics. */
  public Framework framework() {
    return framework;
  }

  /** The settings it was started with. */
  public LaunchSettings settings() {
    return settings;
  }

  /** Time from the start of {@link FeatureLauncher#launch} to the last start level. */
  public Duration startTime() {
    return Duration.ofNanos(startNanos);
  }

  /**
   * Waits until the admin API has written {@code <data_dir>/admin.url}.
   *
   * @return the URL, or empty if it did not appear within {@code timeout}
   */
  public Optional<String> awaitAdminUrl(Duration timeout) throws InterruptedException {
    Path file = settings.dataDir().resolve(ADMIN_URL_FILE);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<String> url = readAdminUrl(file);
      if (url.isPresent()) {
        return url;
      }
      if (System.nanoTime() >= deadline
          || framework.getState() != org.osgi.framework.Bundle.ACTIVE) {
        return Optional.empty();
      }
      Thread.sleep(25);
    }
  }

  static Optional<String> readAdminUrl(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).trim();
      return text.isEmpty() ? Optional.empty() : Optional.of(text);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Blocks until the framework has stopped (for any reason), then cleans up. */
  public void awaitStop() throws InterruptedException {
    framework.waitForStop(0);
    cleanUp();
  }

  /**
   * Stops the framework and waits for it, at most {@code timeout}.
   *
   * @return whether it stopped in time
   */
  public boolean stop(Duration timeout) {
    boolean stopped = true;
    try {
      framework.stop();
      FrameworkEvent event = framework.waitForStop(Math.max(1, timeout.toMillis()));
      if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
        log.println(
            "briefcase: warning: the framework did not stop within " + timeout.toSeconds() + " s");
        stopped = false;
      }
    } catch (BundleException | RuntimeException e) {
      log.println("briefcase: warning: stop failed: " + OneLine.firstLine(e));
      stopped = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = false;
    }
    cleanUp();
    return stopped;
  }

  private synchronized void cleanUp() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Files.deleteIfExists(settings.dataDir().resolve(ADMIN_URL_FILE));
    } catch (IOException e) {
      // a stale admin.url is removed by the next start
    }
    lock.close();
  }
}
