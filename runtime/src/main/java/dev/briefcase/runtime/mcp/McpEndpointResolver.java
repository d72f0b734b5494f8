package dev.briefcase.runtime.mcp;

import dev.briefcase.runtime.launcher.InstanceLock;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the kernel's MCP endpoint: {@code $BRIEFCASE_MCP_URL}, else {@code <data_dir>/mcp.url}
 * written by the gateway while it serves. The data directory's instance lock decides whether a
 * kernel runs, so a {@code mcp.url} left behind by a crashed kernel is recognised as stale. When no
 * kernel runs, one is started with the {@link KernelStarter} (once per bridge) unless {@code
 * noStart}. The bearer token comes from {@code $BRIEFCASE_MCP_TOKEN_FILE}, else {@code
 * <data_dir>/mcp_token} if it exists. Thread-safe: callers are serialised.
 */
public final class McpEndpointResolver {
  /** The file in the data directory that holds the endpoint URL while the gateway serves. */
  public static final String URL_FILE = "mcp.url";

  /** The file in the data directory that holds the gateway's bearer token, if it wants one. */
  public static final String TOKEN_FILE = "mcp_token";

  /** The message (stderr and JSON-RPC) when no kernel runs and starting one is not allowed. */
  public static final String NOT_RUNNING =
      "Briefcase is not running; start it with `briefcase start --daemon`";

  private static final long POLL_MILLIS = 100;

  private final Map<String, String> env;
  private final Path dataDir;
  private final boolean noStart;
  private final KernelStarter starter;
  private final BridgeLog log;
  private final Duration wait;

  private boolean startAttempted;
  private String startFailure;
  private boolean waitedForUrl;
  private String lastLogged;

  /**
   * @param env the environment ({@code BRIEFCASE_MCP_URL}, {@code BRIEFCASE_MCP_TOKEN_FILE})
   * @param dataDir the kernel's data directory
   * @param noStart fail instead of starting a kernel when none runs
   * @param starter starts a kernel in the background
   * @param log the bridge log
   * @param wait how long to wait for {@code mcp.url} after a start (or while a kernel starts)
   */
  public McpEndpointResolver(
      Map<String, String> env,
      Path dataDir,
      boolean noStart,
      KernelStarter starter,
      BridgeLog log,
      Duration wait) {
    this.env = Map.copyOf(env);
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.noStart = noStart;
    this.starter = starter;
    this.log = log;
    this.wait = wait;
  }

  /** The endpoint, starting the kernel first if needed and allowed. */
  synchronized McpEndpoint resolve() throws BridgeUnavailableException, InterruptedException {
    String explicit = env.get("BRIEFCASE_MCP_URL");
    if (explicit != null && !explicit.isBlank()) {
      return endpoint(explicit.strip(), "$BRIEFCASE_MCP_URL");
    }
    Path urlFile = dataDir.resolve(URL_FILE);
    if (InstanceLock.isHeld(dataDir)) {
      Optional<String> url = readUrl(urlFile);
      if (url.isEmpty() && !waitedForUrl) {
        waitedForUrl = true; // the kernel may still be starting; wait once, not per message
        url = awaitUrl(urlFile);
      }
      if (url.isEmpty()) {
        throw unavailable(
            "Briefcase is running but serves no MCP endpoint (no "
                + urlFile
                + "; is the MCP gateway installed?)");
      }
      return endpoint(url.get(), urlFile.toString());
    }
    // no kernel holds the data directory, so an mcp.url here is stale
    if (noStart) {
      throw unavailable(NOT_RUNNING);
    }
    if (startAttempted) {
      throw new BridgeUnavailableException(startFailure);
    }
    startAttempted = true;
    startFailure = NOT_RUNNING;
    try {
      Files.deleteIfExists(urlFile);
    } catch (IOException e) {
      // unreadable data directory: the start below reports it
    }
    long pid;
    try {
      pid = starter.start(dataDir);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      if (!InstanceLock.isHeld(dataDir)) {
        startFailure = "Briefcase could not be started: " + firstLine(e.getMessage());
        throw unavailable(startFailure);
      }
      pid = InstanceLock.readPid(dataDir).orElse(-1); // another client started it just now
    }
    Optional<String> url = awaitUrl(urlFile);
    waitedForUrl = true;
    if (url.isEmpty()) {
      startFailure =
          "Briefcase started (data dir "
              + dataDir
              + ") but serves no MCP endpoint after "
              + wait.toSeconds()
              + " s (no "
              + urlFile
              + "; is the MCP gateway installed?)";
      throw unavailable(startFailure);
    }
    log.info(
        "started the Briefcase kernel (pid "
            + (pid > 0 ? Long.toString(pid) : "unknown")
            + ", data dir "
            + dataDir
            + ")");
    return endpoint(url.get(), urlFile.toString());
  }

  /** The data directory this resolver looks in. */
  Path dataDir() {
    return dataDir;
  }

  /** Logs {@code message} unless it was the last one logged: one line per condition. */
  private BridgeUnavailableException unavailable(String message) {
    if (!message.equals(lastLogged)) {
      lastLogged = message;
      log.info(message);
    }
    return new BridgeUnavailableException(message);
  }

  private Optional<String> awaitUrl(Path urlFile) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      Optional<String> url = readUrl(urlFile);
      if (url.isPresent() || System.nanoTime() >= deadline) {
        return url;
      }
      Thread.sleep(POLL_MILLIS);
    }
  }

  private static Optional<String> readUrl(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? Optional.empty() : Optional.of(text);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private McpEndpoint endpoint(String url, String source) throws BridgeUnavailableException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw unavailable("invalid MCP endpoint URL in " + source);
    }
    if (uri.getHost() == null
        || !("http".equalsIgnoreCase(uri.getScheme())
            || "https".equalsIgnoreCase(uri.getScheme()))) {
      throw unavailable("invalid MCP endpoint URL in " + source + " (need http://host:port/path)");
    }
    return new McpEndpoint(uri, token());
  }

  private String token() throws BridgeUnavailableException {
    String configured = env.get("BRIEFCASE_MCP_TOKEN_FILE");
    Path file =
        configured != null && !configured.isBlank()
            ? Path.of(configured.strip())
            : dataDir.resolve(TOKEN_FILE);
    String token;
    try {
      token = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      if (configured != null && !configured.isBlank()) {
        log.info("no MCP token file at " + file + " ($BRIEFCASE_MCP_TOKEN_FILE); sending none");
      }
      return null;
    }
    if (token.isEmpty()) {
      return null;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw unavailable("the MCP token in " + file + " is not a valid bearer token");
      }
    }
    return token;
  }

  private static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "unknown error";
    }
    String line = message.strip();
    int nl = line.indexOf('\n');
    if (nl >= 0) {
      line = line.substring(0, nl).strip();
    }
    return line.startsWith("briefcase: ") ? line.substring("briefcase: ".length()) : line;
  }
}
