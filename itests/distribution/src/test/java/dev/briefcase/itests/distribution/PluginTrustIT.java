package dev.briefcase.itests.distribution;

import static dev.briefcase.testing.JarSigning.keyPair;
import static dev.briefcase.testing.JarSigning.run;
import static dev.briefcase.testing.JarSigning.sign;
import static dev.briefcase.testing.JarSigning.tool;
import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.testing.Poll;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Plugin trust in the strict profile ({@code ga}) with a configured trust directory: unsigned,
 * tampered and wrong-signer bundles are refused through the admin API with {@code
 * untrusted_plugin}, receipted, and nothing of theirs starts; an unsigned bundle dropped into
 * {@code deploy/} never resolves and is receipted as refused; a bundle signed by the trusted vendor
 * installs and serves. The jars are signed at test time with the JDK's keytool and jarsigner.
 */
public class PluginTrustIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final String PING = "{\"call\":{\"tool_id\":\"extra_ping\",\"args\":{}}}";
  private static final String CONNECTOR = "dev.briefcase.itests.connector";
  private static Path trustDir;
  private static byte[] unsigned;
  private static byte[] trusted;
  private static byte[] foreign;
  private static byte[] tampered;

  @BeforeClass
  public static void signJars() throws Exception {
    Path jar = FeatureBundles.testConnector();
    unsigned = Files.readAllBytes(jar);
    Path dir = TMP.getRoot().toPath();
    Path vendor = keyPair(dir, "vendor", "CN=Trusted Plugin Vendor,O=Example");
    Path other = keyPair(dir, "other", "CN=Someone Else,O=Elsewhere");
    trustDir = Files.createDirectories(dir.resolve("trust"));
    run(
        tool("keytool"),
        "-exportcert",
        "-rfc",
        "-alias",
        "vendor",
        "-keystore",
        vendor.toString(),
        "-storepass",
        "changeit",
        "-file",
        trustDir.resolve("vendor.pem").toString());
    trusted = sign(dir, jar, vendor, "vendor");
    foreign = sign(dir, jar, other, "other");
    tampered = tamper(trusted);
  }

  @Test
  public void strictProfileRefusesWhatIsNotSignedByATrustedVendor() throws Exception {
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-trust"))
            .env("BRIEFCASE_PROFILE_MODE", "ga")
            .env("BRIEFCASE_MASTER_PASSPHRASE", "itest-passphrase")
            .env("BRIEFCASE_PLUGIN_TRUST_DIR", trustDir.toString())
            .start()) {
      String[] reasons = {"unsigned", "tampered", "untrusted"};
      byte[][] jars = {unsigned, tampered, foreign};
      for (int i = 0; i < jars.length; i++) {
        Distribution.Answer a = d.postBytes("/v1/plugins", jars[i], "application/java-archive");
        assertTrue(reasons[i] + ": " + a.body(), a.status() >= 400 && a.status() < 500);
        assertEquals(a.body(), "untrusted_plugin", a.json().path("code").asText());
        assertTrue(a.body(), a.json().path("message").asText().contains(reasons[i]));
        assertFalse("nothing installed after " + reasons[i], listed(d));
        assertEquals("denied", status(d, PING));
      }
      for (String reason : reasons) {
        JsonNode r = receipt(d, "refused_install", "admin-api", reason);
        assertTrue("refused " + reason + " receipted", r != null);
        assertTrue(r.toString(), r.path("sha256_hex").asText().length() == 64);
        assertEquals(r.toString(), reason, r.path("trust").asText());
      }
      assertEquals(
          "CN=Someone Else,O=Elsewhere",
          receipt(d, "refused_install", "admin-api", "untrusted").path("signer").asText());

      // File Install's door: the bundle is installed by File Install but never resolves
      Path tmp = d.dataDir.resolve("dropped.jar.tmp");
      Files.write(tmp, unsigned);
      Files.move(
          tmp, d.dataDir.resolve("deploy/extra-connector.jar"), StandardCopyOption.ATOMIC_MOVE);
      waitFor(
          () -> receipt(d, "refused_install", "deploy-dir", "unsigned") != null,
          "the deploy-dir refusal receipt");
      String deployReceipts = d.get("/v1/receipts?limit=100").body();
      assertFalse(deployReceipts, deployReceipts.contains("\"action\":\"start\""));
      for (JsonNode p : d.get("/v1/plugins").json().get("plugins")) {
        if (CONNECTOR.equals(p.path("symbolic_name").asText())) {
          assertEquals(p.toString(), "installed", p.path("state").asText());
        }
      }
      // File Install polls every 500 ms and retries the start: a few rounds must all fail
      assertFalse(
          "the refused bundle started on a File Install retry",
          Poll.within(Duration.ofSeconds(2), () -> !"denied".equals(status(d, PING))));
      Files.delete(d.dataDir.resolve("deploy/extra-connector.jar"));
      waitFor(() -> !listed(d), "the refused deploy-dir bundle to be uninstalled");

      // the trusted vendor's bundle installs and serves
      Distribution.Answer ok = d.postBytes("/v1/plugins", trusted, "application/java-archive");
      assertEquals(ok.body(), 200, ok.status());
      assertEquals("active", ok.json().path("state").asText());
      assertEquals("ok", status(d, PING));
      String after = d.get("/v1/receipts?limit=100").body();
      assertTrue(after, after.contains("\"trust\":\"trusted\""));
      assertTrue(after, after.contains("CN=Trusted Plugin Vendor"));
      assertTrue(d.post("/v1/receipts/verify", "").json().get("ok").asBoolean());
    }
  }

  /** A plugin_lifecycle receipt event with this action, actor and reason, or null. */
  private static JsonNode receipt(Distribution d, String action, String actor, String reason)
      throws Exception {
    for (JsonNode r : d.get("/v1/receipts?limit=200").json().path("receipts")) {
      JsonNode e = r.path("event");
      if ("plugin_lifecycle".equals(e.path("type").asText())
          && action.equals(e.path("action").asText())
          && actor.equals(e.path("actor").asText())
          && reason.equals(e.path("reason").asText())) {
        return e;
      }
    }
    return null;
  }

  private static boolean listed(Distribution d) throws Exception {
    for (JsonNode p : d.get("/v1/plugins").json().get("plugins")) {
      if (CONNECTOR.equals(p.path("symbolic_name").asText())) {
        return true;
      }
    }
    return false;
  }

  private static String status(Distribution d, String call) throws Exception {
    return d.post("/v1/tools/call", call).json().path("status").asText();
  }

  /** The signed jar with its first class file's bytes changed after signing. */
  private static byte[] tamper(byte[] jar) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean done = false;
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar));
        ZipOutputStream zip = new ZipOutputStream(out)) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        byte[] bytes = in.readAllBytes();
        if (!done && e.getName().endsWith(".class")) {
          bytes[bytes.length - 1] ^= 1;
          done = true;
        }
        zip.putNextEntry(new ZipEntry(e.getName()));
        zip.write(bytes);
        zip.closeEntry();
      }
    }
    assertTrue("the connector has a class to change", done);
    return out.toByteArray();
  }
}
