package dev.briefcase.itests.console;

import java.io.File;
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
 * What the browser test needs on the machine, installed by the test itself: Debian's {@code
 * chromium} (apt-get, as root, non-interactive; Playwright cannot download browsers here) and
 * {@code playwright-core} plus Node 22 (the {@code node} package: a real binary under {@code
 * node_modules/node/bin}, so the machine's Node version does not matter; the machine's {@code npm}
 * only installs) from {@code js/package-lock.json} ({@code npm ci}, once per lock change).
 */
final class BrowserTools {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private BrowserTools() {}

  static Path jsDir() {
    String dir = System.getProperty("briefcase.console.js");
    return (dir != null ? Path.of(dir) : Path.of("js")).toAbsolutePath().normalize();
  }

  static synchronized Path chromium() throws IOException, InterruptedException {
    if (Files.isExecutable(CHROMIUM)) {
      return CHROMIUM;
    }
    System.out.println("[console-itests] installing Debian chromium (apt-get)");
    Result r =
        exec(
            List.of(
                "sh",
                "-c",
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq"
                    + " chromium"),
            Path.of("/"),
            Map.of("DEBIAN_FRONTEND", "noninteractive"),
            Duration.ofMinutes(15));
    if (r.exit != 0 || !Files.isExecutable(CHROMIUM)) {
      throw new IOException(
          "apt-get install chromium failed (exit " + r.exit + "): " + tail(r.out, 3000));
    }
    return CHROMIUM;
  }

  /** {@code npm ci} in {@code js/} unless {@code node_modules} matches the lock. */
  static synchronized void npmCi() throws IOException, InterruptedException {
    Path js = jsDir();
    Path hidden = js.resolve("node_modules/.package-lock.json");
    Path lock = js.resolve("package-lock.json");
    boolean fresh =
        Files.exists(hidden)
            && Files.getLastModifiedTime(hidden).compareTo(Files.getLastModifiedTime(lock)) >= 0
            && Files.isDirectory(js.resolve("node_modules/playwright-core"))
            && Files.isExecutable(js.resolve("node_modules/node/bin/node"));
    if (fresh) {
      return;
    }
    System.out.println("[console-itests] npm ci in " + js);
    Result r =
        exec(
            List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"),
            js,
            Map.of(),
            Duration.ofMinutes(10));
    if (r.exit != 0) {
      throw new IOException("npm ci failed (exit " + r.exit + "): " + tail(r.out, 3000));
    }
  }

  /** Runs {@code node <script>} in {@code js/} on the Node 22 from {@code node_modules}. */
  static Result node(String script, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    Path node = jsDir().resolve("node_modules/node/bin/node");
    if (!Files.isExecutable(node)) {
      throw new IOException("npm installed no Node binary at " + node);
    }
    return exec(List.of(node.toString(), script), jsDir(), env, timeout);
  }

  static Result exec(List<String> cmd, Path dir, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).directory(dir.toFile());
    pb.environment().putAll(env);
    Path out = Files.createTempFile("console-itest", ".out");
    Path err = Files.createTempFile("console-itest", ".err");
    pb.redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .redirectInput(new File("/dev/null"));
    Process p = pb.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new IOException(
            "timed out after " + timeout + ": " + cmd + "\n" + tail(Files.readString(err), 3000));
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
  record Result(int exit, String out, String err) {}
}
