package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * Features by name: the distribution ships every {@code features/*.json}; {@code briefcase start
 * --daemon --feature connectors} starts core plus the connectors feature (its tool is served),
 * {@code briefcase status} names both, and an unknown name is a usage error listing what ships.
 */
public class FeaturesIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  public void startWithANamedFeatureAndSeeItInStatus() throws Exception {
    List<String> shipped = new ArrayList<>();
    try (Stream<Path> s = Files.list(FeatureBundles.root().resolve("features"))) {
      s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).forEach(shipped::add);
    }
    for (String f : shipped) {
      assertTrue(
          "shipped: " + f, Files.isRegularFile(Distribution.home().resolve("features/" + f)));
    }

    // a daemon started through the CLI gets no test defaults: without a chosen secret store it
    // would look for the OS keyring, which this machine lacks, and stop itself
    Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-features"))
            .env("BRIEFCASE_SECRET_BACKEND", "file");
    Distribution.CliResult unknown = d.cli("start", "--feature", "no-such-feature");
    assertEquals(unknown.stderr(), 2, unknown.exit());
    assertTrue(unknown.stderr(), unknown.stderr().contains("available: "));
    assertTrue(unknown.stderr(), unknown.stderr().contains("connectors"));

    Distribution.CliResult started = d.cli("start", "--daemon", "--feature", "connectors");
    assertEquals(started.stderr(), 0, started.exit());
    try {
      Distribution.CliResult status = d.cli("status", "--json");
      assertEquals(status.stderr(), 0, status.exit());
      List<String> names = new ArrayList<>();
      for (JsonNode f : JSON.readTree(status.stdout()).path("features")) {
        names.add(f.path("name").asText());
      }
      assertEquals(List.of("core", "connectors"), names);
      Distribution.CliResult call =
          d.cli("tools", "call", "text_stats", "--args", "{\"text\":\"a b a\"}", "--json");
      assertEquals(call.stderr(), 0, call.exit());
      assertTrue(call.stdout(), call.stdout().contains("\"words\":3"));
    } finally {
      assertEquals(0, d.cli("stop").exit());
    }
  }
}
