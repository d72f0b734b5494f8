package dev.briefcase.runtime.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.briefcase.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** Boots a real Felix with SCR, Config Admin and File Install from a feature file. */
public class FeatureLauncherTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final String FEATURE =
      """
      {
        "feature-resource-version": "1.0",
        "id": "dev.briefcase:test-feature:1",
        "bundles": [
          {"id": "org.osgi:org.osgi.util.function:1.2.0", "start-order": 1},
          {"id": "org.osgi:org.osgi.util.promise:1.3.0", "start-order": 1},
          {"id": "org.osgi:org.osgi.service.component:1.5.1", "start-order": 1},
          {"id": "org.apache.felix:org.apache.felix.configadmin:1.9.26", "start-order": 2},
          {"id": "org.apache.felix:org.apache.felix.scr:2.2.18", "start-order": 2},
          {"id": "org.apache.felix:org.apache.felix.fileinstall:3.7.4", "start-order": 4}
        ],
        "variables": {"greeting": "hello"},
        "configurations": {
          "test.pid": {"dir": "${briefcase.data.dir}/x", "bind": "${briefcase.tcp.addr}",
                       "port:Integer": "7", "greeting": "${greeting}"},
          "test.factory~one": {"name": "one"}
        },
        "extensions": {
          "framework-launching-properties": {
            "kind": "mandatory", "type": "json",
            "json": {
              "org.osgi.framework.storage.clean": "onFirstInit",
              "felix.log.level": "1",
              "felix.cm.dir": "${briefcase.data.dir}/config",
              "felix.fileinstall.dir": "${briefcase.deploy.dir}",
              "felix.fileinstall.poll": "100",
              "felix.fileinstall.noInitialDelay": "true",
              "felix.fileinstall.start.level": "4",
              "felix.fileinstall.log.level": "1",
              "felix.fileinstall.filter": ".*\\\\.jar",
              "felix.fileinstall.enableConfigSave": "false"
            }
          }
        }
      }
      """;

  private Path dataDir;
  private Path featureFile;
  private LaunchSettings settings;
  private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
  private PrintStream log;
  private BriefcaseKernel kernel;

  @Before
  public void setUp() throws Exception {
    dataDir = tmp.getRoot().toPath().resolve("data");
    featureFile = tmp.newFile("feature.json").toPath();
    Files.writeString(featureFile, FEATURE);
    Path bundleDir =
        Path.of(System.getProperty("briefcase.test.bundleDir", "target/briefcase/bundle"));
    settings =
        new LaunchSettings(null, bundleDir, dataDir, "reference", "127.0.0.1:0", "warn", Map.of());
    log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
  }

  @After
  public void tearDown() {
    if (kernel != null) {
      kernel.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  public void bootsConfiguresAndStopsCleanly() throws Exception {
    Files.createDirectories(dataDir);
    Files.writeString(dataDir.resolve(BriefcaseKernel.ADMIN_URL_FILE), "http://stale\n");

    kernel = new FeatureLauncher(settings, log).launch(List.of(featureFile));
    BundleContext ctx = kernel.framework().getBundleContext();

    // every bundle of the feature is active, at its start level
    for (Bundle b : ctx.getBundles()) {
      if (b.getBundleId() != 0) {
        assertEquals(b.getSymbolicName(), Bundle.ACTIVE, b.getState());
      }
    }
    assertEquals(
        4,
        kernel
            .framework()
            .adapt(org.osgi.framework.startlevel.FrameworkStartLevel.class)
            .getStartLevel());

    // the configurations reached Config Admin, placeholders substituted and typed
    ServiceReference<?> ref = FeatureLauncher.findConfigAdmin(ctx);
    assertNotNull(ref);
    Object cm = ctx.getService(ref);
    Object config =
        FeatureLauncher.invoke(
            cm,
            "org.osgi.service.cm.ConfigurationAdmin",
            "getConfiguration",
            new Class<?>[] {String.class, String.class},
            "test.pid",
            "?");
    Dictionary<?, ?> props =
        (Dictionary<?, ?>)
            FeatureLauncher.invoke(
                config, "org.osgi.service.cm.Configuration", "getProperties", new Class<?>[0]);
    assertNotNull("test.pid was not configured", props);
    assertEquals(dataDir + "/x", props.get("dir"));
    assertEquals("127.0.0.1:0", props.get("bind"));
    assertEquals(7, props.get("port"));
    assertEquals("hello", props.get("greeting"));

    Object[] factory =
        (Object[])
            FeatureLauncher.invoke(
                cm,
                "org.osgi.service.cm.ConfigurationAdmin",
                "listConfigurations",
                new Class<?>[] {String.class},
                "(service.factoryPid=test.factory)");
    assertNotNull("test.factory~one was not configured", factory);
    assertEquals(1, factory.length);
    ctx.ungetService(ref);

    // data dir layout, pid file, stale admin.url removed
    assertTrue(Files.isDirectory(dataDir.resolve("deploy")));
    assertEquals(
        PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dataDir));
    assertFalse(Files.exists(dataDir.resolve(BriefcaseKernel.ADMIN_URL_FILE)));
    assertEquals(
        Long.toString(ProcessHandle.current().pid()),
        Files.readString(dataDir.resolve(InstanceLock.PID_FILE)).trim());

    // a second kernel on the same data dir is refused
    LaunchException twice =
        assertThrows(
            LaunchException.class,
            () -> new FeatureLauncher(settings, log).launch(List.of(featureFile)));
    assertTrue(twice.getMessage(), twice.getMessage().startsWith("already running (pid "));

    // File Install watches <data_dir>/deploy
    writeBundle(
        tmp.getRoot().toPath().resolve("deployed.jar"),
        dataDir.resolve("deploy").resolve("deployed.jar"),
        "test.deployed");
    Poll.waitFor(
        () -> active(ctx, "test.deployed"),
        "File Install to install a bundle dropped into deploy/",
        Duration.ofSeconds(20));

    // a .cfg dropped into deploy/ is not configuration: File Install takes jars only (the jar
    // dropped after it is installed, so the folder was scanned past the .cfg)
    Files.writeString(dataDir.resolve("deploy").resolve("test.dropped.cfg"), "port=9\n");
    writeBundle(
        tmp.getRoot().toPath().resolve("sentinel.jar"),
        dataDir.resolve("deploy").resolve("sentinel.jar"),
        "test.sentinel");
    awaitBundle(ctx, "test.sentinel");
    ref = FeatureLauncher.findConfigAdmin(ctx);
    cm = ctx.getService(ref);
    assertEquals(
        null,
        FeatureLauncher.invoke(
            cm,
            "org.osgi.service.cm.ConfigurationAdmin",
            "listConfigurations",
            new Class<?>[] {String.class},
            "(service.pid=test.dropped)"));

    // a run-time change through Config Admin is stored but never delivered: every target gets
    // the feature's values, and the change is reported with configuration_locked
    java.util.Hashtable<String, Object> changed = new java.util.Hashtable<>();
    changed.put("bind", "0.0.0.0:1");
    changed.put("extra", "x");
    FeatureLauncher.invoke(
        config,
        "org.osgi.service.cm.Configuration",
        "update",
        new Class<?>[] {Dictionary.class},
        changed);
    Dictionary<?, ?> delivered =
        (Dictionary<?, ?>)
            FeatureLauncher.invoke(
                config,
                "org.osgi.service.cm.Configuration",
                "getProcessedProperties",
                new Class<?>[] {ServiceReference.class},
                ref);
    assertEquals("127.0.0.1:0", delivered.get("bind"));
    assertEquals(7, delivered.get("port"));
    assertEquals(null, delivered.get("extra"));
    assertTrue(
        logBytes.toString(StandardCharsets.UTF_8),
        logBytes
            .toString()
            .contains("configuration_locked: ignored a run-time change to configuration test.pid"));

    // deleting it (a console, a plugin with ConfigurationAdmin) does not leave the target on its
    // defaults: the configuration is created again with the feature's values
    FeatureLauncher.invoke(config, "org.osgi.service.cm.Configuration", "delete", new Class<?>[0]);
    Dictionary<?, ?> restored = awaitConfiguration(cm, "test.pid");
    assertNotNull("a deleted pinned configuration was not restored", restored);
    assertEquals("127.0.0.1:0", restored.get("bind"));
    assertEquals(7, restored.get("port"));
    assertEquals(null, restored.get("extra"));
    assertTrue(
        logBytes.toString(StandardCharsets.UTF_8),
        logBytes
            .toString()
            .contains("configuration_locked: configuration test.pid was deleted at run time"));
    ctx.ungetService(ref);

    // clean stop: framework resolved, pid file and lock gone
    assertTrue(kernel.stop(Duration.ofSeconds(30)));
    assertEquals(Bundle.RESOLVED, kernel.framework().getState());
    kernel = null;
    assertFalse(Files.exists(dataDir.resolve(InstanceLock.PID_FILE)));
    assertFalse(InstanceLock.isHeld(dataDir));

    // and it starts again on the same data dir
    kernel = new FeatureLauncher(settings, log).launch(List.of(featureFile));
    assertEquals(Bundle.ACTIVE, kernel.framework().getState());
  }

  @Test
  public void missingBundleIsOneClearLine() throws Exception {
    Files.writeString(
        featureFile,
        "{\"id\":\"g:f:1\",\"bundles\":[{\"id\":\"org.example:not-there:9.9\",\"start-order\":1}]}");
    LaunchException e =
        assertThrows(
            LaunchException.class,
            () -> new FeatureLauncher(settings, log).launch(List.of(featureFile)));
    assertEquals(
        "feature g:f:1: bundle org.example:not-there:9.9 is missing ("
            + settings.bundleDir().resolve("not-there-9.9.jar")
            + ")",
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    // nothing was started or locked
    assertFalse(InstanceLock.isHeld(dataDir));
  }

  @Test
  public void configurationsWithoutConfigAdminFail() throws Exception {
    Files.writeString(
        featureFile,
        "{\"id\":\"g:f:1\",\"bundles\":[{\"id\":\"org.osgi:org.osgi.util.function:1.2.0\"}],"
            + "\"configurations\":{\"p\":{\"k\":1}}}");
    LaunchException e =
        assertThrows(
            LaunchException.class,
            () -> new FeatureLauncher(settings, log, 200, 30_000).launch(List.of(featureFile)));
    assertTrue(e.getMessage(), e.getMessage().contains("no ConfigurationAdmin"));
    assertFalse("the lock must be released after a failed start", InstanceLock.isHeld(dataDir));
  }

  /** The stored properties of {@code pid} once it exists again, or null after the deadline. */
  private static Dictionary<?, ?> awaitConfiguration(Object cm, String pid) throws Exception {
    return Poll.firstWithin(Duration.ofSeconds(20), () -> storedWithBind(cm, pid));
  }

  /** The stored properties of {@code pid} when it exists with a {@code bind} value, else null. */
  private static Dictionary<?, ?> storedWithBind(Object cm, String pid) throws Exception {
    Object[] found =
        (Object[])
            FeatureLauncher.invoke(
                cm,
                "org.osgi.service.cm.ConfigurationAdmin",
                "listConfigurations",
                new Class<?>[] {String.class},
                "(service.pid=" + pid + ")");
    if (found != null && found.length == 1) {
      Dictionary<?, ?> props =
          (Dictionary<?, ?>)
              FeatureLauncher.invoke(
                  found[0], "org.osgi.service.cm.Configuration", "getProperties", new Class<?>[0]);
      if (props != null && props.get("bind") != null) {
        return props;
      }
    }
    return null;
  }

  private static void awaitBundle(BundleContext ctx, String bsn) throws Exception {
    Poll.waitFor(() -> active(ctx, bsn), "File Install to install " + bsn, Duration.ofSeconds(20));
  }

  private static boolean active(BundleContext ctx, String bsn) {
    for (Bundle b : ctx.getBundles()) {
      if (bsn.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
        return true;
      }
    }
    return false;
  }

  private static void writeBundle(Path part, Path jar, String bsn) throws Exception {
    Manifest mf = new Manifest();
    Attributes main = mf.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.putValue("Bundle-ManifestVersion", "2");
    main.putValue("Bundle-SymbolicName", bsn);
    main.putValue("Bundle-Version", "1.0.0");
    try (OutputStream out = Files.newOutputStream(part);
        JarOutputStream jos = new JarOutputStream(out, mf)) {
      jos.flush();
    }
    Files.move(part, jar);
  }
}
