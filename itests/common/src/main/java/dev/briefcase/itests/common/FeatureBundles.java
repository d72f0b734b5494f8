package dev.briefcase.itests.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bundles of a deployment, read from its feature file — the same file the runtime is assembled
 * and launched from — so tests never boot a hand-kept list that drifts from the product.
 */
public final class FeatureBundles {
  /** One bundle of a feature. */
  public record Entry(String id, String artifactId, String version, int startOrder, Path file) {}

  private FeatureBundles() {}

  /** The repository root, passed by the build as {@code briefcase.root}. */
  public static Path root() {
    String root = System.getProperty("briefcase.root");
    return root != null ? Path.of(root) : Path.of("../..").toAbsolutePath().normalize();
  }

  /** The unpacked distribution the runtime module builds. */
  public static Path distribution() {
    return root().resolve("runtime/target/briefcase");
  }

  /** Every bundle of {@code features/<name>.json}, resolved to the jar in the distribution. */
  public static List<Entry> of(String feature) throws IOException {
    JsonNode f =
        new ObjectMapper().readTree(root().resolve("features/" + feature + ".json").toFile());
    List<Entry> out = new ArrayList<>();
    for (JsonNode b : f.get("bundles")) {
      String id = b.isTextual() ? b.textValue() : b.get("id").asText();
      String[] gav = id.split(":");
      String artifact = gav[1];
      String version = gav[gav.length - 1];
      int order = b.path("start-order").asInt(1);
      Path jar = distribution().resolve("bundle/" + artifact + "-" + version + ".jar");
      if (!Files.isRegularFile(jar)) {
        throw new IOException("bundle " + id + " of feature " + feature + " is not in " + jar);
      }
      out.add(new Entry(id, artifact, version, order, jar));
    }
    return out;
  }

  /** The framework launching properties of a feature, unsubstituted. */
  public static Map<String, String> frameworkProperties(String feature) throws IOException {
    JsonNode f =
        new ObjectMapper().readTree(root().resolve("features/" + feature + ".json").toFile());
    Map<String, String> out = new LinkedHashMap<>();
    f.path("extensions")
        .path("framework-launching-properties")
        .path("json")
        .fields()
        .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }
}
