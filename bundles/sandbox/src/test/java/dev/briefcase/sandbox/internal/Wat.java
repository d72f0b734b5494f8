package dev.briefcase.sandbox.internal;

import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Compiles WAT test modules with {@code wat2wasm} (Debian package {@code wabt}), installing it once
 * if it is missing; fails the test clearly if that is impossible.
 */
final class Wat {

  private Wat() {}

  static byte[] compile(String wat) {
    try {
      String tool = findOrInstall();
      Path dir = Files.createTempDirectory("wat");
      Path in = dir.resolve("m.wat");
      Path out = dir.resolve("m.wasm");
      Files.writeString(in, wat, StandardCharsets.UTF_8);
      Process p =
          new ProcessBuilder(tool, in.toString(), "-o", out.toString())
              .redirectErrorStream(true)
              .start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        fail("wat2wasm failed: " + log);
      }
      return Files.readAllBytes(out);
    } catch (IOException e) {
      throw new AssertionError("cannot compile WAT", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** A JSON text as a WAT string literal body. */
  static String str(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        b.append((char) c);
      } else {
        b.append(String.format("\\%02x", c));
      }
    }
    return b.toString();
  }

  private static synchronized String findOrInstall() throws IOException, InterruptedException {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(dir, "wat2wasm");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    Process p =
        new ProcessBuilder(
                "sh", "-c", "apt-get update -qq && apt-get install -y -qq wabt >/dev/null")
            .redirectErrorStream(true)
            .start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      fail("wat2wasm missing and `apt-get install wabt` failed: " + log);
    }
    if (!Files.isExecutable(Path.of("/usr/bin/wat2wasm"))) {
      fail("wat2wasm missing after installing wabt");
    }
    return "/usr/bin/wat2wasm";
  }
}
