package dev.briefcase.plugindirectory;

import java.time.Duration;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounds every {@link PluginDirectory} waits within, read in one place from framework
 * properties (milliseconds; a missing, blank, negative or malformed value keeps the default).
 *
 * @param drain how long unbinding a plugin waits for the calls running on it ({@value
 *     #DRAIN_PROPERTY}, default 30 s)
 * @param swapGrace how long after a plugin left a call for its key waits for a replacement (a
 *     bundle update stops the old revision before the new one registers) ({@value #GRACE_PROPERTY},
 *     default 2 s)
 * @param stopGrace how long a call that met a plugin failing as stopped waits for that plugin to be
 *     unbound before it retries on the successor ({@value #STOP_GRACE_PROPERTY}, default 0.5 s)
 */
public record DirectoryTimings(Duration drain, Duration swapGrace, Duration stopGrace) {
  /** Framework property: the drain timeout in milliseconds. */
  public static final String DRAIN_PROPERTY = "briefcase.plugin.drain.ms";

  /** Framework property: the swap grace in milliseconds. */
  public static final String GRACE_PROPERTY = "briefcase.plugin.swap.grace.ms";

  /** Framework property: the stop grace in milliseconds. */
  public static final String STOP_GRACE_PROPERTY = "briefcase.plugin.stop.grace.ms";

  /** The defaults: 30 s drain, 2 s swap grace, 0.5 s stop grace. */
  public static final DirectoryTimings DEFAULT =
      new DirectoryTimings(Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMillis(500));

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryTimings.class);

  public DirectoryTimings {
    if (drain.isNegative() || swapGrace.isNegative() || stopGrace.isNegative()) {
      throw new IllegalArgumentException("plugin directory timings must not be negative");
    }
  }

  /** The timings the framework properties of this context set. */
  public static DirectoryTimings from(BundleContext context) {
    return from(context::getProperty);
  }

  /** The timings a property lookup sets (framework properties, or a map in tests). */
  public static DirectoryTimings from(Function<String, String> property) {
    return new DirectoryTimings(
        millis(property.apply(DRAIN_PROPERTY), DEFAULT.drain),
        millis(property.apply(GRACE_PROPERTY), DEFAULT.swapGrace),
        millis(property.apply(STOP_GRACE_PROPERTY), DEFAULT.stopGrace));
  }

  private static Duration millis(String value, Duration fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      long ms = Long.parseLong(value.strip());
      return ms >= 0 ? Duration.ofMillis(ms) : fallback;
    } catch (NumberFormatException e) {
      // a typo in a tuning knob must not stop the kernel
      LOG.warn("ignoring a malformed plugin timing property: {}", value.strip());
      return fallback;
    }
  }
}
