package dev.briefcase.itests.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * The official MCP conformance suite ({@code @modelcontextprotocol/conformance}, server mode)
 * against the gateway's streamable HTTP endpoint. Only the protocol scenarios run: the others call
 * tools, prompts or resources of the suite's own reference server by fixed names (see README.md for
 * every excluded scenario and why). A scenario fails the test if any of its checks is a FAILURE.
 * The gateway requires its bearer token, as it ships; {@link BearerProxy} sends it for the suite.
 */
@RunWith(Parameterized.class)
public class ConformanceIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Gateway gateway;
  private static BearerProxy proxy;

  /**
   * Protocol scenarios that depend on no tool, prompt or resource name of the suite; the system
   * property {@code briefcase.mcp.conformance.scenarios} (comma-separated) replaces the list.
   */
  @Parameters(name = "{0}")
  public static List<String> scenarios() {
    String override = System.getProperty("briefcase.mcp.conformance.scenarios", "").strip();
    if (!override.isEmpty()) {
      return List.of(override.split("\\s*,\\s*"));
    }
    return List.of("server-initialize", "ping", "tools-list", "dns-rebinding-protection");
  }

  private final String scenario;

  public ConformanceIT(String scenario) {
    this.scenario = scenario;
  }

  @BeforeClass
  public static void start() throws Exception {
    NodeTools.node(); // install first, so a broken npm shows as such and not as a gateway problem
    // The gateway as it ships: the bearer token is required, on loopback too. The suite's server
    // mode cannot send a header, so it talks to a loopback proxy that adds the token (see
    // BearerProxy for why a proxy and what it leaves untouched).
    gateway = Gateway.start("conformance", Map.of("BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS", "0"));
    String token =
        gateway.token().orElseThrow(() -> new AssertionError("the gateway wrote no mcp_token"));
    RawMcp.Reply without =
        new RawMcp(gateway.url(), Optional.empty()).post(RawMcp.initializeBody(1), null);
    assertEquals("the gateway under test requires the token: " + without, 401, without.status());
    proxy = BearerProxy.start(gateway.url(), token);
  }

  @AfterClass
  public static void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  public void scenarioPasses() throws Exception {
    Path out = NodeTools.jsDir().resolveSibling("target/conformance/" + scenario);
    deleteTree(out);
    Files.createDirectories(out);
    NodeTools.Result r =
        NodeTools.node(
            List.of(
                "node_modules/@modelcontextprotocol/conformance/dist/index.js",
                "server",
                "--url",
                proxy.url(),
                "--scenario",
                scenario,
                "-o",
                out.toString()),
            Map.of("NO_COLOR", "1"),
            Duration.ofMinutes(3));
    // The suite's own summary, for the build log.
    System.out.println("[conformance " + scenario + "]\n" + strip(r.stdout()) + strip(r.stderr()));

    List<JsonNode> checks = checks(out);
    assertFalse(
        "the suite wrote no checks.json under " + out + ":\n" + r.stdout(), checks.isEmpty());
    List<String> failures = new ArrayList<>();
    for (JsonNode c : checks) {
      if ("FAILURE".equals(c.path("status").asText())) {
        failures.add(
            c.path("id").asText()
                + ": "
                + c.path("errorMessage").asText(c.path("description").asText())
                + " "
                + c.path("details"));
      }
    }
    assertTrue(scenario + " failed checks:\n" + String.join("\n", failures), failures.isEmpty());
    assertTrue(
        scenario + " passed no check at all",
        checks.stream().anyMatch(c -> "SUCCESS".equals(c.path("status").asText())));
    assertEquals(scenario + " exit code; output:\n" + r.stdout(), 0, r.exit());
  }

  /** All checks of the newest run of this scenario in {@code out}. */
  private static List<JsonNode> checks(Path out) throws Exception {
    List<JsonNode> all = new ArrayList<>();
    Path newest;
    try (Stream<Path> s = Files.walk(out)) {
      newest =
          s.filter(p -> p.getFileName().toString().equals("checks.json"))
              .max((a, b) -> a.getParent().getFileName().compareTo(b.getParent().getFileName()))
              .orElse(null);
    }
    if (newest != null) {
      JSON.readTree(newest.toFile()).forEach(all::add);
    }
    return all;
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Without ANSI colour codes. */
  private static String strip(String s) {
    return s.replaceAll("\u001B\\[[0-9;]*m", "");
  }
}
