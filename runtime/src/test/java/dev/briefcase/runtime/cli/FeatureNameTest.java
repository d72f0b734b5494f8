package dev.briefcase.runtime.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code briefcase start --feature NAME|FILE}: names resolve in the distribution's features/. */
public class FeatureNameTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path home() throws Exception {
    Path home = tmp.newFolder("home").toPath();
    Files.createDirectories(home.resolve("features"));
    for (String n : List.of("core", "connectors", "signers")) {
      Files.writeString(home.resolve("features/" + n + ".json"), "{}");
    }
    Files.writeString(home.resolve("features/README.txt"), "not a feature");
    return home;
  }

  @Test
  public void aNameResolvesInTheDistribution() throws Exception {
    Path home = home();
    assertEquals(
        home.resolve("features/connectors.json").toAbsolutePath(),
        StartCommand.resolveFeature("connectors", home));
    assertEquals(List.of("connectors", "core", "signers"), StartCommand.availableFeatures(home));
  }

  @Test
  public void aPathStillWorks() throws Exception {
    Path home = home();
    assertEquals(
        Path.of("extra.json").toAbsolutePath(), StartCommand.resolveFeature("extra.json", home));
    assertEquals(
        Path.of("/srv/f/mine").toAbsolutePath(), StartCommand.resolveFeature("/srv/f/mine", home));
  }

  @Test
  public void anUnknownNameIsAUsageErrorListingTheFeatures() throws Exception {
    Path home = home();
    for (String bad : List.of("nope", "..", "a b", "CON\u0007")) {
      try {
        StartCommand.resolveFeature(bad, home);
        fail("accepted " + bad);
      } catch (CliException e) {
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage(), e.getMessage().contains("available: connectors, core, signers"));
        assertTrue(e.getMessage(), !e.getMessage().contains("\u0007"));
      }
    }
  }
}
