package dev.briefcase.itests.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.Assume;

/**
 * The built distribution with its MCP gateway on a random loopback port. The gateway writes {@code
 * <data_dir>/mcp.url} while it serves; until the gateway bundle is part of the distribution that
 * file never appears and the tests are skipped with a message saying so (not failed, not silently
 * passed).
 */
final class Gateway implements AutoCloseable {
  /** How long after the kernel is ready the gateway may take to write {@code mcp.url}. */
  static final Duration URL_WAIT = Duration.ofSeconds(20);

  final Distribution dist;
  private final String url;

  private Gateway(Distribution dist, String url) {
    this.dist = dist;
    this.url = url;
  }

  /**
   * Starts a distribution in a fresh data directory with {@code
   * BRIEFCASE_MCP_HTTP_ADDR=127.0.0.1:0} plus {@code env}, and waits for {@code mcp.url}; skips the
   * calling test (class) if it never appears.
   */
  static Gateway start(String name, Map<String, String> env) throws Exception {
    return start(name, env, new String[0]);
  }

  /** As {@link #start(String, Map)}, with extra {@code briefcase start} arguments. */
  static Gateway start(String name, Map<String, String> env, String... startArgs) throws Exception {
    Distribution d = new Distribution(Files.createTempDirectory("briefcase-mcp-" + name));
    d.startArgs(startArgs);
    d.env("BRIEFCASE_MCP_HTTP_ADDR", "127.0.0.1:0");
    env.forEach(d::env);
    d.start();
    Optional<String> url = awaitUrl(d.dataDir, URL_WAIT);
    if (url.isEmpty()) {
      d.close();
      String why =
          "SKIPPED: the MCP gateway did not write "
              + d.dataDir.resolve("mcp.url")
              + " within "
              + URL_WAIT.toSeconds()
              + " s of the kernel being ready (bundle gateway-mcp missing from the distribution?)"
              + "; runtime log: "
              + d.logFile;
      System.out.println("[mcp-itests] " + name + ": " + why);
      Assume.assumeTrue(why, false);
    }
    System.out.println("[mcp-itests] " + name + ": gateway at " + url.get());
    return new Gateway(d, url.get());
  }

  /** Polls for a non-empty {@code mcp.url} until the deadline. */
  static Optional<String> awaitUrl(Path dataDir, Duration timeout) throws Exception {
    Path file = dataDir.resolve("mcp.url");
    return Optional.ofNullable(Poll.firstWithin(timeout, () -> Poll.textOrNull(file)));
  }

  /** The streamable HTTP endpoint, e.g. {@code http://127.0.0.1:PORT/mcp}. */
  String url() {
    return url;
  }

  /** The gateway's bearer token file if the gateway wants one ({@code <data_dir>/mcp_token}). */
  Optional<Path> tokenFile() {
    Path f = dist.dataDir.resolve("mcp_token");
    return Files.exists(f) ? Optional.of(f) : Optional.empty();
  }

  /** The gateway's bearer token, if it wants one. */
  Optional<String> token() throws IOException {
    Optional<Path> f = tokenFile();
    return f.isPresent() ? Optional.of(Files.readString(f.get()).strip()) : Optional.empty();
  }

  /** {@code GET /v1/approvals}: the pending approvals. */
  List<JsonNode> pendingApprovals() throws Exception {
    Distribution.Answer a = dist.get("/v1/approvals");
    if (a.status() != 200) {
      throw new IOException("GET /v1/approvals -> " + a.status() + " " + a.body());
    }
    List<JsonNode> out = new ArrayList<>();
    a.json().path("approvals").forEach(out::add);
    return out;
  }

  /** {@code POST /v1/approvals/{id}/approve} with the admin bearer. */
  JsonNode approve(String id) throws Exception {
    Distribution.Answer a = dist.post("/v1/approvals/" + id + "/approve", "");
    if (a.status() != 200) {
      throw new IOException("approve " + id + " -> " + a.status() + " " + a.body());
    }
    return a.json();
  }

  /** The {@code tool_call} receipt events, oldest first. */
  List<JsonNode> toolCallReceipts() throws Exception {
    Distribution.Answer a = dist.get("/v1/receipts?limit=500&offset=0");
    if (a.status() != 200) {
      throw new IOException("GET /v1/receipts -> " + a.status() + " " + a.body());
    }
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : a.json().path("receipts")) {
      if ("tool_call".equals(r.path("event").path("type").asText())) {
        out.add(0, r.path("event"));
      }
    }
    return out;
  }

  /** The number of {@code tool_call} receipts for {@code toolId} with {@code decision}. */
  long count(List<JsonNode> receipts, String toolId, String decision) {
    return receipts.stream()
        .filter(e -> toolId.equals(e.path("tool_id").asText()))
        .filter(e -> decision.equals(e.path("decision").asText()))
        .count();
  }

  /** {@code POST /v1/receipts/verify}. */
  JsonNode verify() throws Exception {
    return dist.post("/v1/receipts/verify", "").json();
  }

  @Override
  public void close() throws InterruptedException {
    dist.close();
  }
}
