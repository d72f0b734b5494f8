package dev.briefcase.runtime.mcp;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/** Runs a {@link StdioBridge} on a thread with piped stdin and line-collecting stdout. */
final class BridgeHarness implements AutoCloseable {
  private static final long WAIT_MILLIS = 15_000;

  final ObjectMapper mapper = new ObjectMapper();
  private final List<String> lines = new ArrayList<>();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PipedOutputStream stdin = new PipedOutputStream();
  private final AtomicInteger exit = new AtomicInteger(Integer.MIN_VALUE);
  private final Thread runner;

  BridgeHarness(Function<BridgeLog, McpEndpointResolver> resolver, boolean verbose)
      throws IOException {
    this(resolver, verbose, null);
  }

  /** With {@code input}, stdin is that stream instead of a pipe the test writes to. */
  BridgeHarness(
      Function<BridgeLog, McpEndpointResolver> resolver, boolean verbose, InputStream input)
      throws IOException {
    InputStream in = input != null ? input : new PipedInputStream(stdin, 1 << 16);
    BridgeLog log = new BridgeLog(new PrintStream(errBytes, true, StandardCharsets.UTF_8), verbose);
    StdioBridge bridge =
        new StdioBridge(resolver.apply(log), new LineSink(), log, Duration.ofSeconds(20));
    runner = new Thread(() -> exit.set(bridge.run(in)), "bridge-under-test");
    runner.start();
  }

  void send(String json) throws IOException {
    stdin.write((json + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  void sendRaw(byte[] bytes) throws IOException {
    stdin.write(bytes);
    stdin.flush();
  }

  /** Waits for the first stdout line matching {@code test}; fails after a deadline. */
  JsonNode await(String what, Predicate<JsonNode> test) throws Exception {
    JsonNode found = Poll.firstWithin(Duration.ofMillis(WAIT_MILLIS), () -> first(test));
    if (found == null) {
      fail("no stdout line " + what + "; got " + lines());
    }
    return found;
  }

  private JsonNode first(Predicate<JsonNode> test) throws Exception {
    for (String line : lines()) {
      JsonNode node = mapper.readTree(line);
      if (test.test(node)) {
        return node;
      }
    }
    return null;
  }

  /** The stdout line answering {@code id} (a JSON literal such as {@code 2} or {@code "c3"}). */
  JsonNode response(String id) throws Exception {
    JsonNode want = mapper.readTree(id);
    return await("with id " + id, n -> !n.has("method") && n.has("id") && n.get("id").equals(want));
  }

  /** Closes stdin and returns the exit code. */
  int closeAndWait() throws Exception {
    stdin.close();
    return waitForExit();
  }

  int waitForExit() throws Exception {
    runner.join(WAIT_MILLIS * 2);
    assertTrue("the bridge did not exit after end of input", !runner.isAlive());
    return exit.get();
  }

  List<String> lines() {
    synchronized (lines) {
      return new ArrayList<>(lines);
    }
  }

  String stderr() {
    synchronized (errBytes) {
      return errBytes.toString(StandardCharsets.UTF_8);
    }
  }

  /** Every stdout line is one JSON-RPC 2.0 object. */
  void assertOnlyJsonRpc() throws IOException {
    for (String line : lines()) {
      JsonNode node = mapper.readTree(line);
      assertNotNull(node);
      assertTrue("not a JSON object: " + line, node.isObject());
      assertTrue("not JSON-RPC 2.0: " + line, "2.0".equals(node.path("jsonrpc").asText()));
    }
  }

  @Override
  public void close() throws IOException {
    stdin.close();
  }

  /** Collects whole lines; the bridge must write each message as one line. */
  private final class LineSink extends OutputStream {
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
      synchronized (lines) {
        if (b == '\n') {
          lines.add(current.toString(StandardCharsets.UTF_8));
          current.reset();
        } else {
          current.write(b);
        }
      }
    }
  }
}
