package dev.briefcase.itests.mcp;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A fresh SoftHSM2 token in its own directory for a distribution test: installs Debian softhsm2
 * when missing (as the signer-pkcs11 tests do), writes a softhsm2.conf and initializes the token.
 * The kernel finds it through {@code SOFTHSM2_CONF} in its environment. Fails rather than skips.
 */
final class SoftHsmToken {
  static final String MODULE = "/usr/lib/softhsm/libsofthsm2.so";

  final Path conf;
  final String label;
  final String pin;

  private SoftHsmToken(Path conf, String label, String pin) {
    this.conf = conf;
    this.label = label;
    this.pin = pin;
  }

  static SoftHsmToken create(Path dir, String label, String pin) throws Exception {
    if (!onPath("softhsm2-util") || !new File(MODULE).exists()) {
      int rc =
          run(
              List.of(
                  "sh", "-c", "apt-get update -qq && apt-get install -y -qq softhsm2 >/dev/null"),
              null);
      if (rc != 0 || !onPath("softhsm2-util") || !new File(MODULE).exists()) {
        throw new IllegalStateException(
            "SoftHSM2 is required and could not be installed (apt-get exited " + rc + ")");
      }
    }
    Path tokens = dir.resolve("tokens");
    if (Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(tokens);
    Path conf = dir.resolve("softhsm2.conf");
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
                label,
                "--so-pin",
                "1234",
                "--pin",
                pin),
            conf);
    if (rc != 0) {
      throw new IllegalStateException("softhsm2-util --init-token exited " + rc);
    }
    return new SoftHsmToken(conf, label, pin);
  }

  private static boolean onPath(String cmd) throws Exception {
    return run(List.of("sh", "-c", "command -v " + cmd + " >/dev/null"), null) == 0;
  }

  private static int run(List<String> cmd, Path conf) throws IOException, InterruptedException {
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
