package dev.briefcase.runtime.cli;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/**
 * How {@code briefcase secrets set} reads a value: standard input, one newline dropped, bounded.
 */
public class SecretsCommandTest {
  private static byte[] read(String input) {
    return SecretsCommand.readValue(
        new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  public void oneTrailingNewlineIsDroppedAndNothingElse() {
    assertArrayEquals("k3y".getBytes(StandardCharsets.UTF_8), read("k3y\n"));
    assertArrayEquals("k3y".getBytes(StandardCharsets.UTF_8), read("k3y\r\n"));
    assertArrayEquals("k3y\n".getBytes(StandardCharsets.UTF_8), read("k3y\n\n"));
    assertArrayEquals(" k3y ".getBytes(StandardCharsets.UTF_8), read(" k3y "));
  }

  @Test
  public void anEmptyOrOversizedValueIsAUsageError() {
    for (String input : new String[] {"", "\n", "x".repeat(SecretsCommand.MAX_VALUE_BYTES + 1)}) {
      try {
        read(input);
        fail("accepted " + input.length() + " bytes");
      } catch (CliException e) {
        assertEquals(ExitCodes.USAGE, e.exitCode());
      }
    }
    assertEquals(
        SecretsCommand.MAX_VALUE_BYTES, read("y".repeat(SecretsCommand.MAX_VALUE_BYTES)).length);
  }
}
