package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.runtime.launcher.BriefcaseKernel;
import dev.briefcase.runtime.launcher.LaunchSettings;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code briefcase} command: starts and stops the kernel and drives the admin API. Global
 * options may be given before or after the subcommand.
 */
@Command(
    name = "briefcase",
    mixinStandardHelpOptions = true,
    versionProvider = BriefcaseCommand.Version.class,
    description = "The trust boundary between AI agents and credentials, keys and money.",
    subcommands = {
      StartCommand.class,
      StopCommand.class,
      StatusCommand.class,
      ToolsCommand.class,
      ApprovalsCommand.class,
      ReceiptsCommand.class,
      BudgetsCommand.class,
      PaymentsCommand.class,
      PolicyCommand.class,
      PluginsCommand.class,
      KeysCommand.class,
      ProvidersCommand.class,
      ProviderCommand.class,
      LoginCommand.class,
      RevokeCommand.class,
      SecretsCommand.class,
      McpCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "1:error or denied",
      "2:usage",
      "3:approval required",
      "4:not running / cannot connect",
      "5:receipt chain verification failed",
      "6:provider check: a contract check failed"
    })
public final class BriefcaseCommand implements Runnable {

  @Option(
      names = "--data-dir",
      scope = ScopeType.INHERIT,
      paramLabel = "DIR",
      description = "Data directory (default: $BRIEFCASE_DATA_DIR or the platform data dir).")
  Path dataDir;

  @Option(
      names = "--url",
      scope = ScopeType.INHERIT,
      paramLabel = "URL",
      description = "Admin API URL (default: $BRIEFCASE_DAEMON_BASE_URL or <data dir>/admin.url).")
  String url;

  @Option(
      names = "--token-file",
      scope = ScopeType.INHERIT,
      paramLabel = "FILE",
      description = "Admin token file (default: <data dir>/auth_token).")
  Path tokenFile;

  final Map<String, String> env;
  final Path userHome;
  final Path home;
  final ObjectMapper mapper = new ObjectMapper();

  /**
   * @param env the environment ({@code System.getenv()} in production)
   * @param userHome the user's home directory
   * @param home the distribution directory, or null when not run from a distribution
   */
  public BriefcaseCommand(Map<String, String> env, Path userHome, Path home) {
    this.env = Map.copyOf(env);
    this.userHome = userHome;
    this.home = home;
  }

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command is required (see briefcase --help)");
  }

  /** Runs the command line and returns the exit code (used by {@link #main} and by tests). */
  public static int execute(
      Map<String, String> env,
      Path userHome,
      Path home,
      PrintWriter out,
      PrintWriter err,
      String... args) {
    CommandLine cli = new CommandLine(new BriefcaseCommand(env, userHome, home));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof CliException ce) {
            commandLine.getErr().println(ce.getMessage());
            commandLine.getErr().flush();
            return ce.exitCode();
          }
          commandLine.getErr().println("briefcase: internal error: " + ex);
          commandLine.getErr().flush();
          return ExitCodes.ERROR;
        });
    try {
      return cli.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** Entry point of {@code bin/briefcase}. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code =
        execute(
            System.getenv(),
            Path.of(System.getProperty("user.home")),
            detectHome(),
            out,
            err,
            args);
    // "start" in the foreground returns only when the kernel has stopped
    System.exit(code);
  }

  /**
   * The distribution directory: {@code -Dbriefcase.home}, {@code $BRIEFCASE_HOME}, or the parent of
   * the {@code lib/} folder this class was loaded from.
   */
  static Path detectHome() {
    String prop = System.getProperty("briefcase.home");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    String env = System.getenv("BRIEFCASE_HOME");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath().normalize();
    }
    try {
      Path jar =
          Path.of(
              BriefcaseCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path lib = jar.getParent();
      if (lib != null && lib.getFileName() != null && lib.getFileName().toString().equals("lib")) {
        return lib.getParent();
      }
    } catch (URISyntaxException | RuntimeException e) {
      // not run from a distribution
    }
    return null;
  }

  /** The data directory: {@code --data-dir}, {@code $BRIEFCASE_DATA_DIR}, or the default. */
  Path dataDir() {
    return (dataDir != null ? dataDir : LaunchSettings.defaultDataDir(env, userHome))
        .toAbsolutePath()
        .normalize();
  }

  /** The admin URL if one is known, without contacting it. */
  Optional<String> adminUrl() {
    if (url != null && !url.isBlank()) {
      return Optional.of(url.strip());
    }
    String fromEnv = env.get("BRIEFCASE_DAEMON_BASE_URL");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Optional.of(fromEnv.strip());
    }
    return adminUrlFromDataDir(dataDir());
  }

  /** The URL the admin API wrote into {@code <dataDir>/admin.url}, if any. */
  Optional<String> adminUrlFromDataDir(Path dir) {
    try {
      String text = Files.readString(dir.resolve(BriefcaseKernel.ADMIN_URL_FILE)).strip();
      return text.isEmpty() ? Optional.empty() : Optional.of(text);
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The token: {@code --token-file}, {@code $BRIEFCASE_AUTH_TOKEN}, or {@code
   * <data_dir>/auth_token}; null if none exists.
   */
  String token() {
    if (tokenFile != null) {
      String token = AdminClient.readToken(tokenFile);
      if (token == null) {
        throw new CliException(ExitCodes.ERROR, "briefcase: token file not found: " + tokenFile);
      }
      return token;
    }
    String fromEnv = env.get("BRIEFCASE_AUTH_TOKEN");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv.strip();
    }
    return AdminClient.readToken(dataDir().resolve("auth_token"));
  }

  /** A client for the running kernel, or "not running" (exit 4) if there is no admin URL. */
  AdminClient client() {
    String base = adminUrl().orElseThrow(CliException::notRunning);
    URI uri;
    try {
      uri = new URI(base);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new URISyntaxException(base, "no scheme or host");
      }
    } catch (URISyntaxException e) {
      throw new CliException(ExitCodes.ERROR, "briefcase: invalid admin URL '" + base + "'");
    }
    String token = token();
    if (token == null) {
      throw new CliException(
          ExitCodes.ERROR,
          "briefcase: no admin token (looked for " + dataDir().resolve("auth_token") + ")");
    }
    return new AdminClient(uri, token, mapper);
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = BriefcaseCommand.class.getPackage().getImplementationVersion();
      return new String[] {"briefcase " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
