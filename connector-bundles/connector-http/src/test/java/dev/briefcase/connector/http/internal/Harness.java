package dev.briefcase.connector.http.internal;

import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.credentials.CallCredential;
import dev.briefcase.egress.internal.HttpEgressClient;
import dev.briefcase.testing.Configs;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Shared pieces: the real egress client, connectors from a file's text, invocations, log capture.
 */
final class Harness {
  static final HttpEgressClient EGRESS =
      new HttpEgressClient(Configs.defaults(HttpEgressClient.Config.class), null);

  private Harness() {}

  static Path write(Path dir, String name, String text) {
    try {
      return Files.writeString(dir.resolve(name), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static HttpConnector connector(Path toolsFile, boolean devLoopback) {
    return connector(toolsFile, devLoopback, null);
  }

  static HttpConnector connector(Path toolsFile, boolean devLoopback, String profileMode) {
    return new HttpConnector(
        EGRESS,
        Configs.of(
            HttpConnector.Config.class,
            Map.of(
                "connector_id",
                "test",
                "tools_file",
                toolsFile.toString(),
                "dev_loopback",
                devLoopback)),
        profileMode);
  }

  static ToolManifest manifest(String toolId, long maxOutputBytes, String... prefixes) {
    return new ToolManifest(
        toolId, "builtin", List.of("127.0.0.1"), List.of(prefixes), List.of(), maxOutputBytes);
  }

  static ToolInvocation call(
      String toolId,
      Map<String, Object> args,
      ToolManifest manifest,
      boolean approved,
      CallCredential credential) {
    return new ToolInvocation(
        toolId,
        args,
        manifest,
        new CallContext("req-1", "agent-1", null, "mcp"),
        approved ? "approval-1" : null,
        credential);
  }

  /** Copies System.err (where slf4j-simple writes each line) into a buffer while installed. */
  static final class LogCapture implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    LogCapture() {
      System.setErr(
          new PrintStream(
              new OutputStream() {
                @Override
                public void write(int b) {
                  original.write(b);
                  synchronized (captured) {
                    captured.write(b);
                  }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                  original.write(b, off, len);
                  synchronized (captured) {
                    captured.write(b, off, len);
                  }
                }
              },
              true,
              StandardCharsets.UTF_8));
    }

    String text() {
      synchronized (captured) {
        return captured.toString(StandardCharsets.UTF_8);
      }
    }

    @Override
    public void close() {
      System.setErr(original);
    }
  }
}
