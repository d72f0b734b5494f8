package dev.briefcase.signer.pkcs11.internal;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real SoftHSM2 token for the tests: installs Debian softhsm2 when missing, writes the
 * softhsm2.conf named by SOFTHSM2_CONF (set by surefire, because the wrapper loads the module in
 * this JVM) and initializes a fresh token. Fails loudly rather than skipping.
 */
final class SoftHsm {
  static final String MODULE = "/usr/lib/softhsm/libsofthsm2.so";
  static final String LABEL = "briefcase-test";
  static final String PIN = "5678";

  private static boolean ready;

  private SoftHsm() {}

  static synchronized void ensureToken() throws Exception {
    if (ready) {
      return;
    }
    if (!onPath("softhsm2-util") || !new File(MODULE).exists()) {
      int rc =
          run(
              List.of(
                  "sh", "-c", "apt-get update -qq && apt-get install -y -qq softhsm2 >/dev/null"),
              null);
      if (rc != 0 || !onPath("softhsm2-util") || !new File(MODULE).exists()) {
        throw new IllegalStateException(
            "SoftHSM2 is required for these tests and could not be installed"
                + " (apt-get install softhsm2 exited "
                + rc
                + ")");
      }
    }
    String env = System.getenv("SOFTHSM2_CONF");
    if (env == null) {
      throw new IllegalStateException(
          "SOFTHSM2_CONF is not set in the test JVM: run through Maven (surefire sets it)");
    }
    Path conf = Path.of(env).toAbsolutePath();
    Path tokens = conf.getParent().resolve("tokens");
    if (Files.exists(tokens)) {
      try (Stream<Path> walk = Files.walk(tokens)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(tokens);
    Files.writeString(
        conf,
        "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n",
        StandardCharsets.UTF_8);
    int rc =
        run(
            List.of(
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                LABEL,
                "--so-pin",
                "1234",
                "--pin",
                PIN),
            conf);
    if (rc != 0) {
      throw new IllegalStateException("softhsm2-util --init-token exited " + rc);
    }
    ready = true;
  }

  private static boolean onPath(String cmd) throws Exception {
    return run(List.of("sh", "-c", "command -v " + cmd + " >/dev/null"), null) == 0;
  }

  private static int run(List<String> cmd, Path conf) throws IOException, InterruptedException {
    // never inherit: child output on the forked JVM's stdout corrupts surefire's channel
    Path log = Path.of(System.getProperty("java.io.tmpdir"), "briefcase-softhsm-setup.log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    if (conf != null) {
      pb.environment().put("SOFTHSM2_CONF", conf.toString());
    }
    return pb.start().waitFor();
  }
}
