package dev.briefcase.runtime.cli;

import dev.briefcase.runtime.launcher.BriefcaseKernel;
import dev.briefcase.runtime.launcher.FeatureLauncher;
import dev.briefcase.runtime.launcher.InstanceLock;
import dev.briefcase.runtime.launcher.LaunchException;
import dev.briefcase.runtime.launcher.LaunchSettings;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code briefcase start}: runs the kernel in this process until it is stopped, or with {@code
 * --daemon} starts it as a background process and returns once it is ready.
 */
@Command(name = "start", description = "Start the kernel (in the foreground unless --daemon).")
final class StartCommand implements Callable<Integer> {
  static final Duration ADMIN_URL_WAIT = Duration.ofSeconds(10);
  static final Duration DAEMON_READY_WAIT = Duration.ofSeconds(30);
  static final Duration STOP_WAIT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @Option(
      names = "--daemon",
      description = "Run in the background; output goes to <data dir>/logs/briefcased.log.")
  boolean daemon;

  @Option(
      names = "--feature",
      paramLabel = "NAME|FILE",
      description =
          "An extra feature (repeatable): a name from <home>/features, e.g. connectors, or the"
              + " path of a feature file.")
  List<String> features = new ArrayList<>();

  @Option(
      names = "--core-feature",
      paramLabel = "FILE",
      hidden = true,
      description = "Replace <home>/features/core.json (development and tests).")
  Path coreFeature;

  private BriefcaseCommand root() {
    return (BriefcaseCommand) spec.root().userObject();
  }

  @Override
  public Integer call() throws Exception {
    BriefcaseCommand root = root();
    LaunchSettings settings;
    try {
      settings = LaunchSettings.resolve(root.env, root.userHome, root.home, root.dataDir);
    } catch (LaunchException e) {
      throw new CliException(e.exitCode(), "briefcase: " + e.getMessage());
    }
    List<Path> files = new ArrayList<>();
    files.add(coreFeature());
    for (String f : features) {
      Path file = resolveFeature(f, root.home);
      if (!files.contains(file)) {
        files.add(file);
      }
    }
    return daemon ? spawn(settings, files) : foreground(settings, files);
  }

  private Path coreFeature() {
    if (coreFeature != null) {
      return coreFeature.toAbsolutePath();
    }
    if (root().home == null) {
      throw new CliException(
          ExitCodes.ERROR,
          "briefcase: cannot find the distribution (set BRIEFCASE_HOME or -Dbriefcase.home)");
    }
    return root().home.resolve("features").resolve("core.json");
  }

  /**
   * A feature argument: a path (it names a directory or ends in {@code .json}) is taken as it is; a
   * bare name is {@code <home>/features/<name>.json}, and an unknown name is a usage error that
   * lists the features the distribution has.
   */
  static Path resolveFeature(String arg, Path home) {
    if (arg.contains("/") || arg.contains(java.io.File.separator) || arg.endsWith(".json")) {
      return Path.of(arg).toAbsolutePath().normalize();
    }
    List<String> available = availableFeatures(home);
    if (!arg.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}") || !available.contains(arg)) {
      String shown = arg.length() > 64 ? arg.substring(0, 64) + "…" : arg;
      throw new CliException(
          ExitCodes.USAGE,
          "briefcase: unknown feature '"
              + shown.replaceAll("[\\p{Cntrl}]", "?")
              + "'; available: "
              + (available.isEmpty() ? "(none)" : String.join(", ", available))
              + (home == null ? " (cannot find the distribution: set BRIEFCASE_HOME)" : ""));
    }
    return home.resolve("features").resolve(arg + ".json").toAbsolutePath().normalize();
  }

  /** The names of {@code <home>/features/*.json}, sorted. */
  static List<String> availableFeatures(Path home) {
    if (home == null) {
      return List.of();
    }
    try (java.util.stream.Stream<Path> files = Files.list(home.resolve("features"))) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .map(n -> n.substring(0, n.length() - ".json".length()))
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private int foreground(LaunchSettings settings, List<Path> files) throws InterruptedException {
    PrintStream log = System.err;
    BriefcaseKernel kernel;
    try {
      kernel = new FeatureLauncher(settings, log).launch(files);
    } catch (LaunchException e) {
      throw new CliException(e.exitCode(), "briefcase: " + e.getMessage());
    }
    Thread hook = new Thread(() -> kernel.stop(STOP_WAIT), "briefcase-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Optional<String> url = kernel.awaitAdminUrl(ADMIN_URL_WAIT);
    if (url.isPresent()) {
      spec.commandLine()
          .getOut()
          .println(
              "briefcase: started in "
                  + kernel.startTime().toMillis()
                  + " ms (data dir "
                  + settings.dataDir()
                  + ", admin "
                  + url.get()
                  + ")");
    } else {
      spec.commandLine()
          .getErr()
          .println(
              "briefcase: warning: no admin URL in "
                  + settings.dataDir().resolve(BriefcaseKernel.ADMIN_URL_FILE)
                  + " after "
                  + ADMIN_URL_WAIT.toSeconds()
                  + " s (is dev.briefcase.admin.api active?); still running");
    }
    spec.commandLine().getOut().flush();
    spec.commandLine().getErr().flush();
    kernel.awaitStop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook did the stopping
    }
    return ExitCodes.OK;
  }

  private int spawn(LaunchSettings settings, List<Path> files) throws Exception {
    Path dataDir = settings.dataDir();
    if (InstanceLock.isHeld(dataDir)) {
      throw new CliException(ExitCodes.ERROR, "briefcase: " + InstanceLock.alreadyRunning(dataDir));
    }
    FeatureLauncher.createPrivateDirectory(dataDir);
    FeatureLauncher.createPrivateDirectory(dataDir.resolve("logs"));
    Path adminUrl = dataDir.resolve(BriefcaseKernel.ADMIN_URL_FILE);
    Files.deleteIfExists(adminUrl); // stale: no kernel holds the lock
    Path logFile = dataDir.resolve("logs").resolve("briefcased.log");

    ProcessBuilder pb = new ProcessBuilder(daemonCommand(settings, files));
    pb.environment().clear();
    pb.environment().putAll(root().env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    File devNull = new File(isWindows() ? "NUL" : "/dev/null");
    pb.redirectInput(ProcessBuilder.Redirect.from(devNull));
    Process process = pb.start();

    long deadline = System.nanoTime() + DAEMON_READY_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new CliException(
            ExitCodes.ERROR,
            "briefcase: the kernel exited with code "
                + process.exitValue()
                + " while starting; see "
                + logFile
                + tail(logFile));
      }
      Optional<String> url = root().adminUrlFromDataDir(dataDir);
      if (url.isPresent() && ready(url.get(), dataDir)) {
        OptionalLong pid = InstanceLock.readPid(dataDir);
        spec.commandLine()
            .getOut()
            .println(
                "briefcase: started (pid "
                    + (pid.isPresent() ? pid.getAsLong() : process.pid())
                    + ", admin "
                    + url.get()
                    + ", data dir "
                    + dataDir
                    + ", log "
                    + logFile
                    + ")");
        return ExitCodes.OK;
      }
      Thread.sleep(100);
    }
    throw new CliException(
        ExitCodes.ERROR,
        "briefcase: the kernel did not become ready within "
            + DAEMON_READY_WAIT.toSeconds()
            + " s (pid "
            + process.pid()
            + ", still running; see "
            + logFile
            + ")");
  }

  private boolean ready(String url, Path dataDir) {
    String token = AdminClient.readToken(dataDir.resolve("auth_token"));
    AdminClient client;
    try {
      client = new AdminClient(java.net.URI.create(url), token, root().mapper);
    } catch (IllegalArgumentException e) {
      return false;
    }
    try {
      return client.get("/ready").status() == 200;
    } catch (CliException e) {
      return false; // not listening yet
    }
  }

  /** Heap bounds of the kernel JVM: keeps its footprint under 256 MiB (see bin/briefcase). */
  static final List<String> KERNEL_HEAP = List.of("-Xms64m", "-Xmx192m");

  private List<String> daemonCommand(LaunchSettings settings, List<Path> files) {
    List<String> cmd = new ArrayList<>();
    // a new session: the kernel survives the terminal that started it
    for (String setsid : new String[] {"/usr/bin/setsid", "/bin/setsid"}) {
      if (!isWindows() && Files.isExecutable(Path.of(setsid))) {
        cmd.add(setsid);
        break;
      }
    }
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(java);
    // the same bounded heap as bin/briefcase gives a foreground kernel; BRIEFCASE_JAVA_OPTS wins
    cmd.addAll(KERNEL_HEAP);
    String opts = root().env.getOrDefault("BRIEFCASE_JAVA_OPTS", "").strip();
    if (!opts.isEmpty()) {
      cmd.addAll(List.of(opts.split("\\s+")));
    }
    if (root().home != null) {
      cmd.add("-Dbriefcase.home=" + root().home);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BriefcaseCommand.class.getName());
    cmd.add("--data-dir");
    cmd.add(settings.dataDir().toString());
    cmd.add("start");
    cmd.add("--core-feature");
    cmd.add(files.get(0).toString());
    for (Path extra : files.subList(1, files.size())) {
      cmd.add("--feature");
      cmd.add(extra.toString());
    }
    return cmd;
  }

  private static String tail(Path logFile) {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      List<String> last = lines.subList(Math.max(0, lines.size() - 15), lines.size());
      return last.isEmpty() ? "" : "\n" + String.join("\n", last);
    } catch (IOException e) {
      return "";
    }
  }

  private static boolean isWindows() {
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win");
  }
}
