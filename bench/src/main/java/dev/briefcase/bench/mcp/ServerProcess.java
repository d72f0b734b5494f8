package dev.briefcase.bench.mcp;

import dev.briefcase.testing.ProcessTree;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A server under test as a child process: the SDK baseline or floor JVM (URL read from a {@code
 * MCP_URL} line on its stdout, which is then copied to the log) or the Briefcase distribution (URL
 * read from {@code <data_dir>/mcp.url}). The spawn instant is kept for cold-start figures. {@link
 * #close()} ends the process and everything it started (SIGTERM, then SIGKILL after a deadline); a
 * shutdown hook does the same if the bench is interrupted.
 */
final class ServerProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final long spawnedNanos;
  private final Path log;
  private final Path urlFile;
  private final Path dataDir;
  private final CompletableFuture<String> stdoutUrl = new CompletableFuture<>();
  private final Thread reaper;
  private final List<String> command;

  private ServerProcess(String name, ProcessBuilder pb, Path log, Path urlFile, boolean urlOnStdout)
      throws IOException {
    this.name = name;
    this.log = log;
    this.urlFile = urlFile;
    this.dataDir = urlFile == null ? null : urlFile.getParent();
    Files.createDirectories(log.getParent());
    if (urlOnStdout) {
      pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
    } else {
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }
    pb.redirectErrorStream(true);
    // the baseline exits when its stdin closes: keep the pipe open and never write to it
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    command = List.copyOf(pb.command());
    spawnedNanos = System.nanoTime();
    process = pb.start();
    reaper = ProcessTree.reapOnExit(process, "bench-reaper-" + name);
    if (urlOnStdout) {
      Thread pump = new Thread(this::pumpStdout, "bench-stdout-" + name);
      pump.setDaemon(true);
      pump.start();
    }
  }

  /** A JVM child that prints {@code MCP_URL <url>}: the SDK baseline or the floor server. */
  static ServerProcess java(String name, List<String> command, Path log) throws IOException {
    return new ServerProcess(name, new ProcessBuilder(command), log, null, true);
  }

  /** {@code bin/briefcase start} on {@code dataDir}, MCP over HTTP on a free loopback port. */
  static ServerProcess briefcase(Path home, Path dataDir, String javaOpts, Path log)
      throws IOException {
    Files.createDirectories(dataDir);
    ProcessBuilder pb = new ProcessBuilder("sh", home.resolve("bin/briefcase").toString(), "start");
    Map<String, String> env = pb.environment();
    env.put("BRIEFCASE_DATA_DIR", dataDir.toString());
    env.put("BRIEFCASE_MCP_HTTP_ADDR", "127.0.0.1:0");
    if (!env.containsKey("BRIEFCASE_MASTER_PASSPHRASE")) {
      // a bench machine has no desktop keyring (the default store without a passphrase), and the
      // kernel stops when no secret store starts: as the pipeline bench does, use the file store
      env.putIfAbsent("BRIEFCASE_SECRET_BACKEND", "file");
    }
    if (javaOpts != null && !javaOpts.isBlank()) {
      env.put(
          "BRIEFCASE_JAVA_OPTS",
          (env.getOrDefault("BRIEFCASE_JAVA_OPTS", "") + " " + javaOpts).strip());
    }
    return new ServerProcess("briefcase", pb, log, dataDir.resolve("mcp.url"), false);
  }

  String name() {
    return name;
  }

  long spawnedNanos() {
    return spawnedNanos;
  }

  Path log() {
    return log;
  }

  /**
   * {@code Bearer <token>} from the gateway's {@code <data_dir>/mcp_token} when there is one (the
   * credential an agent is given, not the daemon's), else {@code null}.
   */
  String gatewayAuthorization() {
    if (dataDir == null) {
      return null;
    }
    try {
      Path f = dataDir.resolve("mcp_token");
      String t = Files.exists(f) ? Files.readString(f, StandardCharsets.US_ASCII).strip() : "";
      return t.isEmpty() ? null : "Bearer " + t;
    } catch (IOException e) {
      return null;
    }
  }

  long pid() {
    return process.pid();
  }

  /** The command line as spawned (environment not included). */
  List<String> command() {
    return command;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for the server's MCP URL (polling every few ms, so cold starts are timed finely). */
  URI awaitUrl(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (urlFile == null) {
        if (stdoutUrl.isDone()) {
          return URI.create(stdoutUrl.join());
        }
      } else if (Files.exists(urlFile)) {
        String u = Files.readString(urlFile).strip();
        // the file may be seen between create and write
        if (u.startsWith("http")) {
          return URI.create(u);
        }
      }
      if (!process.isAlive()) {
        throw new IOException(
            name + " exited with " + process.exitValue() + " before serving; see " + log);
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            name
                + " wrote no MCP URL within "
                + timeout.toSeconds()
                + " s"
                + (urlFile != null ? " (" + urlFile + ")" : "")
                + "; see "
                + log);
      }
      Thread.sleep(5);
    }
  }

  /** Resident set of the process and its descendants in KiB (VmRSS or VmHWM), or -1. */
  long rssKib(String field) {
    long sum = 0;
    boolean any = false;
    for (ProcessHandle h :
        Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList()) {
      long v = status(h.pid(), field);
      if (v >= 0) {
        sum += v;
        any = true;
      }
    }
    return any ? sum : -1;
  }

  private static long status(long pid, String field) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith(field + ":")) {
          String v = l.substring(field.length() + 1).trim();
          return Long.parseLong(v.substring(0, v.indexOf(' ')));
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or not Linux
    }
    return -1;
  }

  private void pumpStdout() {
    try (BufferedReader r =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer w =
            Files.newBufferedWriter(
                log,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
      String l;
      while ((l = r.readLine()) != null) {
        if (!stdoutUrl.isDone() && l.startsWith(ChildServer.URL_PREFIX)) {
          stdoutUrl.complete(l.substring(ChildServer.URL_PREFIX.length()).strip());
        }
        w.write(l);
        w.write('\n');
        w.flush();
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  /** SIGTERM to the process and its descendants, SIGKILL for what is left after 20 s. */
  @Override
  public void close() throws InterruptedException {
    ProcessTree.forget(reaper);
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already gone
    }
    ProcessTree.stop(process, Duration.ofSeconds(20));
  }
}
