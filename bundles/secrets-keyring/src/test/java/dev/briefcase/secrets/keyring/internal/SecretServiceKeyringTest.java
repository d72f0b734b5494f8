package dev.briefcase.secrets.keyring.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.testing.Poll;
import dev.briefcase.testing.SecretServiceBus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * The keyring store against a real Secret Service (gnome-keyring on a private D-Bus), cross-checked
 * with libsecret's {@code secret-tool}. Linux only: reported as skipped elsewhere.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class SecretServiceKeyringTest {
  private static final String CANARY = "canary-" + UUID.randomUUID();
  private static SecretServiceBus keyring;
  private static KeyringSecretStore store;

  @BeforeClass
  public static void startKeyring() throws Exception {
    Assume.assumeTrue(
        "Secret Service tests run on Linux only",
        "linux".equals(KeyringBackends.platform(System.getProperty("os.name"))));
    long t0 = System.nanoTime();
    keyring = SecretServiceBus.start(Files.createTempDirectory("briefcase-keyring"));
    String address = keyring.busAddress;
    // the name is owned before the default collection answers: wait for a whole session
    Poll.waitFor(() -> opens(address), "the private Secret Service to open a session");
    System.out.printf(
        "private dbus-daemon + gnome-keyring-daemon ready in %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);
    store = new KeyringSecretStore(() -> SecretServiceKeyring.open(address));
  }

  private static boolean opens(String address) {
    try {
      SecretServiceKeyring.open(address).close();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @AfterClass
  public static void stopKeyring() throws Exception {
    if (store != null) {
      store.close();
    }
    if (keyring != null) {
      keyring.close();
    }
  }

  @Test
  public void roundTripIsReallyInTheKeyring() throws Exception {
    store.put("provider.canary", Sensitive.of(CANARY.getBytes(StandardCharsets.UTF_8)));
    assertEquals(
        CANARY, new String(store.get("provider.canary").get().reveal(), StandardCharsets.UTF_8));
    // an independent client (libsecret) finds the item under the documented attributes
    SecretServiceBus.Result lookup =
        keyring.secretTool(
            null, "lookup", "service", "credential-briefcase", "id", "provider.canary");
    assertEquals(0, lookup.exit());
    assertEquals(CANARY, lookup.out().strip());

    // replacing keeps one item
    store.put("provider.canary", Sensitive.of("v2".getBytes(StandardCharsets.UTF_8)));
    assertEquals(
        "v2", new String(store.get("provider.canary").get().reveal(), StandardCharsets.UTF_8));
    assertEquals(
        "v2",
        keyring
            .secretTool(null, "lookup", "service", "credential-briefcase", "id", "provider.canary")
            .out()
            .strip());

    assertTrue(store.ids().contains("provider.canary"));
    assertTrue(store.delete("provider.canary"));
    assertFalse(store.delete("provider.canary"));
    assertTrue(store.get("provider.canary").isEmpty());
    assertFalse(store.ids().contains("provider.canary"));
    SecretServiceBus.Result gone =
        keyring.secretTool(
            null, "lookup", "service", "credential-briefcase", "id", "provider.canary");
    assertEquals("", gone.out().strip());
  }

  @Test
  public void binaryValuesRoundTripExactly() {
    byte[] key = new byte[138];
    new SecureRandom().nextBytes(key);
    key[0] = (byte) 0xff; // never valid UTF-8
    store.put("keys.software.bin", Sensitive.of(key.clone()));
    assertArrayEquals(key, store.get("keys.software.bin").get().reveal());
    store.put("empty", Sensitive.of(new byte[0]));
    assertArrayEquals(new byte[0], store.get("empty").get().reveal());
    assertTrue(store.delete("keys.software.bin"));
    assertTrue(store.delete("empty"));
  }

  @Test
  public void itemsWrittenByLibsecretAreRead() throws Exception {
    SecretServiceBus.Result stored =
        keyring.secretTool(
            "from-secret-tool",
            "store",
            "--label=test",
            "service",
            "credential-briefcase",
            "id",
            "external.item");
    assertEquals(0, stored.exit());
    assertEquals(
        "from-secret-tool",
        new String(store.get("external.item").get().reveal(), StandardCharsets.UTF_8));
    assertTrue(store.ids().contains("external.item"));
    assertTrue(store.delete("external.item"));
  }

  @Test
  public void idsAreListedSortedAndForeignItemsIgnored() throws Exception {
    keyring.secretTool("x", "store", "--label=other", "service", "someone-else", "id", "zz");
    store.put("b-two", Sensitive.of(new byte[] {1}));
    store.put("a.one", Sensitive.of(new byte[] {2}));
    List<String> ids = store.ids();
    assertTrue(ids.contains("a.one") && ids.contains("b-two"));
    assertTrue(ids.indexOf("a.one") < ids.indexOf("b-two"));
    assertEquals(ids.stream().sorted().toList(), ids);
    assertFalse(ids.contains("zz"));
    store.delete("a.one");
    store.delete("b-two");
  }

  @Test
  public void badInputIsRefusedAndChangesNothing() {
    List<String> before = store.ids();
    for (String bad : new String[] {"", "a/b", "a:b", "x".repeat(129), "ü", "a b"}) {
      SecretStoreException e =
          assertThrows(
              SecretStoreException.class, () -> store.put(bad, Sensitive.of(new byte[] {1})));
      assertEquals("invalid_secret_id", e.code());
      assertEquals(
          "invalid_secret_id",
          assertThrows(SecretStoreException.class, () -> store.get(bad)).code());
    }
    SecretStoreException big =
        assertThrows(
            SecretStoreException.class, () -> store.put("big", Sensitive.of(new byte[2561])));
    assertEquals("secret_too_large", big.code());
    assertEquals(before, store.ids());
  }

  @Test
  public void readsArePrintedNotJudged() {
    store.put("timing", Sensitive.of("t".getBytes(StandardCharsets.UTF_8)));
    int n = 50;
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      store.get("timing");
    }
    System.out.printf(
        "keyring read: %.2f ms each over %d reads%n", (System.nanoTime() - t0) / 1e6 / n, n);
    store.delete("timing");
  }

  @Test
  public void unreachableBusFailsClosedWithAStableCode() {
    KeyringSecretStore nowhere =
        new KeyringSecretStore(() -> SecretServiceKeyring.open("unix:path=/nonexistent/bus"));
    SecretStoreException e = assertThrows(SecretStoreException.class, () -> nowhere.get("x"));
    assertEquals("secret_store_unavailable", e.code());
  }

  @Test
  public void zzLockedKeyringFailsClosedNotEmpty() throws Exception {
    // runs last (name order): a locked collection must be an error, never "no such secret"
    store.put("locked.probe", Sensitive.of("v".getBytes(StandardCharsets.UTF_8)));
    SecretServiceKeyring raw = SecretServiceKeyring.open(keyring.busAddress);
    try {
      raw.lockForTest();
    } finally {
      raw.close();
    }
    SecretStoreException e =
        assertThrows(SecretStoreException.class, () -> store.get("locked.probe"));
    assertEquals("secret_store_unavailable", e.code());
    assertThrows(
        SecretStoreException.class, () -> store.put("locked.other", Sensitive.of(new byte[] {1})));
  }

  @Test
  public void canaryNeverReachesTheLog() throws Exception {
    store.put("log.canary", Sensitive.of(CANARY.getBytes(StandardCharsets.UTF_8)));
    store.get("log.canary");
    store.delete("log.canary");
    String logFile = System.getProperty("org.slf4j.simpleLogger.logFile");
    Assume.assumeTrue(
        "surefire sends the log to a file", logFile != null && !logFile.startsWith("System."));
    String log = Files.readString(Path.of(logFile));
    assertTrue("the log file has D-Bus debug lines", log.contains("DEBUG"));
    assertFalse(log.contains(CANARY));
    assertFalse(
        log.contains(Base64.getEncoder().encodeToString(CANARY.getBytes(StandardCharsets.UTF_8))));
  }
}
