package dev.briefcase.oauth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.testing.NodeProject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Node side of the tests ({@code src/test/js}, installed by {@link NodeProject}): {@code
 * fixture.mjs} on Node 22 from that install. It prints one JSON line with the three loopback base
 * URLs and stops when its stdin closes. Published in this module's test-jar for the distribution
 * tests, which point {@code briefcase.oauth.js} at this module's {@code src/test/js}.
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
    return project().dir();
  }

  private static NodeProject project() {
    return NodeProject.at("briefcase.oauth.js", "src/test/js", "oidc-provider");
  }

  public static synchronized OAuthFixture start() throws Exception {
    Path err = Files.createTempFile("oauth-fixture", ".err");
    Process p = project().start("fixture.mjs", err);
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

  @Override
  public void close() throws Exception {
    process.getOutputStream().close();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
