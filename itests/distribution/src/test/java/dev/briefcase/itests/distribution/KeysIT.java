package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.Test;

/**
 * {@code briefcase keys} against the core distribution (software signer only): create, list,
 * rotate, delete and check with their exit codes; bad input changes nothing; and the strict profile
 * refuses to start with software keys unless they are explicitly allowed.
 */
public class KeysIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  public void keysCliRoundTrip() throws Exception {
    try (Distribution d = new Distribution(Files.createTempDirectory("briefcase-keys")).start()) {
      Distribution.CliResult created = d.cli("keys", "create", "pop", "--json");
      assertEquals(created.stderr(), 0, created.exit());
      JsonNode pop = JSON.readTree(created.stdout());
      assertEquals("pop", pop.get("role").asText());
      assertEquals("p256", pop.get("algorithm").asText());
      assertEquals("software", pop.get("handle").get("backend").asText());
      assertFalse("no private member in the JWK", pop.get("public_jwk").has("d"));

      Distribution.CliResult identity = d.cli("keys", "create", "identity");
      assertEquals(identity.stderr(), 0, identity.exit());
      assertTrue(identity.stdout(), identity.stdout().contains("identity: ed25519 key"));

      Distribution.CliResult again = d.cli("keys", "create", "pop");
      assertEquals(1, again.exit());
      assertTrue(again.stderr(), again.stderr().contains("key_exists"));

      Distribution.CliResult list = d.cli("keys", "list");
      assertEquals(0, list.exit());
      assertTrue(list.stdout(), list.stdout().contains(pop.get("thumbprint").asText()));
      assertTrue(list.stdout(), list.stdout().contains("identity"));

      Distribution.CliResult rotated = d.cli("keys", "rotate", "pop", "--json");
      assertEquals(rotated.stderr(), 0, rotated.exit());
      assertNotEquals(
          pop.get("thumbprint").asText(),
          JSON.readTree(rotated.stdout()).get("thumbprint").asText());

      // software keys never pass the custody check: exit 1, and it says why
      Distribution.CliResult check = d.cli("keys", "check");
      assertEquals(check.stdout(), 1, check.exit());
      assertTrue(check.stdout(), check.stdout().contains("key_custody: FAIL"));
      assertTrue(check.stdout(), check.stdout().contains("software"));

      long receipts =
          d.get("/v1/receipts?limit=1").json().path("receipts").path(0).path("id").asLong();
      Distribution.CliResult bad = d.cli("keys", "create", "admin");
      assertEquals(1, bad.exit());
      assertTrue(bad.stderr(), bad.stderr().contains("invalid_role"));
      Distribution.CliResult badAlg = d.cli("keys", "rotate", "pop", "--algorithm", "rsa");
      assertEquals(1, badAlg.exit());
      assertTrue(badAlg.stderr(), badAlg.stderr().contains("invalid_algorithm"));
      assertEquals(
          "refusals write nothing",
          receipts,
          d.get("/v1/receipts?limit=1").json().path("receipts").path(0).path("id").asLong());

      assertEquals(0, d.cli("keys", "delete", "pop").exit());
      Distribution.CliResult gone = d.cli("keys", "delete", "pop");
      assertEquals(1, gone.exit());
      assertTrue(gone.stderr(), gone.stderr().contains("key_not_found"));
      assertTrue(d.post("/v1/receipts/verify", "").json().get("ok").asBoolean());
    }
  }

  @Test
  public void signersFeatureResolvesAndUnconfiguredHardwareSignersStayOut() throws Exception {
    Path feature = Distribution.home().resolve("features/signers.json");
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-signers"))
            .startArgs("--feature", feature.toString())
            .start()) {
      // /ready covers the core services; the feature's last bundles may still be starting
      String[] expected = {
        "org.xipki.ipkcs11wrapper",
        "dev.briefcase.signer.software",
        "dev.briefcase.signer.pkcs11",
        "dev.briefcase.signer.tpm2"
      };
      JsonNode[] seen = new JsonNode[1];
      Poll.within(
          Duration.ofSeconds(30),
          () -> allActive(seen[0] = d.get("/v1/plugins").json().get("plugins"), expected));
      JsonNode plugins = seen[0];
      for (String bsn : expected) {
        assertTrue(bsn + " active: " + plugins, allActive(plugins, bsn));
      }
      // without a factory configuration the hardware signers register nothing
      JsonNode custody = d.get("/v1/diagnostics/security").json().path("key_custody");
      assertEquals(custody.toString(), 1, custody.path("backends").size());
      assertEquals("software", custody.path("backends").path(0).path("id").asText());
    }
  }

  private static boolean allActive(JsonNode plugins, String... symbolicNames) {
    for (String bsn : symbolicNames) {
      boolean active = false;
      for (JsonNode p : plugins) {
        if (bsn.equals(p.path("symbolic_name").asText())) {
          active = "active".equals(p.path("state").asText());
        }
      }
      if (!active) {
        return false;
      }
    }
    return true;
  }

  @Test
  public void gaRefusesToStartWithSoftwareKeys() throws Exception {
    Path data = Files.createTempDirectory("briefcase-keys-ga");
    Distribution d =
        new Distribution(data)
            .env("BRIEFCASE_PROFILE_MODE", "ga")
            .env("BRIEFCASE_KEY_BACKEND", "software");
    try {
      d.start();
      fail("ga with BRIEFCASE_KEY_BACKEND=software must not start");
    } catch (IOException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains("exited"));
    } finally {
      d.close();
    }
    String log = Files.readString(d.logFile);
    assertTrue(log, log.contains("BRIEFCASE_ALLOW_SOFTWARE_KEYS=1"));
    assertFalse("nothing was served", Files.exists(data.resolve("admin.url")));
  }
}
