package dev.briefcase.itests.kernel;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import dev.briefcase.itests.common.FeatureBundles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ops4j.pax.exam.Option;

/** Pax Exam options that boot exactly the bundles of {@code features/core.json}. */
final class RuntimeOptions {
  private RuntimeOptions() {}

  static Option[] core() {
    try {
      Path data = Files.createTempDirectory("briefcase-it");
      Path deploy = Files.createDirectories(data.resolve("deploy"));
      List<Option> options = new ArrayList<>();
      options.add(cleanCaches());
      options.add(frameworkStartLevel(20));
      options.add(junitBundles());
      options.add(systemProperty("org.slf4j.simpleLogger.defaultLogLevel").value("warn"));
      // Felix reads felix.extensions.disable as a system property, as the launcher sets it
      options.add(systemProperty("felix.extensions.disable").value("true"));
      options.add(frameworkProperty("briefcase.data.dir").value(data.toString()));
      options.add(frameworkProperty("briefcase.deploy.dir").value(deploy.toString()));
      options.add(frameworkProperty("briefcase.profile.mode").value("reference"));
      options.add(frameworkProperty("briefcase.tcp.addr").value("127.0.0.1:0"));
      // these tests do not need the OS keyring (the default without a master passphrase)
      options.add(frameworkProperty("briefcase.secret.backend").value("file"));
      for (Map.Entry<String, String> p : FeatureBundles.frameworkProperties("core").entrySet()) {
        if (p.getKey().startsWith("org.osgi.framework.storage")
            || p.getKey().equals("org.osgi.framework.bundle.parent")
            || p.getKey().equals("org.osgi.framework.system.packages.extra")) {
          continue; // Pax Exam owns the storage; system packages are set below
        }
        options.add(
            frameworkProperty(p.getKey())
                .value(
                    p.getValue()
                        .replace("${briefcase.data.dir}", data.toString())
                        .replace("${briefcase.deploy.dir}", deploy.toString())));
      }
      // appended to Pax Exam's own extra system packages, which the probe needs
      options.add(systemPackages(systemPackagesExtra()));
      for (FeatureBundles.Entry b : FeatureBundles.of("core")) {
        options.add(bundle(b.file().toUri().toString()).startLevel(b.startOrder() + 1).start());
      }
      return options.toArray(new Option[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #core()} plus the path of the test connector jar in a system property. */
  static Option[] coreWithTestConnector(String property) {
    Path jar =
        FeatureBundles.root()
            .resolve(
                "itests/test-connector/target/dev.briefcase.itests.connector-0.1.0-SNAPSHOT.jar");
    return org.ops4j.pax.exam.OptionUtils.combine(
        core(), systemProperty(property).value(jar.toString()));
  }

  private static String[] systemPackagesExtra() throws IOException {
    String fromFeature =
        FeatureBundles.frameworkProperties("core")
            .getOrDefault("org.osgi.framework.system.packages.extra", "");
    return fromFeature.split(",");
  }
}
