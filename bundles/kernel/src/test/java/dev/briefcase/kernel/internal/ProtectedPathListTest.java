package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

public class ProtectedPathListTest {

  @Test
  public void dataDirTrustDirAndTheOperatorsListAreProtected() {
    Map<String, String> props =
        Map.of(
            "briefcase.data.dir", "/var/lib/briefcase/",
            "briefcase.plugin.trust.dir", "/etc/briefcase/trust",
            "briefcase.protected.paths", "/srv/keys" + File.pathSeparator + "/opt/pass.txt");
    List<Path> paths = new ProtectedPathList(props::get).paths();
    assertEquals(
        List.of(
            Path.of("/var/lib/briefcase"),
            Path.of("/etc/briefcase/trust"),
            Path.of("/srv/keys"),
            Path.of("/opt/pass.txt")),
        paths);
  }

  @Test
  public void theListIsComputedOnceNotPerCall() {
    ProtectedPathList list = new ProtectedPathList(Map.of("briefcase.data.dir", "/var/lib/b")::get);
    // the same list, not one read again from the configuration per file-tool call
    assertSame(list.paths(), list.paths());
  }

  @Test
  public void configuredLocationsAreTheValuesTheComponentsWereGiven() {
    ProtectedPathList list = new ProtectedPathList(Map.of("briefcase.data.dir", "/var/lib/b")::get);
    list.trustGateArrived(gate("dev.briefcase.plugins", "/etc/b/trust"));
    list.storeArrived(ref(Map.of("path", "/srv/db/briefcase.db", "component.id", 7L)));
    list.fileSecretsArrived(
        ref(Map.of("path", "/srv/secrets", "passphrase.file", "/etc/b/passphrase")));
    List<Path> paths = list.paths();
    assertTrue(paths.toString(), paths.contains(Path.of("/etc/b/trust")));
    assertTrue(paths.toString(), paths.contains(Path.of("/srv/db/briefcase.db")));
    assertTrue(paths.toString(), paths.contains(Path.of("/srv/secrets")));
    assertTrue(paths.toString(), paths.contains(Path.of("/etc/b/passphrase")));
    assertSame(paths, list.paths());

    // the secret store leaves: its locations are no longer listed; the others stay
    list.fileSecretsGone(null);
    assertFalse(list.paths().contains(Path.of("/srv/secrets")));
    assertTrue(list.paths().contains(Path.of("/etc/b/trust")));
  }

  /**
   * A service under the trust gate's component name from another bundle (any bundle can register
   * one, with any ranking) neither moves the trust directory nor removes it when it leaves.
   */
  @Test
  public void aGateImpostorFromAnotherBundleDoesNotMoveTheTrustDir() {
    ProtectedPathList list = new ProtectedPathList(Map.of("briefcase.data.dir", "/var/lib/b")::get);
    list.trustGateArrived(gate("dev.briefcase.plugins", "/etc/b/trust"));
    ServiceReference<?> impostor = gate("vendor.tools", "/tmp/elsewhere");
    list.trustGateArrived(impostor);
    list.trustGateChanged(impostor);
    assertTrue(list.paths().toString(), list.paths().contains(Path.of("/etc/b/trust")));
    assertFalse(list.paths().toString(), list.paths().contains(Path.of("/tmp/elsewhere")));
    list.trustGateGone(impostor);
    assertTrue(list.paths().toString(), list.paths().contains(Path.of("/etc/b/trust")));
  }

  /** The trust gate's service as registered by the bundle {@code symbolicName}. */
  private static ServiceReference<?> gate(String symbolicName, String trustDir) {
    Bundle bundle =
        (Bundle)
            Proxy.newProxyInstance(
                ProtectedPathListTest.class.getClassLoader(),
                new Class<?>[] {Bundle.class},
                (proxy, method, args) ->
                    "getSymbolicName".equals(method.getName()) ? symbolicName : null);
    return ref(Map.of("trust.dir", trustDir), bundle);
  }

  /** A service reference carrying only properties, as the list reads them. */
  private static ServiceReference<?> ref(Map<String, Object> props) {
    return ref(props, null);
  }

  private static ServiceReference<?> ref(Map<String, Object> props, Bundle bundle) {
    return (ServiceReference<?>)
        Proxy.newProxyInstance(
            ProtectedPathListTest.class.getClassLoader(),
            new Class<?>[] {ServiceReference.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getProperty" -> props.get((String) args[0]);
                  case "getBundle" -> bundle;
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> null;
                });
  }

  @Test
  public void nothingConfiguredProtectsNothingAndNeverFails() {
    assertTrue(new ProtectedPathList(k -> null).paths().isEmpty());
  }
}
