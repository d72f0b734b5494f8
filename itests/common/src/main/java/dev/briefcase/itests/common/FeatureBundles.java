package dev.briefcase.itests.common;

import dev.briefcase.testing.Features;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bundles of a feature file (see {@link Features}) resolved to the jars of the built
 * distribution, for tests that boot what the product ships.
 */
public final class FeatureBundles {
  /** One bundle of a feature. */
  public record Entry(String id, String artifactId, String version, int startOrder, Path file) {}

  private FeatureBundles() {}

  /** The repository root, passed by the build as {@code briefcase.root}. */
  public static Path root() {
    return Features.root();
  }

  /** The unpacked distribution the runtime module builds. */
  public static Path distribution() {
    return root().resolve("runtime/target/briefcase");
  }

  /**
   * The test connector jar ({@code itests/test-connector}); fails the test when it is not built.
   */
  public static Path testConnector() {
    return built("itests/test-connector/target/dev.briefcase.itests.connector-0.1.0-SNAPSHOT.jar");
  }

  /** A jar the reactor built, by its path under the root; fails the test when it is missing. */
  public static Path built(String path) {
    Path jar = root().resolve(path);
    if (!Files.isRegularFile(jar)) {
      throw new AssertionError("not built: " + jar);
    }
    return jar;
  }

  /** Every bundle of {@code features/<name>.json}, resolved to the jar in the distribution. */
  public static List<Entry> of(String feature) throws IOException {
    List<Entry> out = new ArrayList<>();
    for (Features.Bundle b : Features.bundles(feature)) {
      Path jar = distribution().resolve("bundle/" + b.artifactId() + "-" + b.version() + ".jar");
      if (!Files.isRegularFile(jar)) {
        throw new IOException("bundle " + b.id() + " of feature " + feature + " is not in " + jar);
      }
      out.add(new Entry(b.id(), b.artifactId(), b.version(), b.startOrder(), jar));
    }
    return out;
  }

  /** The framework launching properties of a feature, unsubstituted. */
  public static Map<String, String> frameworkProperties(String feature) throws IOException {
    return Features.frameworkProperties(feature);
  }
}
