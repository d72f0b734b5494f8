package dev.briefcase.runtime.cli;

import dev.briefcase.runtime.launcher.InstanceLock;
import dev.briefcase.runtime.mcp.BridgeLog;
import dev.briefcase.runtime.mcp.KernelStarter;
import dev.briefcase.runtime.mcp.McpEndpointResolver;
import dev.briefcase.runtime.mcp.StdioBridge;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code briefcase mcp}: the stdio MCP server for agents that spawn one, relaying to the running
 * kernel's MCP endpoint (see {@link StdioBridge}). Standard output carries only JSON-RPC lines.
 */
@Command(
    name = "mcp",
    description = {
      "Serve MCP over stdio (newline-delimited JSON-RPC) and relay it to the kernel's MCP"
          + " endpoint (<data dir>/mcp.url or $BRIEFCASE_MCP_URL). Logs go to standard error.",
      "If no kernel runs for the data directory, one is started in the background as with"
          + " `briefcase start --daemon`, unless --no-start."
    })
final class McpCommand implements Callable<Integer> {
  /** How long to wait for {@code mcp.url} once the kernel has been started or is starting. */
  static final Duration MCP_URL_WAIT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @Option(
      names = "--no-start",
      description =
          "Do not start the kernel when it is not running; answer requests with an error"
              + " instead (also $BRIEFCASE_MCP_NO_START=1).")
  boolean noStart;

  @Option(names = "--verbose", description = "Log method names and timings to standard error.")
  boolean verbose;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "300",
      description = "How long to wait for the kernel to start answering one request (default 300).")
  int timeoutSeconds;

  private BriefcaseCommand root() {
    return (BriefcaseCommand) spec.root().userObject();
  }

  @Override
  public Integer call() {
    BriefcaseCommand root = root();
    if (timeoutSeconds <= 0) {
      throw new CliException(ExitCodes.USAGE, "briefcase mcp: --timeout must be positive");
    }
    // the protocol owns standard output: anything printed by accident goes to standard error
    PrintStream protocolOut = System.out;
    System.setOut(System.err);
    BridgeLog log = new BridgeLog(System.err, verbose);
    boolean startAllowed = !noStart && !truthy(root.env.get("BRIEFCASE_MCP_NO_START"));
    McpEndpointResolver resolver =
        new McpEndpointResolver(
            root.env, root.dataDir(), !startAllowed, daemonStarter(root), log, MCP_URL_WAIT);
    StdioBridge bridge =
        new StdioBridge(resolver, protocolOut, log, Duration.ofSeconds(timeoutSeconds));
    return bridge.run(System.in);
  }

  /**
   * Starts the kernel exactly as {@code briefcase start --daemon} does (same command, same
   * environment, output to {@code <data dir>/logs/briefcased.log}); its success line is dropped
   * because standard output belongs to the protocol.
   */
  static KernelStarter daemonStarter(BriefcaseCommand root) {
    return (Path dataDir) -> {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          BriefcaseCommand.execute(
              root.env,
              root.userHome,
              root.home,
              new PrintWriter(out),
              new PrintWriter(err),
              "--data-dir",
              dataDir.toString(),
              "start",
              "--daemon");
      if (code != ExitCodes.OK) {
        String message = err.toString().strip();
        throw new CliException(code, message.isEmpty() ? "exit code " + code : message);
      }
      return InstanceLock.readPid(dataDir).orElse(-1);
    };
  }

  private static boolean truthy(String value) {
    if (value == null) {
      return false;
    }
    String v = value.strip().toLowerCase(Locale.ROOT);
    return v.equals("1") || v.equals("true") || v.equals("yes");
  }
}
