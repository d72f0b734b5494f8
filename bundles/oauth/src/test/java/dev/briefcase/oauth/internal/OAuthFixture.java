package dev.briefcase.oauth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Node side of the tests ({@code src/test/js}): {@code npm ci} from the committed lock when
 * {@code node_modules} is missing or older than the lock (npm reads {@code npm_config_cache} from
 * the environment), then {@code fixture.mjs} on Node 22 from that install. It prints one JSON line
 * with the three loopback base URLs and stops when its stdin closes. Published in this module's
 * test-jar for the distribution tests, which point {@code briefcase.oauth.js} at this module's
 * {@code src/test/js}.
 */
public final class OAuthFixture implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public final String as;
  public final String asNonce;
  public final String rs;
  private final Process process;

  private OAuthFixture(Process process, JsonNode urls) {
    this.process = process;
    this.as = urls.path("as").asText();
    this.asNonce = urls.path("asNonce").asText();
    this.rs = urls.path("rs").asText();
  }

  static Path jsDir() {
    String dir = System.getProperty("briefcase.oauth.js", "src/test/js");
    return Path.of(dir).toAbsolutePath().normalize();
  }

  public static synchronized OAuthFixture start() throws Exception {
    Path js = jsDir();
    Path node = js.resolve("node_modules/node/bin/node");
    if (!installed(js)) {
      exec(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), js, 600);
    }
    if (!Files.isExecutable(node)) {
      throw new IOException("npm ci installed no Node binary at " + node);
    }
    Path err = Files.createTempFile("oauth-fixture", ".err");
    Process p =
        new ProcessBuilder(node.toString(), "fixture.mjs")
            .directory(js.toFile())
            .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()))
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> line =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return out.readLine();
              } catch (IOException e) {
                return null;
              }
            });
    String first;
    try {
      first = line.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      first = null;
    }
    if (first == null) {
      p.destroyForcibly();
      throw new IOException("fixture did not start: " + Files.readString(err));
    }
    return new OAuthFixture(p, MAPPER.readTree(first));
  }

  private static boolean installed(Path js) throws IOException {
    Path hidden = js.resolve("node_modules/.package-lock.json");
    Path lock = js.resolve("package-lock.json");
    return Files.exists(hidden)
        && Files.getLastModifiedTime(hidden).compareTo(Files.getLastModifiedTime(lock)) >= 0
        && Files.isDirectory(js.resolve("node_modules/oidc-provider"))
        && Files.isExecutable(js.resolve("node_modules/node/bin/node"));
  }

  private static void exec(List<String> cmd, Path dir, int seconds) throws Exception {
    Path log = Files.createTempFile("oauth-fixture-npm", ".log");
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

  @Override
  public void close() throws Exception {
    process.getOutputStream().close();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
