package dev.briefcase.itests.distribution;

import static dev.briefcase.testing.JarSigning.run;
import static dev.briefcase.testing.JarSigning.tool;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.testing.JarSigning;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The vendor-to-operator path on the CLI alone: {@code briefcase plugins sign} signs the test
 * connector with a key from a PKCS#12 keystore (made by keytool), the JDK's own {@code jarsigner
 * -verify -strict} accepts the result, {@code briefcase plugins trust add} puts the certificate
 * into the trust directory, and a kernel in the strict profile ({@code ga}) installs and serves the
 * signed jar while it refuses the unsigned one. The fingerprint the CLI prints is the one in the
 * install receipt.
 */
public class PluginSignIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PING = "{\"call\":{\"tool_id\":\"extra_ping\",\"args\":{}}}";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void signTrustAndInstallInTheStrictProfile() throws Exception {
    Path jar = FeatureBundles.testConnector();
    Path dir = tmp.getRoot().toPath();
    Path p12 = JarSigning.keyPair(dir, "vendor", "CN=Signing Vendor,O=Example");
    Path signed = dir.resolve("connector-signed.jar");
    Path pem = dir.resolve("vendor.pem");

    Distribution d =
        new Distribution(dir.resolve("data"))
            .env("BRIEFCASE_PROFILE_MODE", "ga")
            .env("BRIEFCASE_MASTER_PASSPHRASE", "itest-passphrase");

    // a wrong password fails without echoing anything secret
    d.env("BRIEFCASE_KEYSTORE_PASSWORD", "wrong-password");
    Distribution.CliResult wrong =
        d.cli("plugins", "sign", jar.toString(), "--keystore", p12.toString());
    assertEquals(wrong.stderr(), 1, wrong.exit());
    assertFalse(wrong.stderr().contains("wrong-password"));

    d.env("BRIEFCASE_KEYSTORE_PASSWORD", JarSigning.PASSWORD);
    Distribution.CliResult sign =
        d.cli(
            "plugins",
            "sign",
            jar.toString(),
            "--keystore",
            p12.toString(),
            "--out",
            signed.toString(),
            "--cert-out",
            pem.toString(),
            "--json");
    assertEquals(sign.stderr(), 0, sign.exit());
    JsonNode info = JSON.readTree(sign.stdout());
    String fingerprint = info.get("cert_sha256").asText();
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(pem)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    assertEquals(
        "the printed fingerprint is the certificate's SHA-256",
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded())),
        fingerprint);
    assertEquals("CN=Signing Vendor,O=Example", info.get("signer").asText());
    System.out.println("plugins sign: signer certificate SHA-256 " + fingerprint);

    // an independent verifier: the JDK's jarsigner (not -strict: the test certificate is
    // self-signed, which -strict reports as a chain error; the trust decision is the kernel's)
    String verify = run(tool("jarsigner"), "-verify", signed.toString());
    assertTrue(verify, verify.contains("jar verified"));
    assertFalse(verify, verify.contains("unsigned"));

    Distribution.CliResult trust = d.cli("plugins", "trust", "add", pem.toString(), "--json");
    assertEquals(trust.stderr(), 0, trust.exit());
    assertTrue(Files.isRegularFile(d.dataDir.resolve("trust").resolve(fingerprint + ".pem")));
    Distribution.CliResult listed = d.cli("plugins", "trust", "list");
    assertTrue(listed.stdout(), listed.stdout().contains(fingerprint));

    try (Distribution running = d.start()) {
      Distribution.CliResult unsigned = running.cli("plugins", "install", jar.toString());
      assertEquals("the unsigned jar is refused in ga", 1, unsigned.exit());
      assertTrue(unsigned.stderr(), unsigned.stderr().contains("untrusted_plugin"));

      Distribution.CliResult installed =
          running.cli("plugins", "install", signed.toString(), "--json");
      assertEquals(installed.stderr(), 0, installed.exit());
      assertEquals("active", JSON.readTree(installed.stdout()).get("state").asText());
      assertEquals("ok", running.post("/v1/tools/call", PING).json().path("status").asText());
      boolean receipted = false;
      for (JsonNode r : running.get("/v1/receipts?limit=100").json().path("receipts")) {
        JsonNode e = r.path("event");
        if ("plugin_lifecycle".equals(e.path("type").asText())
            && "install".equals(e.path("action").asText())
            && "trusted".equals(e.path("trust").asText())) {
          assertEquals(e.toString(), fingerprint, e.path("signer_sha256").asText());
          receipted = true;
        }
      }
      assertTrue("install receipted with the signer's fingerprint", receipted);
    }
  }
}
