package dev.briefcase.plugindirectory;

import static org.junit.Assert.assertEquals;

import java.time.Duration;
import java.util.Map;
import org.junit.Test;

public class DirectoryTimingsTest {
  @Test
  public void unsetPropertiesKeepTheDefaults() {
    assertEquals(DirectoryTimings.DEFAULT, DirectoryTimings.from(Map.<String, String>of()::get));
    assertEquals(Duration.ofSeconds(30), DirectoryTimings.DEFAULT.drain());
    assertEquals(Duration.ofSeconds(2), DirectoryTimings.DEFAULT.swapGrace());
    assertEquals(Duration.ofMillis(500), DirectoryTimings.DEFAULT.stopGrace());
  }

  @Test
  public void thePropertiesSetTheTimingsInMilliseconds() {
    Map<String, String> props =
        Map.of(
            DirectoryTimings.DRAIN_PROPERTY, "1500",
            DirectoryTimings.GRACE_PROPERTY, " 250 ",
            DirectoryTimings.STOP_GRACE_PROPERTY, "0");
    assertEquals(
        new DirectoryTimings(Duration.ofMillis(1500), Duration.ofMillis(250), Duration.ZERO),
        DirectoryTimings.from(props::get));
  }

  @Test
  public void negativeOrMalformedValuesKeepTheDefault() {
    Map<String, String> props =
        Map.of(
            DirectoryTimings.DRAIN_PROPERTY, "-1",
            DirectoryTimings.GRACE_PROPERTY, "2s",
            DirectoryTimings.STOP_GRACE_PROPERTY, " ");
    assertEquals(DirectoryTimings.DEFAULT, DirectoryTimings.from(props::get));
  }

  @Test(expected = IllegalArgumentException.class)
  public void aNegativeDurationIsRefused() {
    new DirectoryTimings(Duration.ofMillis(-1), Duration.ZERO, Duration.ZERO);
  }
}
