package dev.briefcase.vc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Node side of {@link InteropTest} ({@code src/test/js}): {@code npm ci} from the committed
 * lock when {@code node_modules} is missing or older than the lock (npm reads {@code
 * npm_config_cache} from the environment), then {@code interop.mjs} on Node 22 from that install
 * with a JSON array of requests on stdin; it answers a JSON array on stdout.
 */
final class NodeInterop {
  private static final ObjectMapper JSON = new ObjectMapper();

  private NodeInterop() {}

  static Path jsDir() {
    return Path.of(System.getProperty("briefcase.vc.js", "src/test/js"))
        .toAbsolutePath()
        .normalize();
  }

  static synchronized JsonNode run(List<?> requests) throws Exception {
    Path js = jsDir();
    Path node = js.resolve("node_modules/node/bin/node");
    if (!installed(js)) {
      exec(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), js, 600);
    }
    if (!Files.isExecutable(node)) {
      throw new IOException("npm ci installed no Node binary at " + node);
    }
    Path out = Files.createTempFile("vc-interop", ".json");
    Path err = Files.createTempFile("vc-interop", ".err");
    try {
      Process p =
          new ProcessBuilder(node.toString(), "interop.mjs")
              .directory(js.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(JSON.writeValueAsBytes(requests));
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("interop.mjs timed out");
      }
      if (p.exitValue() != 0) {
        throw new IOException("interop.mjs failed: " + Files.readString(err));
      }
      return JSON.readTree(Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static boolean installed(Path js) throws IOException {
    Path hidden = js.resolve("node_modules/.package-lock.json");
    Path lock = js.resolve("package-lock.json");
    return Files.exists(hidden)
        && Files.getLastModifiedTime(hidden).compareTo(Files.getLastModifiedTime(lock)) >= 0
        && Files.isDirectory(js.resolve("node_modules/did-jwt-vc"))
        && Files.isExecutable(js.resolve("node_modules/node/bin/node"));
  }

  private static void exec(List<String> cmd, Path dir, int seconds) throws Exception {
    Path log = Files.createTempFile("vc-interop-npm", ".log");
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(new File("/dev/null"))
            .start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " timed out");
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + Files.readString(log));
    }
  }
}
