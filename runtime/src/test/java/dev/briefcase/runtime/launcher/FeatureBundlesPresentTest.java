package dev.briefcase.runtime.launcher;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * The build-time check that keeps the feature files the single source of truth: every bundle of
 * every {@code features/*.json} must have been copied into {@code target/briefcase/bundle/} from
 * this module's dependencies. Fails the build (surefire) if one is missing.
 */
public class FeatureBundlesPresentTest {

  @Test
  public void everyFeatureBundleIsInTheDistribution() throws Exception {
    Path bundleDir =
        Path.of(System.getProperty("briefcase.test.bundleDir", "target/briefcase/bundle"));
    Path featuresDir = Path.of(System.getProperty("briefcase.test.featuresDir", "../features"));
    boolean thirdPartyOnly = "true".equals(System.getProperty("briefcase.test.thirdPartyOnly"));
    assertTrue("no bundle dir " + bundleDir, Files.isDirectory(bundleDir));

    List<Path> features;
    try (Stream<Path> files = Files.list(featuresDir)) {
      features = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new AssertionError("cannot list " + featuresDir, e);
    }
    assertTrue("no feature files in " + featuresDir, !features.isEmpty());

    List<String> missing = new ArrayList<>();
    for (Path file : features) {
      Feature feature = new FeatureReader().read(file);
      for (FeatureBundle bundle : feature.bundles()) {
        if (thirdPartyOnly
            && bundle.groupId().equals("dev.briefcase")
            && !bundle.artifactId().equals("dev.briefcase.api")) {
          continue; // -Dbriefcase.thirdPartyOnly: the implementation bundles are not built yet
        }
        if (!Files.isRegularFile(bundleDir.resolve(bundle.fileName()))) {
          missing.add(file.getFileName() + ": " + bundle.id());
        }
      }
    }
    if (!missing.isEmpty()) {
      fail(
          "bundles named in features/ but not copied into "
              + bundleDir
              + " (add them as runtime dependencies of runtime/pom.xml): "
              + missing);
    }
  }
}
