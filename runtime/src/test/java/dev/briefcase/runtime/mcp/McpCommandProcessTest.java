package dev.briefcase.runtime.mcp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code bin/briefcase mcp} as an MCP client runs it: a child process whose standard output must
 * carry only JSON-RPC lines. The distribution's {@code lib/} is filled before tests run, but its
 * runtime jar only at {@code package}; so the test runs the distribution's script from a copy whose
 * {@code lib/} holds the distribution's third-party jars plus a jar of the classes just compiled.
 */
public class McpCommandProcessTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ObjectMapper mapper = new ObjectMapper();
  private Path home;

  @Before
  public void setUp() throws Exception {
    String bundleDir = System.getProperty("briefcase.test.bundleDir");
    Path dist =
        bundleDir != null
            ? Path.of(bundleDir).getParent()
            : Path.of("target", "briefcase").toAbsolutePath();
    Path script = dist.resolve("bin").resolve("briefcase");
    Path lib = dist.resolve("lib");
    Path classes = Path.of("target", "classes").toAbsolutePath();
    assumeTrue(
        "skipped: no " + script + " (build the distribution first: mvn -pl runtime package)",
        Files.isRegularFile(script));
    assumeTrue("skipped: no " + lib, Files.isDirectory(lib));
    assumeTrue(
        "skipped: no compiled classes in " + classes,
        Files.isRegularFile(classes.resolve("dev/briefcase/runtime/mcp/StdioBridge.class")));

    home = tmp.newFolder("home").toPath();
    Files.createDirectories(home.resolve("bin"));
    Files.copy(script, home.resolve("bin").resolve("briefcase"));
    Path homeLib = Files.createDirectories(home.resolve("lib"));
    try (Stream<Path> jars = Files.list(lib)) {
      for (Path jar : (Iterable<Path>) jars::iterator) {
        String name = jar.getFileName().toString();
        if (name.endsWith(".jar") && !name.startsWith("dev.briefcase.runtime")) {
          Files.createSymbolicLink(homeLib.resolve(name), jar);
        }
      }
    }
    jar(classes, homeLib.resolve("dev.briefcase.runtime-test.jar"));
  }

  private static void jar(Path classes, Path target) throws IOException {
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target));
        Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(file)) {
          out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
          Files.copy(file, out);
          out.closeEntry();
        }
      }
    }
  }

  private record Run(int exit, List<String> stdout, String stderr) {}

  private Run run(Map<String, String> env, String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("sh", home.resolve("bin/briefcase").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("BRIEFCASE_"));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Process p = pb.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    assertTrue("briefcase mcp did not exit after end of input", p.waitFor(60, TimeUnit.SECONDS));
    String stdout = out.get(10, TimeUnit.SECONDS);
    return new Run(
        p.exitValue(), stdout.isEmpty() ? List.of() : List.of(stdout.split("\n", -1)), err.get());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Every line but the final empty one is a JSON-RPC object; returns them. */
  private List<JsonNode> jsonRpcLines(Run run) throws IOException {
    List<String> lines = run.stdout();
    assertTrue("stdout must end with a newline: " + lines, lines.get(lines.size() - 1).isEmpty());
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : lines.subList(0, lines.size() - 1)) {
      JsonNode node = mapper.readTree(line);
      assertTrue("not JSON-RPC on stdout: " + line, node.isObject());
      assertEquals("not JSON-RPC on stdout: " + line, "2.0", node.path("jsonrpc").asText());
      nodes.add(node);
    }
    return nodes;
  }

  @Test
  public void stdoutCarriesOnlyJsonRpc() throws Exception {
    try (FakeMcpServer server = new FakeMcpServer(null)) {
      String stdin =
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
              + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
              + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
              + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n"
              + "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
              + "\"_meta\":{\"progressToken\":1}}}\n";
      Run run =
          run(
              Map.of(
                  "BRIEFCASE_MCP_URL",
                  server.url(),
                  "BRIEFCASE_DATA_DIR",
                  tmp.newFolder("data").toString()),
              stdin,
              "mcp",
              "--no-start",
              "--verbose");
      assertEquals(run.stderr(), 0, run.exit());
      Set<String> ids = new HashSet<>();
      for (JsonNode node : jsonRpcLines(run)) {
        if (node.has("id")) {
          ids.add(node.get("id").asText());
        }
      }
      assertEquals(Set.of("1", "2", "3"), ids);
      assertTrue("verbose logs go to stderr: " + run.stderr(), run.stderr().contains("tools/call"));
      assertTrue(server.deleted.await(5, TimeUnit.SECONDS));
    }
  }

  @Test
  public void noStartWithoutKernelAnswersWithAnErrorAndExits4() throws Exception {
    Run run =
        run(
            Map.of("BRIEFCASE_DATA_DIR", tmp.newFolder("empty").toString()),
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}\n",
            "mcp",
            "--no-start");
    assertEquals(run.stderr(), 4, run.exit());
    List<JsonNode> lines = jsonRpcLines(run);
    assertEquals(1, lines.size());
    assertEquals(-32603, lines.get(0).path("error").path("code").asInt());
    assertTrue(
        run.stderr(), run.stderr().contains("briefcase mcp: " + McpEndpointResolver.NOT_RUNNING));
  }
}
