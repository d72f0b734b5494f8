package dev.briefcase.runtime.launcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.edge.OneLine;
import dev.briefcase.edge.OwnerOnlyFile;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Boots Apache Felix from OSGi feature files. No resolver runs before start and nothing is scanned:
 * the feature lists the bundles, each is installed by reference from the distribution's {@code
 * bundle/} folder, and start levels come from {@code start-order}. The framework is raised one
 * start level at a time; as soon as Config Admin is there, the feature configurations are applied,
 * so components in later levels activate once, with their final configuration. Those are the only
 * configurations any component ever sees: {@link ConfigurationLock} makes Config Admin changes made
 * at run time ineffective.
 *
 * <p>Not thread-safe; one launch per instance.
 */
public final class FeatureLauncher {
  private static final String CONFIG_ADMIN = "org.osgi.service.cm.ConfigurationAdmin";
  private static final String SECRET_STORE = "dev.briefcase.secrets.SecretStore";
  private static final String SECRET_BUNDLE_PREFIX = "dev.briefcase.secrets.";
  private static final String CONFIGURATION = "org.osgi.service.cm.Configuration";
  private static final Set<String> CM_OWN_KEYS =
      Set.of(Constants.SERVICE_PID, "service.factoryPid", "service.bundleLocation");

  private final LaunchSettings settings;
  private final PrintStream log;
  private final long configAdminWaitMillis;
  private final long startLevelWaitMillis;
  // the backend gates decide while their start level is raised; only the service registration
  // itself is asynchronous, so a few seconds are plenty when a store is coming
  private final long secretStoreWaitMillis = 5_000;

  /**
   * @param settings where and how to run
   * @param log where the launcher's own one-line messages go (standard error)
   */
  public FeatureLauncher(LaunchSettings settings, PrintStream log) {
    this(settings, log, 10_000, 120_000);
  }

  FeatureLauncher(
      LaunchSettings settings, PrintStream log, long configAdminWaitMillis, long levelWaitMillis) {
    this.settings = settings;
    this.log = log;
    this.configAdminWaitMillis = configAdminWaitMillis;
    this.startLevelWaitMillis = levelWaitMillis;
  }

  /**
   * Checks everything that can be checked without a framework, takes the instance lock, starts the
   * framework and applies the configurations.
   *
   * @param featureFiles the core feature first, then any extra features
   * @return the running kernel; the caller stops it
   * @throws LaunchException with a one-line message if anything is missing or wrong
   */
  public BriefcaseKernel launch(List<Path> featureFiles) throws LaunchException {
    long started = System.nanoTime();
    Feature feature = new FeatureReader().readAll(featureFiles);
    Map<FeatureBundle, Path> files = resolveBundles(feature, settings.bundleDir());
    Map<String, String> frameworkProperties = frameworkProperties(feature, settings);
    Map<ConfigurationPid, Hashtable<String, Object>> configurations =
        configurations(feature, frameworkProperties);

    prepareDataDir();
    InstanceLock lock = InstanceLock.acquire(settings.dataDir());
    try {
      checkTokenFiles(settings.dataDir());
    } catch (LaunchException e) {
      lock.close();
      throw e;
    }
    Framework framework = null;
    try {
      // only the kernel we are about to start may publish an admin URL
      Files.deleteIfExists(settings.dataDir().resolve(BriefcaseKernel.ADMIN_URL_FILE));
      writeActiveFeatures(featureFiles);
      configureLogging();
      framework = newFramework(frameworkProperties);
      framework.init();
      List<Bundle> installed = install(framework.getBundleContext(), files);
      // before anything starts: from here on Config Admin delivers only the features' values
      new ConfigurationLock(configurations, settings.dataDir(), log)
          .register(framework.getBundleContext(), installed);
      framework.start();
      if (debug()) {
        log.printf(
            "briefcase: framework started, %d bundles installed, after %d ms%n",
            installed.size(), (System.nanoTime() - started) / 1_000_000);
      }
      int finalLevel = finalStartLevel(feature, frameworkProperties);
      raiseStartLevels(framework, installed, finalLevel, configurations);
      warnAboutInactive(installed);
      awaitSecretStore(framework, installed);
      return new BriefcaseKernel(framework, lock, settings, log, System.nanoTime() - started);
    } catch (LaunchException | RuntimeException | IOException | BundleException e) {
      stopQuietly(framework);
      lock.close();
      if (e instanceof LaunchException le) {
        throw le;
      }
      throw new LaunchException("start failed: " + OneLine.firstLine(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopQuietly(framework);
      lock.close();
      throw new LaunchException("start interrupted", e);
    }
  }

  /**
   * Records which features this kernel runs in {@code <data_dir>/}{@value
   * BriefcaseKernel#FEATURES_FILE} ({@code briefcase status} shows them): a JSON array of {@code
   * {name, id, file}}, the core feature first.
   */
  private void writeActiveFeatures(List<Path> featureFiles) throws LaunchException, IOException {
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ArrayNode active = mapper.createArrayNode();
    for (Path file : featureFiles) {
      String name = file.getFileName().toString();
      ObjectNode f = active.addObject();
      f.put("name", name.endsWith(".json") ? name.substring(0, name.length() - 5) : name);
      f.put("id", new FeatureReader().read(file).id());
      f.put("file", file.toAbsolutePath().toString());
    }
    OwnerOnlyFile.replace(
        settings.dataDir().resolve(BriefcaseKernel.FEATURES_FILE),
        mapper.writeValueAsBytes(active));
  }

  /**
   * Maps each feature bundle to {@code <bundleDir>/<artifactId>-<version>.jar}.
   *
   * @throws LaunchException naming the first missing bundle id and the file it looked for
   */
  public static Map<FeatureBundle, Path> resolveBundles(Feature feature, Path bundleDir)
      throws LaunchException {
    if (bundleDir == null) {
      throw new LaunchException("no bundle directory (is briefcase.home set?)");
    }
    Map<FeatureBundle, Path> files = new LinkedHashMap<>();
    for (FeatureBundle bundle : feature.bundles()) {
      Path file = bundleDir.resolve(bundle.fileName());
      if (!Files.isRegularFile(file)) {
        throw new LaunchException(
            "feature " + feature.id() + ": bundle " + bundle.id() + " is missing (" + file + ")");
      }
      files.put(bundle, file);
    }
    return files;
  }

  /**
   * The framework properties: the feature's launching properties with placeholders substituted,
   * then the launcher's own ({@code briefcase.*}, storage), which win.
   */
  public static Map<String, String> frameworkProperties(Feature feature, LaunchSettings settings)
      throws LaunchException {
    Map<String, String> own = settings.frameworkProperties();
    Placeholders placeholders =
        new Placeholders(List.of(own, feature.variables(), feature.frameworkProperties()));
    Map<String, String> props = new HashMap<>();
    try {
      props.putAll(placeholders.substituteAll(feature.frameworkProperties(), "framework property"));
    } catch (IllegalArgumentException e) {
      throw new LaunchException("feature " + feature.id() + ": " + e.getMessage(), e);
    }
    props.putAll(own);
    return props;
  }

  /** Converts every feature configuration, substituting placeholders from {@code properties}. */
  public static Map<ConfigurationPid, Hashtable<String, Object>> configurations(
      Feature feature, Map<String, String> properties) throws LaunchException {
    Placeholders placeholders = new Placeholders(List.of(properties, feature.variables()));
    Map<ConfigurationPid, Hashtable<String, Object>> out = new LinkedHashMap<>();
    for (Map.Entry<String, ObjectNode> e : feature.configurations().entrySet()) {
      try {
        out.put(
            ConfigurationPid.parse(e.getKey()),
            ConfigurationValues.toProperties(e.getKey(), e.getValue(), placeholders));
      } catch (IllegalArgumentException ex) {
        throw new LaunchException("feature " + feature.id() + ": " + ex.getMessage(), ex);
      }
    }
    try {
      PaymentHelperCommand.apply(out, properties);
    } catch (IllegalArgumentException ex) {
      throw new LaunchException("invalid BRIEFCASE_PAYMENT_HELPER: " + ex.getMessage(), ex);
    }
    return out;
  }

  private void prepareDataDir() throws LaunchException {
    Path dataDir = settings.dataDir();
    try {
      createPrivateDirectory(dataDir);
      createPrivateDirectory(settings.deployDir());
      createPrivateDirectory(dataDir.resolve("logs"));
    } catch (IOException e) {
      throw new LaunchException(
          "cannot create data directory " + dataDir + ": " + OneLine.firstLine(e), e);
    }
  }

  /** Bearer token files in the data directory that must be owner-only when they exist. */
  static final List<String> TOKEN_FILES = List.of("auth_token", "mcp_token");

  /**
   * Refuses to start with an existing token file that others can read ({@code
   * token_file_permissions}): they may have copied it, so it is no longer a secret. Checked before
   * anything listens; the bundles check again when they load the file.
   */
  static void checkTokenFiles(Path dataDir) throws LaunchException {
    for (String name : TOKEN_FILES) {
      Path file = dataDir.resolve(name);
      if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try {
        OwnerOnlyFile.requirePrivate(file, OwnerOnlyFile.WIDER_THAN_0600);
      } catch (OwnerOnlyFile.RefusedException e) {
        throw new LaunchException(e.getMessage());
      } catch (IOException e) {
        throw new LaunchException("cannot read " + file + ": " + OneLine.firstLine(e), e);
      }
    }
  }

  /** Creates {@code dir} with mode 0700 (POSIX), or tightens an existing one to 0700. */
  public static void createPrivateDirectory(Path dir) throws IOException {
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (!posix) {
      Files.createDirectories(dir);
      return;
    }
    Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
    if (!Files.isDirectory(dir)) {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(owner));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // created concurrently: fall through and tighten
      }
    }
    if (!Files.getPosixFilePermissions(dir).equals(owner)) {
      Files.setPosixFilePermissions(dir, owner);
    }
  }

  /**
   * slf4j-simple reads system properties once, when the first logger is made, so they are set
   * before any bundle starts. An explicit {@code -D} on the command line wins, except for the
   * level, which {@code BRIEFCASE_LOG_LEVEL} sets.
   */
  private void configureLogging() {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", settings.logLevel());
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "true");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    // bundles without slf4j (SPI Fly) log through java.util.logging: one line, same time format
    setIfAbsent(
        "java.util.logging.SimpleFormatter.format",
        "%1$tFT%1$tT.%1$tL%1$tz [jul] %4$s %3$s - %5$s%6$s%n");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private static Framework newFramework(Map<String, String> properties) throws LaunchException {
    FrameworkFactory factory =
        ServiceLoader.load(FrameworkFactory.class, FeatureLauncher.class.getClassLoader())
            .findFirst()
            .orElseThrow(
                () ->
                    new LaunchException(
                        "no OSGi framework on the classpath (org.apache.felix.framework)"));
    if ("true".equalsIgnoreCase(properties.get(EXTENSIONS_DISABLE))) {
      // Felix reads this one as a system property, once, when its extension manager loads:
      // without it an extension bundle dropped into deploy/ runs its activator in this JVM
      System.setProperty(EXTENSIONS_DISABLE, "true");
    }
    return factory.newFramework(properties);
  }

  /** Felix's switch that refuses framework extension bundles (read as a system property). */
  static final String EXTENSIONS_DISABLE = "felix.extensions.disable";

  private static List<Bundle> install(BundleContext context, Map<FeatureBundle, Path> files)
      throws LaunchException {
    List<Bundle> installed = new ArrayList<>();
    for (Map.Entry<FeatureBundle, Path> e : files.entrySet()) {
      FeatureBundle fb = e.getKey();
      try {
        // by reference: no copy into the cache, so a start costs no jar copying
        Bundle bundle = context.installBundle("reference:" + e.getValue().toUri());
        bundle.adapt(BundleStartLevel.class).setStartLevel(fb.startOrder());
        if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
          bundle.start(); // takes effect when the framework reaches the bundle's level
        }
        installed.add(bundle);
      } catch (BundleException | RuntimeException ex) {
        throw new LaunchException(
            "cannot install bundle " + fb.id() + ": " + OneLine.firstLine(ex), ex);
      }
    }
    return installed;
  }

  private static int finalStartLevel(Feature feature, Map<String, String> properties) {
    int level = 1;
    for (FeatureBundle bundle : feature.bundles()) {
      level = Math.max(level, bundle.startOrder());
    }
    String beginning = properties.get(Constants.FRAMEWORK_BEGINNING_STARTLEVEL);
    if (beginning != null) {
      try {
        level = Math.max(level, Integer.parseInt(beginning.trim()));
      } catch (NumberFormatException e) {
        // Felix ignores it too; the bundles' levels decide
      }
    }
    return level;
  }

  private void raiseStartLevels(
      Framework framework,
      List<Bundle> installed,
      int finalLevel,
      Map<ConfigurationPid, Hashtable<String, Object>> configurations)
      throws LaunchException, InterruptedException {
    FrameworkStartLevel fsl = framework.adapt(FrameworkStartLevel.class);
    Set<Integer> levels = new TreeSet<>();
    for (Bundle bundle : installed) {
      levels.add(bundle.adapt(BundleStartLevel.class).getStartLevel());
    }
    levels.add(finalLevel);
    boolean configured = configurations.isEmpty();
    long deadline = System.currentTimeMillis() + startLevelWaitMillis;
    for (int level : levels) {
      if (level > fsl.getStartLevel()) {
        long t0 = System.nanoTime();
        setStartLevel(fsl, level, deadline);
        if (debug()) {
          log.printf(
              "briefcase: start level %d reached in %d ms%n",
              level, (System.nanoTime() - t0) / 1_000_000);
        }
      }
      if (!configured) {
        ServiceReference<?> ref = findConfigAdmin(framework.getBundleContext());
        if (ref != null) {
          applyConfigurations(framework.getBundleContext(), ref, configurations);
          configured = true;
        }
      }
    }
    if (!configured) {
      // Config Admin may register its service asynchronously: wait for it with a deadline
      applyConfigurations(
          framework.getBundleContext(), awaitConfigAdmin(framework), configurations);
    }
  }

  private boolean debug() {
    return settings.logLevel().equals("debug") || settings.logLevel().equals("trace");
  }

  private void setStartLevel(FrameworkStartLevel fsl, int level, long deadline)
      throws LaunchException, InterruptedException {
    CountDownLatch reached = new CountDownLatch(1);
    fsl.setStartLevel(
        level,
        event -> {
          if (event.getType() == FrameworkEvent.STARTLEVEL_CHANGED) {
            reached.countDown();
          }
        });
    long wait = Math.max(1, deadline - System.currentTimeMillis());
    if (!reached.await(wait, TimeUnit.MILLISECONDS)) {
      throw new LaunchException("start level " + level + " was not reached in time");
    }
  }

  /**
   * The Config Admin service. Looked up with {@code getAllServiceReferences}: the system bundle
   * cannot see {@code org.osgi.service.cm}, so the class-space filtered lookup finds nothing.
   */
  static ServiceReference<?> findConfigAdmin(BundleContext context) {
    try {
      ServiceReference<?>[] refs = context.getAllServiceReferences(CONFIG_ADMIN, null);
      if (refs == null || refs.length == 0) {
        return null;
      }
      java.util.Arrays.sort(refs, java.util.Collections.reverseOrder());
      return refs[0];
    } catch (org.osgi.framework.InvalidSyntaxException e) {
      throw new IllegalStateException(e); // no filter given
    }
  }

  private ServiceReference<?> awaitConfigAdmin(Framework framework)
      throws LaunchException, InterruptedException {
    ServiceTracker<Object, Object> tracker =
        new ServiceTracker<>(framework.getBundleContext(), CONFIG_ADMIN, null);
    tracker.open(true); // all services: see findConfigAdmin
    try {
      if (tracker.waitForService(configAdminWaitMillis) == null) {
        throw new LaunchException(
            "the feature has configurations but no ConfigurationAdmin service appeared within "
                + configAdminWaitMillis / 1000
                + " s (is org.apache.felix.configadmin in the feature?)");
      }
      return tracker.getServiceReference();
    } finally {
      tracker.close();
    }
  }

  /**
   * Applies the configurations through Config Admin, by reflection: the {@code org.osgi.service.cm}
   * classes live in the Config Admin bundle, not on the launcher's class path. Location "?" lets
   * whichever bundle owns the PID bind it. An unchanged configuration is not updated again, so a
   * restart does not reactivate components for nothing.
   */
  static void applyConfigurations(
      BundleContext context,
      ServiceReference<?> ref,
      Map<ConfigurationPid, Hashtable<String, Object>> configurations)
      throws LaunchException {
    Object cm = context.getService(ref);
    if (cm == null) {
      throw new LaunchException("ConfigurationAdmin went away while configuring");
    }
    try {
      for (Map.Entry<ConfigurationPid, Hashtable<String, Object>> e : configurations.entrySet()) {
        ConfigurationPid pid = e.getKey();
        Object configuration =
            pid.isFactory()
                ? invoke(
                    cm,
                    CONFIG_ADMIN,
                    "getFactoryConfiguration",
                    new Class<?>[] {String.class, String.class, String.class},
                    pid.factoryPid(),
                    pid.pid(),
                    "?")
                : invoke(
                    cm,
                    CONFIG_ADMIN,
                    "getConfiguration",
                    new Class<?>[] {String.class, String.class},
                    pid.pid(),
                    "?");
        Dictionary<?, ?> current =
            (Dictionary<?, ?>)
                invoke(configuration, CONFIGURATION, "getProperties", new Class<?>[0]);
        if (!sameProperties(current, e.getValue())) {
          invoke(
              configuration,
              CONFIGURATION,
              "update",
              new Class<?>[] {Dictionary.class},
              new Hashtable<>(e.getValue()));
        }
      }
    } finally {
      context.ungetService(ref);
    }
  }

  private static boolean sameProperties(Dictionary<?, ?> current, Map<String, Object> wanted) {
    if (current == null) {
      return false;
    }
    Map<String, Object> have = new HashMap<>();
    for (Enumeration<?> keys = current.keys(); keys.hasMoreElements(); ) {
      Object key = keys.nextElement();
      if (!CM_OWN_KEYS.contains(key)) {
        have.put(String.valueOf(key), current.get(key));
      }
    }
    if (!have.keySet().equals(wanted.keySet())) {
      return false;
    }
    for (Map.Entry<String, Object> e : wanted.entrySet()) {
      if (!java.util.Objects.deepEquals(
          arrayToList(e.getValue()), arrayToList(have.get(e.getKey())))) {
        return false;
      }
    }
    return true;
  }

  private static Object arrayToList(Object value) {
    if (value == null || !value.getClass().isArray()) {
      return value;
    }
    int n = java.lang.reflect.Array.getLength(value);
    List<Object> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(java.lang.reflect.Array.get(value, i));
    }
    return list;
  }

  /** Calls {@code method} of the interface {@code type} that {@code target} implements. */
  static Object invoke(
      Object target, String type, String method, Class<?>[] parameters, Object... args)
      throws LaunchException {
    Class<?> iface = findInterface(target.getClass(), type);
    if (iface == null) {
      throw new LaunchException(target.getClass().getName() + " does not implement " + type);
    }
    try {
      Method m = iface.getMethod(method, parameters);
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw new LaunchException(
          "configuration failed: " + type + "." + method + ": " + OneLine.firstLine(e.getCause()),
          e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new LaunchException("configuration failed: " + OneLine.firstLine(e), e);
    }
  }

  private static Class<?> findInterface(Class<?> cls, String name) {
    for (Class<?> c = cls; c != null; c = c.getSuperclass()) {
      for (Class<?> i : c.getInterfaces()) {
        if (i.getName().equals(name)) {
          return i;
        }
        Class<?> deeper = findInterface(i, name);
        if (deeper != null) {
          return deeper;
        }
      }
    }
    return null;
  }

  /**
   * A kernel whose feature has a secret store bundle must end up with one secret store: the
   * selected backend's bundle registers it (SPEC §12). If none appears — the keyring was not
   * reachable, or the selected backend refused — the start is refused rather than running a kernel
   * that fails every credentialed call. The bundle that refused logged the reason just before.
   */
  private void awaitSecretStore(Framework framework, List<Bundle> installed)
      throws LaunchException, InterruptedException {
    boolean hasStore =
        installed.stream()
            .map(Bundle::getSymbolicName)
            .anyMatch(n -> n != null && n.startsWith(SECRET_BUNDLE_PREFIX));
    if (!hasStore) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(secretStoreWaitMillis);
    while (true) {
      try {
        ServiceReference<?>[] refs =
            framework.getBundleContext().getAllServiceReferences(SECRET_STORE, null);
        if (refs != null && refs.length > 0) {
          return;
        }
      } catch (org.osgi.framework.InvalidSyntaxException e) {
        throw new IllegalStateException(e); // no filter given
      }
      if (System.nanoTime() > deadline) {
        throw new LaunchException(
            "no secret store started (backend '"
                + settings.extraProperties().get("briefcase.secret.backend")
                + "'; see the error above). Either make the OS keyring reachable and unlocked, or"
                + " set BRIEFCASE_MASTER_PASSPHRASE to use the encrypted file store"
                + " (BRIEFCASE_SECRET_BACKEND=file)");
      }
      Thread.sleep(20);
    }
  }

  private void warnAboutInactive(List<Bundle> installed) {
    for (Bundle bundle : installed) {
      boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
      if (!fragment && bundle.getState() != Bundle.ACTIVE) {
        log.println(
            "briefcase: warning: bundle "
                + bundle.getSymbolicName()
                + " "
                + bundle.getVersion()
                + " is not active ("
                + stateName(bundle.getState())
                + ")");
      }
    }
  }

  static String stateName(int state) {
    return switch (state) {
      case Bundle.INSTALLED -> "installed: unresolved";
      case Bundle.RESOLVED -> "resolved";
      case Bundle.STARTING -> "starting";
      case Bundle.STOPPING -> "stopping";
      case Bundle.ACTIVE -> "active";
      default -> "uninstalled";
    };
  }

  private static void stopQuietly(Framework framework) {
    if (framework == null) {
      return;
    }
    try {
      framework.stop();
      framework.waitForStop(10_000);
    } catch (BundleException | RuntimeException e) {
      // already failing; the original error is what the operator needs
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
