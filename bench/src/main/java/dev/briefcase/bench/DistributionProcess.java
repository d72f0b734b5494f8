package dev.briefcase.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The built distribution as a child process: {@code bin/briefcase start} on a fresh data directory,
 * ready when {@code admin.url} exists and {@code GET /ready} answers 200. The process and
 * everything it started are ended on {@link #close()}.
 */
final class DistributionProcess implements AutoCloseable {
  private final Path home;
  private final Path dataDir;
  private final Path logFile;
  private final String extraJavaOpts;
  private Process process;
  private Thread reaper;
  private String baseUrl;
  private String token;

  /**
   * @param extraJavaOpts appended to {@code BRIEFCASE_JAVA_OPTS} for the child, or {@code null}
   */
  DistributionProcess(Path home, Path dataDir, String extraJavaOpts) {
    this.home = home;
    this.extraJavaOpts = extraJavaOpts;
    this.dataDir = dataDir;
    this.logFile = dataDir.resolveSibling(dataDir.getFileName() + "-runtime.log");
  }

  /** The distribution home below {@code hint}, or the usual build output, or {@code null}. */
  static Path locate(String hint) {
    if (hint != null) {
      Path p = Path.of(hint).toAbsolutePath();
      return Files.isRegularFile(p.resolve("bin/briefcase")) ? p : null;
    }
    for (String candidate :
        new String[] {"runtime/target/briefcase", "../runtime/target/briefcase"}) {
      Path p = Path.of(candidate).toAbsolutePath().normalize();
      if (Files.isRegularFile(p.resolve("bin/briefcase"))) {
        return p;
      }
    }
    return null;
  }

  Path logFile() {
    return logFile;
  }

  String baseUrl() {
    return baseUrl;
  }

  String token() {
    return token;
  }

  void start(Duration timeout) throws IOException, InterruptedException {
    Files.createDirectories(dataDir);
    ProcessBuilder pb =
        new ProcessBuilder("sh", home.resolve("bin/briefcase").toString(), "start")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.environment().put("BRIEFCASE_DATA_DIR", dataDir.toString());
    if (!pb.environment().containsKey("BRIEFCASE_MASTER_PASSPHRASE")) {
      // a bench machine has no desktop keyring (the default store without a passphrase)
      pb.environment().putIfAbsent("BRIEFCASE_SECRET_BACKEND", "file");
    }
    if (extraJavaOpts != null) {
      String opts = pb.environment().getOrDefault("BRIEFCASE_JAVA_OPTS", "");
      pb.environment().put("BRIEFCASE_JAVA_OPTS", (opts + " " + extraJavaOpts).strip());
    }
    process = pb.start();
    // Ctrl-C on the bench must not leave a kernel running
    Process started = process;
    reaper =
        new Thread(
            () -> {
              started.descendants().forEach(ProcessHandle::destroyForcibly);
              started.destroyForcibly();
            },
            "bench-distribution-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    Path urlFile = dataDir.resolve("admin.url");
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("runtime exited with " + process.exitValue() + "; see " + logFile);
      }
      if (Files.exists(urlFile) && Files.exists(dataDir.resolve("auth_token"))) {
        baseUrl = Files.readString(urlFile).strip();
        token = Files.readString(dataDir.resolve("auth_token")).strip();
        try {
          HttpResponse<Void> r =
              http.send(
                  HttpRequest.newBuilder(URI.create(baseUrl + "/ready"))
                      .timeout(Duration.ofSeconds(2))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("runtime not ready within " + timeout + "; see " + logFile);
      }
      Thread.sleep(100);
    }
  }

  /** SIGTERM to the launcher and its descendants, then SIGKILL what is left. */
  @Override
  public void close() throws InterruptedException {
    if (process == null) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // already shutting down: the hook does the work
    }
    var descendants = process.descendants().toList();
    process.destroy();
    descendants.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (ProcessHandle h : descendants) {
      long left = Math.max(1, deadline - System.nanoTime());
      try {
        h.onExit().get(left, TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
    if (!process.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
