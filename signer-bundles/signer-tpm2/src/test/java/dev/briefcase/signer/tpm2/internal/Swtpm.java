package dev.briefcase.signer.tpm2.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real swtpm for the tests, on free loopback ports with a fresh state directory: installs the
 * Debian packages when swtpm is missing and fails loudly rather than skipping.
 */
final class Swtpm implements AutoCloseable {
  final int port;
  private final Process process;
  private final Path state;

  private Swtpm(int port, Process process, Path state) {
    this.port = port;
    this.process = process;
    this.state = state;
  }

  /** The signer's {@code device} setting for this instance. */
  String device() {
    return "tcp:127.0.0.1:" + port;
  }

  static Swtpm start() throws Exception {
    ensureInstalled();
    Path state = Files.createTempDirectory("briefcase-swtpm");
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = freePortPair();
      Process p =
          new ProcessBuilder(
                  "swtpm",
                  "socket",
                  "--tpm2",
                  "--tpmstate",
                  "dir=" + state,
                  "--server",
                  "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                  "--ctrl",
                  "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                  "--flags",
                  "not-need-init,startup-clear")
              .redirectErrorStream(true)
              .redirectOutput(state.resolveSibling(state.getFileName() + ".log").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline && p.isAlive()) {
        if (listening(port)) {
          return new Swtpm(port, p, state);
        }
        Thread.sleep(50);
      }
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS); // port raced away; try another pair
    }
    throw new IllegalStateException("swtpm did not start listening within 10 s");
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Two consecutive free ports (command, control). */
  static int freePortPair() throws IOException {
    for (int i = 0; i < 50; i++) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      if (port < 65535) {
        try (ServerSocket next = new ServerSocket(port + 1)) {
          return port;
        } catch (IOException taken) {
          // try another
        }
      }
    }
    throw new IOException("no free port pair");
  }

  private static void ensureInstalled() throws Exception {
    if (onPath("swtpm")) {
      return;
    }
    Path log = Path.of(System.getProperty("java.io.tmpdir"), "briefcase-swtpm-setup.log");
    // never inherit: child output on the forked JVM's stdout corrupts surefire's channel
    int rc =
        new ProcessBuilder(
                "sh",
                "-c",
                "apt-get update -qq && apt-get install -y -qq swtpm swtpm-tools tpm2-tools")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start()
            .waitFor();
    if (rc != 0 || !onPath("swtpm")) {
      throw new IllegalStateException(
          "swtpm is required for these tests and could not be installed (apt-get exited "
              + rc
              + ", see "
              + log
              + ")");
    }
  }

  private static boolean onPath(String cmd) throws Exception {
    return new ProcessBuilder("sh", "-c", "command -v " + cmd + " >/dev/null").start().waitFor()
        == 0;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    try (Stream<Path> walk = Files.walk(state)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(state.resolveSibling(state.getFileName() + ".log"));
  }
}
