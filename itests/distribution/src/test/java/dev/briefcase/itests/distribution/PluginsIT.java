package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.Test;

/**
 * Plugin lifecycle through the CLI and the admin API: install, stop, start, update and uninstall a
 * connector bundle; core bundles are refused; every change is receipted with the bundle's SHA-256
 * and who asked; a revoked plugin's tools fail with a stable code instead of hanging.
 */
public class PluginsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PING = "{\"call\":{\"tool_id\":\"extra_ping\",\"args\":{}}}";

  @Test
  public void lifecycleThroughTheCliIsReceipted() throws Exception {
    Path jar =
        FeatureBundles.root()
            .resolve(
                "itests/test-connector/target/dev.briefcase.itests.connector-0.1.0-SNAPSHOT.jar");
    String sha =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));
    Path data = Files.createTempDirectory("briefcase-plugins");
    try (Distribution d = new Distribution(data).start()) {
      Distribution.CliResult installed = d.cli("plugins", "install", jar.toString(), "--json");
      assertEquals(installed.stderr(), 0, installed.exit());
      JsonNode info = JSON.readTree(installed.stdout());
      long id = info.get("bundle_id").asLong();
      assertEquals("active", info.get("state").asText());
      assertTrue(info.toString(), info.get("families").toString().contains("connector"));
      assertEquals("ok", status(d, PING));

      Distribution.CliResult again = d.cli("plugins", "install", jar.toString());
      assertEquals("a second install of the same bundle is refused", 1, again.exit());
      assertTrue(again.stderr(), again.stderr().contains("already_installed"));

      assertEquals(0, d.cli("plugins", "stop", String.valueOf(id)).exit());
      // its tools are gone: backend_unavailable, an error and no hang
      assertEquals("error", status(d, PING));
      assertEquals(0, d.cli("plugins", "start", String.valueOf(id)).exit());
      assertEquals("ok", status(d, PING));
      assertEquals(0, d.cli("plugins", "update", String.valueOf(id), jar.toString()).exit());
      assertEquals("ok", status(d, PING));
    }
    // an installed plugin survives a restart, and so does an operator's stop
    try (Distribution d = new Distribution(data).start()) {
      assertEquals("installed plugin served after a restart", "ok", status(d, PING));
      long id = bundleId(d, "dev.briefcase.itests.connector");
      assertEquals(0, d.cli("plugins", "stop", String.valueOf(id)).exit());
    }
    try (Distribution d = new Distribution(data).start()) {
      long id = bundleId(d, "dev.briefcase.itests.connector");
      assertNotEquals("a stopped plugin stays stopped", "ok", status(d, PING));
      assertEquals(0, d.cli("plugins", "start", String.valueOf(id)).exit());
      assertEquals("ok", status(d, PING));
      assertEquals(0, d.cli("plugins", "uninstall", String.valueOf(id)).exit());
      assertEquals("error", status(d, PING)); // backend_unavailable

      // the core deployment cannot be taken apart through the plugin door
      long kernel = -1;
      for (JsonNode p : JSON.readTree(d.cli("plugins", "list", "--json").stdout()).get("plugins")) {
        if ("dev.briefcase.kernel".equals(p.get("symbolic_name").asText())) {
          kernel = p.get("bundle_id").asLong();
          assertTrue(p.get("core").asBoolean());
        }
      }
      Distribution.CliResult core = d.cli("plugins", "stop", String.valueOf(kernel));
      assertEquals(1, core.exit());
      assertTrue(core.stderr(), core.stderr().contains("core_bundle"));

      String receipts = d.get("/v1/receipts?limit=100").body();
      for (String action :
          new String[] {"install", "refused_install", "stop", "start", "update", "uninstall"}) {
        assertTrue(
            action + " receipted: " + receipts, receipts.contains("\"action\":\"" + action + "\""));
      }
      assertTrue("the receipt names the bundle's SHA-256", receipts.contains(sha));
      assertTrue(receipts.contains("\"actor\":\"admin-api\""));
      assertTrue(d.post("/v1/receipts/verify", "").json().get("ok").asBoolean());
    }
  }

  private static long bundleId(Distribution d, String symbolicName) throws Exception {
    for (JsonNode p : JSON.readTree(d.cli("plugins", "list", "--json").stdout()).get("plugins")) {
      if (symbolicName.equals(p.get("symbolic_name").asText())) {
        return p.get("bundle_id").asLong();
      }
    }
    throw new AssertionError(symbolicName + " is not installed");
  }

  private static String status(Distribution d, String call) throws Exception {
    return d.post("/v1/tools/call", call).json().path("status").asText();
  }
}
