package dev.briefcase.runtime.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The distribution's {@code bin/briefcase-pay} runs the helper from {@code lib/pay} alone: it
 * creates a key store, prints the address, and answers a bad request on stdout with a stable code
 * and nothing on stderr.
 */
public class BriefcasePayScriptTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final Path DIST =
      Path.of(System.getProperty("briefcase.test.bundleDir", "target/briefcase/bundle"))
          .getParent();

  private record Run(int exit, String out, String err) {}

  private Run run(String stdin, String... args) throws Exception {
    Path out = tmp.newFile().toPath();
    Path err = tmp.newFile().toPath();
    String[] cmd = new String[args.length + 1];
    cmd[0] = DIST.resolve("bin/briefcase-pay").toString();
    System.arraycopy(args, 0, cmd, 1, args.length);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(
                stdin == null
                    ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                    : ProcessBuilder.Redirect.PIPE);
    pb.environment().put("BRIEFCASE_PAY_PASSPHRASE_FILE", tmp.getRoot() + "/pass");
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("briefcase-pay did not finish");
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  public void theHelperRunsFromItsOwnClasspath() throws Exception {
    assertTrue(Files.isDirectory(DIST.resolve("lib/pay")));
    Files.writeString(tmp.getRoot().toPath().resolve("pass"), "a passphrase\n");
    Path config = tmp.getRoot().toPath().resolve("pay.json");
    Files.writeString(
        config,
        "{\"key_store\":\"wallet.json\",\"journal\":\"journal\","
            + "\"limits\":{\"networks\":[\"eip155:84532\"]}}");
    Path key = tmp.getRoot().toPath().resolve("key.hex");
    Files.writeString(key, "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n");

    Run init = run(null, "--config", config.toString(), "init");
    assertEquals(init.err(), 0, init.exit());
    Run imported =
        run(null, "--config", config.toString(), "import-evm-key", "--key-file", key.toString());
    assertEquals(imported.err(), 0, imported.exit());
    Run address = run(null, "--config", config.toString(), "address");
    assertEquals("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", address.out().strip());

    Run refused = run("{\"rail\":\"x402_v2\"}", "--config", config.toString());
    assertEquals(1, refused.exit());
    JsonNode answer = new ObjectMapper().readTree(refused.out());
    assertEquals("payment_request_invalid", answer.path("error").asText());
    assertEquals("", refused.err());
  }
}
