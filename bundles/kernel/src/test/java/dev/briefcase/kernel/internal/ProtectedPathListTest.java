package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Test;

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
  public void nothingConfiguredProtectsNothingAndNeverFails() {
    assertTrue(new ProtectedPathList(k -> null).paths().isEmpty());
  }
}
