package dev.briefcase.runtime.launcher;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class PaymentHelperCommandTest {
  @Test
  public void splitsLikeAShellWithoutExpanding() {
    assertEquals(
        List.of("/opt/b c/bin/briefcase-pay", "--config", "/etc/pay conf.json", "$HOME", "a\"b"),
        PaymentHelperCommand.split(
            "  '/opt/b c/bin/briefcase-pay' --config \"/etc/pay conf.json\" $HOME a\\\"b "));
  }

  @Test
  public void unclosedQuotesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> PaymentHelperCommand.split("a 'b"));
    assertThrows(IllegalArgumentException.class, () -> PaymentHelperCommand.split("a \"b"));
    assertThrows(IllegalArgumentException.class, () -> PaymentHelperCommand.split("a \\"));
  }

  @Test
  public void theEnvironmentVariableBecomesBothRailsHelperCommand() throws Exception {
    Map<ConfigurationPid, Hashtable<String, Object>> configs = new LinkedHashMap<>();
    Hashtable<String, Object> x402 = new Hashtable<>();
    x402.put("helper_timeout_ms", 30000L);
    configs.put(ConfigurationPid.parse("dev.briefcase.rail.x402"), x402);
    LaunchSettings s =
        LaunchSettings.resolve(
            Map.of("BRIEFCASE_PAYMENT_HELPER", "/opt/bin/briefcase-pay --config /etc/pay.json"),
            Path.of("/home/u"),
            null,
            Path.of("/tmp/d"));
    PaymentHelperCommand.apply(configs, s.frameworkProperties());
    String[] expected = {"/opt/bin/briefcase-pay", "--config", "/etc/pay.json"};
    assertArrayEquals(expected, (String[]) x402.get("helper_command"));
    assertEquals(30000L, x402.get("helper_timeout_ms"));
    assertArrayEquals(
        expected,
        (String[])
            configs.get(ConfigurationPid.parse("dev.briefcase.rail.l402")).get("helper_command"));
  }

  @Test
  public void theConnectorsFeatureRailsGetTheCommandInsteadOfTheirEmptyDefault() throws Exception {
    Path features = Path.of(System.getProperty("briefcase.test.featuresDir", "../features"));
    Feature connectors = new FeatureReader().read(features.resolve("connectors.json"));
    LaunchSettings s =
        LaunchSettings.resolve(
            Map.of("BRIEFCASE_PAYMENT_HELPER", "/opt/bin/briefcase-pay --config /etc/pay.json"),
            Path.of("/home/u"),
            null,
            Path.of("/tmp/d"));
    Map<ConfigurationPid, Hashtable<String, Object>> configs =
        FeatureLauncher.configurations(connectors, s.frameworkProperties());
    for (String pid : PaymentHelperCommand.RAIL_PIDS) {
      assertArrayEquals(
          pid,
          new String[] {"/opt/bin/briefcase-pay", "--config", "/etc/pay.json"},
          (String[]) configs.get(ConfigurationPid.parse(pid)).get("helper_command"));
    }
  }

  @Test
  public void unsetLeavesTheRailsUnconfigured() {
    Map<ConfigurationPid, Hashtable<String, Object>> configs = new LinkedHashMap<>();
    PaymentHelperCommand.apply(configs, Map.of());
    assertTrue(configs.isEmpty());
  }

  @Test
  public void badQuotingStopsTheLaunch() {
    LaunchException e =
        assertThrows(
            LaunchException.class,
            () ->
                LaunchSettings.resolve(
                    Map.of("BRIEFCASE_PAYMENT_HELPER", "'/opt/bin/briefcase-pay"),
                    Path.of("/home/u"),
                    null,
                    Path.of("/tmp/d")));
    assertTrue(e.getMessage(), e.getMessage().contains("BRIEFCASE_PAYMENT_HELPER"));
  }
}
