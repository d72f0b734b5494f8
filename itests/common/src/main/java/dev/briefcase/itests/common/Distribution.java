package dev.briefcase.itests.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.testing.Poll;
import dev.briefcase.testing.ProcessTree;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drives the built distribution as an operator would: {@code bin/briefcase start} in a fresh data
 * directory, the admin API over loopback with the token from the data directory, the CLI, and
 * {@code kill -9}. Used by the itests and by bench; a running distribution and everything it
 * started is ended on {@link #close()}, and also when the JVM exits first (e.g. Ctrl-C on a bench).
 */
public final class Distribution implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  public final Path home;
  public final Path dataDir;
  public final Path logFile;
  private final Map<String, String> env = new HashMap<>();
  private final List<String> startArgs = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Process process;
  private Thread reaper;
  private String baseUrl;
  private String token;

  /** The distribution the runtime module builds ({@link #home()}), on {@code dataDir}. */
  public Distribution(Path dataDir) throws IOException {
    this(home(), dataDir);
  }

  /** The distribution installed at {@code home}, on {@code dataDir}. */
  public Distribution(Path home, Path dataDir) throws IOException {
    this.home = home;
    this.dataDir = Files.createDirectories(dataDir);
    this.logFile = dataDir.resolveSibling(dataDir.getFileName() + "-runtime.log");
    env.put("BRIEFCASE_DATA_DIR", dataDir.toString());
    // a free port for the MCP listener, so tests never collide with each other or a real instance
    env.put("BRIEFCASE_MCP_HTTP_ADDR", "127.0.0.1:0");
  }

  public static Path home() {
    return FeatureBundles.distribution();
  }

  /** Extra arguments for {@code briefcase start}, e.g. {@code --feature <file>}. */
  public Distribution startArgs(String... args) {
    startArgs.addAll(List.of(args));
    return this;
  }

  public Distribution env(String key, String value) {
    env.put(key, value);
    return this;
  }

  /** Starts the runtime in the foreground as a child process and waits until it is ready. */
  public Distribution start(Duration timeout) throws IOException, InterruptedException {
    Files.deleteIfExists(dataDir.resolve("admin.url"));
    List<String> cmd =
        new ArrayList<>(List.of("sh", home.resolve("bin/briefcase").toString(), "start"));
    cmd.addAll(startArgs);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.environment().putAll(env);
    if (!env.containsKey("BRIEFCASE_SECRET_BACKEND")
        && !env.containsKey("BRIEFCASE_MASTER_PASSPHRASE")) {
      // Without either the kernel uses the OS keyring (SPEC §12), which a test machine lacks;
      // tests that mean the keyring or a passphrase say so with env(...).
      pb.environment().put("BRIEFCASE_SECRET_BACKEND", "file");
    }
    // Signed receipt checkpoints come every 256 receipts or 60 s: a checkpoint receipt appearing
    // mid-test would move the receipt head that "refused and changed nothing" checks compare.
    // Tests that exercise checkpoints set these themselves.
    pb.environment().putIfAbsent("BRIEFCASE_RECEIPT_CHECKPOINT_EVERY", "100000");
    pb.environment().putIfAbsent("BRIEFCASE_RECEIPT_CHECKPOINT_INTERVAL_SECONDS", "86400");
    process = pb.start();
    reapOnExit(process);
    awaitReady(timeout);
    return this;
  }

  /** Starts the runtime and waits up to 60 s until it is ready. */
  public Distribution start() throws IOException, InterruptedException {
    return start(Duration.ofSeconds(60));
  }

  /** A JVM that exits without closing this (Ctrl-C) must not leave a kernel running. */
  private void reapOnExit(Process started) {
    ProcessTree.forget(reaper); // a restart after kill9() replaces the hook of the killed process
    reaper = ProcessTree.reapOnExit(started, "briefcase-distribution-reaper");
  }

  /** Waits for admin.url and a 200 from /ready. */
  public void awaitReady(Duration timeout) throws IOException, InterruptedException {
    boolean ready;
    try {
      ready = Poll.within(timeout, this::ready);
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
    if (!ready) {
      throw new IOException("runtime not ready within " + timeout + "; see " + logFile);
    }
  }

  /**
   * Waits until the provider registry answers (not 503): /ready covers the kernel's services, and
   * the OAuth bundle's credential service can register a moment after them on a loaded machine.
   */
  public void awaitCredentialService(Duration timeout) throws IOException, InterruptedException {
    boolean up;
    try {
      up = Poll.within(timeout, () -> get("/v1/providers").status != 503);
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
    if (!up) {
      throw new IOException("no credential service within " + timeout + "; see " + logFile);
    }
  }

  /** Whether /ready answers 200; fails when the runtime process has exited. */
  private boolean ready() throws IOException, InterruptedException {
    if (process != null && !process.isAlive()) {
      throw new IOException("runtime exited with " + process.exitValue() + "; see " + logFile);
    }
    Path urlFile = dataDir.resolve("admin.url");
    if (!Files.exists(urlFile)) {
      return false;
    }
    baseUrl = Files.readString(urlFile).strip();
    token = Files.readString(dataDir.resolve("auth_token")).strip();
    try {
      return get("/ready").status == 200;
    } catch (IOException e) {
      return false; // not listening yet
    }
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook, no flush. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * SIGTERM to the launcher and anything it started, and wait for a clean exit; SIGKILL what is
   * left after 30 s.
   */
  public int stop() throws InterruptedException {
    if (process == null) {
      return 0;
    }
    ProcessTree.forget(reaper);
    reaper = null;
    if (!process.isAlive()) {
      return process.exitValue();
    }
    ProcessTree.stop(process, Duration.ofSeconds(30));
    return process.exitValue();
  }

  public String baseUrl() {
    return baseUrl;
  }

  public String token() {
    return token;
  }

  /** An HTTP answer. */
  public record Answer(int status, String body) {
    public JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  public Answer get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET(), true);
  }

  public Answer post(String path, String body) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)),
        true);
  }

  public Answer postBytes(String path, byte[] body, String contentType)
      throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)),
        true);
  }

  public Answer send(HttpRequest.Builder request, boolean withToken)
      throws IOException, InterruptedException {
    if (withToken) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r =
        http.send(
            request.timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    return new Answer(r.statusCode(), r.body());
  }

  /** Runs {@code bin/briefcase <args>} against this data directory. */
  public CliResult cli(String... args) throws IOException, InterruptedException {
    return cliWithInput(new byte[0], args);
  }

  /**
   * Runs {@code bin/briefcase <args>} with {@code stdin} as its standard input (e.g. {@code secrets
   * set}, which reads the value from there).
   */
  public CliResult cliWithInput(byte[] stdin, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("sh", home.resolve("bin/briefcase").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    Path out = Files.createTempFile("briefcase-cli", ".out");
    Path err = Files.createTempFile("briefcase-cli", ".err");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    try (java.io.OutputStream in = p.getOutputStream()) {
      in.write(stdin);
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("CLI did not finish: " + cmd);
    }
    CliResult r = new CliResult(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  /** What a CLI run printed. */
  public record CliResult(int exit, String stdout, String stderr) {}

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
