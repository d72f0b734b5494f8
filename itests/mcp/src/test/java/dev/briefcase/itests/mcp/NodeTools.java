package dev.briefcase.itests.mcp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Node side of these tests: {@code js/} with its {@code package.json} and lock. Node 22 comes
 * from the npm registry as the {@code node} package (a real binary under {@code
 * node_modules/node/bin}), because the conformance suite needs Node 22 and the machine's Node may
 * be older; the machine's {@code npm} only installs. {@code npm ci} runs once per build, when
 * {@code node_modules} is missing.
 */
final class NodeTools {
  private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);
  private static final ProcessBuilder.Redirect NO_INPUT =
      ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));

  private NodeTools() {}

  /** The {@code js/} folder: system property {@code briefcase.mcp.js}, else {@code ./js}. */
  static Path jsDir() {
    String dir = System.getProperty("briefcase.mcp.js");
    return (dir != null ? Path.of(dir) : Path.of("js")).toAbsolutePath().normalize();
  }

  /** Node 22 from {@code node_modules}, installing the Node side first if needed. */
  static synchronized Path node() throws IOException, InterruptedException {
    Path js = jsDir();
    Path node = js.resolve("node_modules/node/bin/node");
    if (!installed(js)) {
      install(js);
    }
    if (!Files.isExecutable(node)) {
      throw new IOException("npm installed no Node binary at " + node);
    }
    Result v = run(node, js, List.of("-v"), Map.of(), Duration.ofSeconds(30));
    if (v.exit != 0 || !v.stdout.strip().startsWith("v22.")) {
      throw new IOException("expected Node 22 at " + node + ", got: " + v.stdout + v.stderr);
    }
    return node;
  }

  private static boolean installed(Path js) throws IOException {
    // npm ci writes node_modules/.package-lock.json; an older one means the lock changed since
    Path hidden = js.resolve("node_modules/.package-lock.json");
    Path lock = js.resolve("package-lock.json");
    if (Files.exists(lock)
        && (!Files.exists(hidden)
            || Files.getLastModifiedTime(hidden).compareTo(Files.getLastModifiedTime(lock)) < 0)) {
      return false;
    }
    return Files.isExecutable(js.resolve("node_modules/node/bin/node"))
        && Files.isDirectory(js.resolve("node_modules/@modelcontextprotocol/conformance"))
        && Files.isDirectory(js.resolve("node_modules/@modelcontextprotocol/sdk"));
  }

  private static void install(Path js) throws IOException, InterruptedException {
    boolean locked = Files.exists(js.resolve("package-lock.json"));
    List<String> cmd = new ArrayList<>();
    cmd.add("npm");
    cmd.add(locked ? "ci" : "install");
    cmd.addAll(List.of("--no-audit", "--no-fund", "--loglevel=error"));
    System.out.println("[mcp-itests] " + String.join(" ", cmd) + " in " + js);
    Result r = exec(cmd, js, Map.of(), INSTALL_TIMEOUT);
    if (r.exit != 0 || !installed(js)) {
      throw new IOException(
          String.join(" ", cmd)
              + " in "
              + js
              + " failed (exit "
              + r.exit
              + "): "
              + tail(r.stderr + r.stdout, 2000));
    }
  }

  /** Runs {@code node <args>} in {@code js/}. */
  static Result node(List<String> args, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    return run(node(), jsDir(), args, env, timeout);
  }

  private static Result run(
      Path node, Path dir, List<String> args, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(node.toString());
    cmd.addAll(args);
    return exec(cmd, dir, env, timeout);
  }

  /** Starts {@code node <args>} in {@code js/} with piped stdin/stdout; stderr to {@code err}. */
  static Process start(List<String> args, Map<String, String> env, Path err)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(node().toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(jsDir().toFile());
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
    return pb.start();
  }

  private static Result exec(List<String> cmd, Path dir, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().putAll(env);
    Path out = Files.createTempFile("mcp-itest", ".out");
    Path err = Files.createTempFile("mcp-itest", ".err");
    pb.redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .redirectInput(new java.io.File("/dev/null"));
    Process p = pb.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new IOException(
            "timed out after "
                + timeout
                + ": "
                + String.join(" ", cmd)
                + "\n"
                + tail(Files.readString(out) + Files.readString(err), 4000));
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  static String tail(String s, int max) {
    return s.length() <= max ? s : "…" + s.substring(s.length() - max);
  }

  /** What a process printed. */
  record Result(int exit, String stdout, String stderr) {}
}
