package dev.briefcase.policy.cedar.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.testing.FeatureFramework;
import dev.briefcase.testing.Poll;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleReference;
import org.osgi.framework.ServiceReference;

/**
 * Boots a real Felix with the packaged bundle (target/*.jar), the Jackson and API bundles and SCR,
 * and proves that Cedar's native library is loaded from the framework's bundle cache through {@code
 * Bundle-NativeCode}. Cedar is kept off this JVM's class path (failsafe
 * classpathDependencyExcludes), so the bundle can only work with what it carries.
 */
public class FelixNativeIT {

  private static final String INTERNAL = "dev.briefcase.policy.cedar.internal.";

  /**
   * What the Cedar bundle imports: the DS runtime, Jackson and the API, by artifact id. Their
   * coordinates come from features/core.json, so this test boots the versions the product ships;
   * the pom declares them as test dependencies so that an empty local repository gets them.
   */
  private static final List<String> PREREQUISITES =
      List.of(
          "jackson-annotations",
          "jackson-core",
          "jackson-databind",
          "org.osgi.util.function",
          "org.osgi.util.promise",
          "org.osgi.service.component",
          "org.apache.felix.scr",
          "dev.briefcase.api");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private FeatureFramework framework;
  private Path storage;
  private Bundle api;
  private Bundle cedar;

  @Before
  public void boot() throws Exception {
    storage = tmp.newFolder("felix-cache").toPath().toRealPath();
    framework = FeatureFramework.boot(storage, PREREQUISITES, Map.of("ds.loglevel", "warn"));
    api = framework.bundle("dev.briefcase.api");
    cedar = framework.own();
    assertEquals(Bundle.ACTIVE, cedar.getState());
  }

  @After
  public void stop() throws Exception {
    if (framework != null) {
      framework.close();
    }
  }

  @Test
  public void cedarIsNotOnTheApplicationClassPath() {
    try {
      Class.forName("com.cedarpolicy.BasicAuthorizationEngine");
      fail("cedar must only come from the bundle");
    } catch (ClassNotFoundException expected) {
      // the bundle has to bring its own copy
    }
  }

  @Test
  public void selfCheckLoadsTheNativeLibraryFromTheBundle() throws Exception {
    Class<?> check = cedar.loadClass(INTERNAL + "CedarNative");
    assertTrue(check.getClassLoader() instanceof BundleReference);
    String result = (String) check.getMethod("selfCheck").invoke(null);
    System.out.println("selfCheck inside Felix: " + result);
    assertTrue(result, result.contains("echo=ALLOW"));
    assertTrue(result, result.contains("write-fs=REQUIRE_APPROVAL/mobile_signer"));
    assertLibraryMappedFromBundleCache();
  }

  @Test
  public void declarativeServicesPublishAWorkingPolicyEngine() throws Exception {
    // act as a bundle that wires to the API packages; the system bundle cannot see these services
    BundleContext ctx = api.getBundleContext();
    Class<?> storeType = api.loadClass("dev.briefcase.store.Store");
    try (Connection db = DriverManager.getConnection("jdbc:sqlite::memory:")) {
      Object store =
          Proxy.newProxyInstance(
              storeType.getClassLoader(), new Class<?>[] {storeType}, new FakeStore(db));
      ctx.registerService(storeType.getName(), store, null);

      Object engine = awaitService(ctx, "dev.briefcase.policy.PolicyEngine");
      Class<?> engineType = api.loadClass("dev.briefcase.policy.PolicyEngine");
      Class<?> queryType = api.loadClass("dev.briefcase.policy.PolicyQuery");
      Method decide = engineType.getMethod("decide", queryType);
      Object echo =
          queryType.getConstructors()[0].newInstance(
              "agent", "session", "echo", "read", 2000L, false, false, false, 12, 0L);
      Object fsWrite =
          queryType.getConstructors()[0].newInstance(
              "agent", "session", "fs.write", "write", 0L, true, false, true, 12, 0L);

      assertEquals(
          "PolicyDecision[effect=ALLOW, approvalKind=null]",
          decide.invoke(engine, echo).toString());
      assertEquals(
          "PolicyDecision[effect=REQUIRE_APPROVAL, approvalKind=mobile_signer]",
          decide.invoke(engine, fsWrite).toString());

      engineType
          .getMethod("apply", String.class, String.class)
          .invoke(engine, CedarPolicyEngineTest.STRICT, "itest");
      assertEquals(
          "PolicyDecision[effect=REQUIRE_APPROVAL, approvalKind=local]",
          decide.invoke(engine, echo).toString());
      try {
        engineType.getMethod("validate", String.class).invoke(engine, "permit (");
        fail("expected invalid_cedar");
      } catch (InvocationTargetException e) {
        assertEquals("dev.briefcase.policy.PolicyException", e.getCause().getClass().getName());
      }
      assertLibraryMappedFromBundleCache();
    }
  }

  private void assertLibraryMappedFromBundleCache() throws Exception {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return; // not Linux: the decisions above already proved the library loaded
    }
    String line =
        Files.readAllLines(maps).stream()
            .filter(l -> l.contains("cedar_java_ffi"))
            .findFirst()
            .orElse(null);
    assertNotNull("libcedar_java_ffi is not mapped", line);
    System.out.println("native library mapped from: " + line.substring(line.indexOf('/')));
    assertTrue(line, line.contains(storage.toString()));
  }

  private static Object awaitService(BundleContext ctx, String name) throws Exception {
    Object[] found = new Object[1];
    Poll.waitFor(
        () -> {
          ServiceReference<?> ref = ctx.getServiceReference(name);
          found[0] = ref == null ? null : ctx.getService(ref);
          return found[0] != null;
        },
        name + " to be published");
    return found[0];
  }

  /** The Store contract over one SQLite connection, callable across class loaders. */
  private static final class FakeStore implements InvocationHandler {
    private final Connection db;
    private final Map<String, Integer> versions = new HashMap<>();

    FakeStore(Connection db) {
      this.db = db;
    }

    @Override
    public synchronized Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      switch (method.getName()) {
        case "migrate":
          {
            @SuppressWarnings("unchecked")
            List<String> steps = (List<String>) args[1];
            for (int i = versions.getOrDefault((String) args[0], 0); i < steps.size(); i++) {
              try (Statement s = db.createStatement()) {
                s.execute(steps.get(i));
              }
            }
            versions.put((String) args[0], steps.size());
            return null;
          }
        case "write":
        case "read":
          return inTransaction(args[0]);
        case "schemaVersion":
          return versions.getOrDefault((String) args[0], 0);
        case "hashCode":
          return System.identityHashCode(proxy);
        case "equals":
          return proxy == args[0];
        case "toString":
          return "FakeStore";
        default:
          throw new UnsupportedOperationException(method.getName());
      }
    }

    private Object inTransaction(Object work) throws Throwable {
      Method run = work.getClass().getMethod("run", Connection.class);
      run.setAccessible(true);
      db.setAutoCommit(false);
      try {
        Object result = run.invoke(work, db);
        db.commit();
        return result;
      } catch (InvocationTargetException e) {
        db.rollback();
        throw e.getCause();
      } catch (SQLException | RuntimeException e) {
        db.rollback();
        throw e;
      } finally {
        db.setAutoCommit(true);
      }
    }
  }
}
