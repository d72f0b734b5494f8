package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.SecretServiceBus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.UUID;
import org.junit.Assume;
import org.junit.Test;

/**
 * Secret store selection of the built distribution (SPEC §12): without a master passphrase the OS
 * keyring is the store — checked against a real Secret Service (gnome-keyring on a private D-Bus)
 * and libsecret's {@code secret-tool}; without a reachable keyring the start is refused naming both
 * ways out; a master passphrase alone chooses the encrypted file store; and the memory store is
 * refused in ga.
 */
public class SecretBackendIT {
  private static final String NO_BUS = "unix:path=/nonexistent/briefcase-no-bus";

  @Test
  public void withoutKeyringOrPassphraseTheStartIsRefusedNamingBothWaysOut() throws Exception {
    Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-nokeyring"))
            .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);
    long t0 = System.nanoTime();
    Distribution.CliResult r = d.cli("start");
    System.out.printf("refused start took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    assertEquals(r.stderr(), 1, r.exit());
    assertTrue(r.stderr(), r.stderr().contains("no secret store started"));
    assertTrue(r.stderr(), r.stderr().contains("BRIEFCASE_MASTER_PASSPHRASE"));
    assertTrue(r.stderr(), r.stderr().contains("OS keyring"));
    assertFalse(Files.exists(d.dataDir.resolve("admin.url")));
  }

  @Test
  public void memoryStoreIsRefusedInGa() throws Exception {
    Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-gamemory"))
            .env("BRIEFCASE_PROFILE_MODE", "ga")
            .env("BRIEFCASE_SECRET_BACKEND", "memory");
    Distribution.CliResult r = d.cli("start");
    assertEquals(r.stderr(), 1, r.exit());
    assertTrue(r.stderr(), r.stderr().contains("memory is refused in the ga profile"));
    assertFalse(Files.exists(d.dataDir.resolve("briefcase.db")));
  }

  @Test
  public void memoryStoreKeepsSecretsBetweenRequestsOutsideGa() throws Exception {
    Path data = Files.createTempDirectory("briefcase-memory");
    try (Distribution d =
        new Distribution(data).env("BRIEFCASE_SECRET_BACKEND", "memory").start()) {
      Distribution.Answer put = d.post("/v1/secrets/test.memory", "{\"value_b64\":\"AAEC\"}");
      assertEquals(put.body(), 200, put.status());
      assertTrue(d.get("/v1/secrets").body().contains("test.memory"));
      assertFalse(Files.exists(data.resolve("secrets")));
      Distribution.Answer big =
          d.post(
              "/v1/secrets/too.big",
              "{\"value_b64\":\"" + Base64.getEncoder().encodeToString(new byte[4096]) + "\"}");
      // the memory store has no size limit of its own; only the keyring does
      assertEquals(big.body(), 200, big.status());
    }
  }

  @Test
  public void aPassphraseAloneSelectsTheFileStoreAndStaysOutOfTheFramework() throws Exception {
    String passphrase = "itest-" + UUID.randomUUID();
    Path data = Files.createTempDirectory("briefcase-passphrase");
    Distribution d =
        new Distribution(data)
            // no keyring: the start would be refused if the passphrase did not choose the file
            // store
            .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
            .env("BRIEFCASE_MASTER_PASSPHRASE", passphrase);
    try {
      d.start();
      Distribution.Answer put = d.post("/v1/secrets/test.file", "{\"value_b64\":\"AAEC\"}");
      assertEquals(put.body(), 200, put.status());
      assertTrue("the file store holds it", Files.isRegularFile(data.resolve("secrets/meta.json")));
      assertFalse("a passphrase, not the generated key", Files.exists(data.resolve("master.key")));
    } finally {
      d.stop();
    }
    String log = Files.readString(d.logFile);
    assertTrue(log, log.contains("File secret store open"));
    assertTrue(log, log.contains("the selected secret backend is file"));
    assertFalse("the passphrase is never logged", log.contains(passphrase));
  }

  @Test
  public void keyringIsTheDefaultStoreAndSecretsLiveInIt() throws Exception {
    Assume.assumeTrue("Secret Service on Linux", System.getProperty("os.name").startsWith("Linux"));
    String canary = "CANARY-keyring-" + UUID.randomUUID();
    Path dir = Files.createTempDirectory("briefcase-keyring-it");
    try (SecretServiceBus keyring = SecretServiceBus.start(dir.resolve("keyring"))) {
      Path data = dir.resolve("data");
      Distribution d =
          new Distribution(data)
              .env("DBUS_SESSION_BUS_ADDRESS", keyring.busAddress)
              // present but empty = unset: the kernel chooses (no passphrase -> keyring)
              .env("BRIEFCASE_SECRET_BACKEND", "");
      try {
        d.start();
        String b64 = Base64.getEncoder().encodeToString(canary.getBytes(StandardCharsets.UTF_8));
        Distribution.Answer put =
            d.post("/v1/secrets/provider.demo.token", "{\"value_b64\":\"" + b64 + "\"}");
        assertEquals(put.body(), 200, put.status());
        assertEquals(canary, keyring.lookup("credential-briefcase", "provider.demo.token"));
        assertTrue(d.get("/v1/secrets").body().contains("provider.demo.token"));
        assertFalse("the file store was not used", Files.exists(data.resolve("secrets")));
        assertFalse(Files.exists(data.resolve("master.key")));

        d.stop();
        d.start(); // survives a restart: it lives in the keyring
        assertTrue(d.get("/v1/secrets").body().contains("provider.demo.token"));
        Distribution.Answer del = d.post("/v1/secrets/provider.demo.token/delete", "");
        assertEquals(del.body(), 200, del.status());
        assertEquals("", keyring.lookup("credential-briefcase", "provider.demo.token"));
        Distribution.Answer big =
            d.post(
                "/v1/secrets/too.big",
                "{\"value_b64\":\"" + Base64.getEncoder().encodeToString(new byte[2561]) + "\"}");
        assertEquals(big.body(), 400, big.status());
        assertTrue(big.body(), big.body().contains("secret_too_large"));
      } finally {
        d.stop();
      }
      String log = Files.readString(d.logFile);
      assertTrue(log, log.contains("Keyring secret store"));
      assertFalse(log.contains(canary));
    }
  }
}
