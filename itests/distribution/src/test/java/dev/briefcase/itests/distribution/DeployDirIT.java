package dev.briefcase.itests.distribution;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.Test;

/**
 * File Install watches {@code <data_dir>/deploy}: a connector bundle dropped there starts serving
 * its tools without a restart, and removing the file removes them. Prints the time from the file
 * landing to the first served call.
 */
public class DeployDirIT {
  private static final String PING = "{\"call\":{\"tool_id\":\"extra_ping\",\"args\":{}}}";

  @Test
  public void droppedConnectorServesAndRemovedOneLeaves() throws Exception {
    Path jar = FeatureBundles.testConnector();
    try (Distribution d = new Distribution(Files.createTempDirectory("briefcase-deploy")).start()) {
      Path deploy = d.dataDir.resolve("deploy");
      Path tmp = d.dataDir.resolve("extra.jar.tmp");
      Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
      long t0 = System.nanoTime();
      // an atomic move, as operators are told to do, so File Install never sees half a jar
      Files.move(tmp, deploy.resolve("extra-connector.jar"), StandardCopyOption.ATOMIC_MOVE);
      waitFor(() -> status(d, PING).equals("ok"), "extra_ping to be served");
      System.out.printf(
          "deploy/: file landed → first served call in %d ms%n",
          (System.nanoTime() - t0) / 1_000_000);

      Files.delete(deploy.resolve("extra-connector.jar"));
      // gone: an error with the stable backend_unavailable code, no longer listed
      waitFor(() -> status(d, PING).equals("error"), "extra_ping to leave");
      String message = d.post("/v1/tools/call", PING).json().path("message").asText();
      assertTrue(message, message.startsWith("backend_unavailable"));
      assertFalse(d.get("/v1/tools").body().contains("\"extra_ping\""));
      assertTrue(d.get("/v1/tools").body().contains("\"echo\""));
      String receipts = d.get("/v1/receipts?limit=50").body();
      assertTrue(receipts, receipts.contains("\"actor\":\"deploy-dir\""));
      assertTrue(receipts, receipts.contains("\"action\":\"uninstall\""));
    }
  }

  private static String status(Distribution d, String call) {
    try {
      return d.post("/v1/tools/call", call).json().path("status").asText();
    } catch (Exception e) {
      return "unreachable";
    }
  }
}
