package dev.briefcase.secrets.keyring.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Assume;
import org.junit.Test;

/** Platform-independent behaviour of the keyring store, with a keyring stand-in. */
public class KeyringSecretStoreTest {

  /** An in-memory keyring that can be made to fail like a vanished D-Bus session. */
  static final class FakeKeyring implements KeyringBackend {
    final Map<String, byte[]> items = new TreeMap<>();
    boolean broken;
    boolean closed;

    @Override
    public String describe() {
      return "fake";
    }

    @Override
    public Optional<byte[]> read(String id) {
      fail();
      return Optional.ofNullable(items.get(id)).map(byte[]::clone);
    }

    @Override
    public void write(String id, byte[] value) {
      fail();
      items.put(id, value.clone());
    }

    @Override
    public boolean remove(String id) {
      fail();
      return items.remove(id) != null;
    }

    @Override
    public List<String> list() {
      fail();
      return new ArrayList<>(items.keySet());
    }

    @Override
    public void close() {
      closed = true;
    }

    private void fail() {
      if (broken) {
        throw new IllegalStateException("connection lost");
      }
    }
  }

  @Test
  public void reconnectsAfterAFailureAndReportsIt() {
    List<FakeKeyring> opened = new ArrayList<>();
    KeyringSecretStore store =
        new KeyringSecretStore(
            () -> {
              FakeKeyring k = new FakeKeyring();
              if (!opened.isEmpty()) {
                k.items.putAll(opened.get(opened.size() - 1).items);
              }
              opened.add(k);
              return k;
            });
    store.put("a", Sensitive.of("1".getBytes(StandardCharsets.UTF_8)));
    opened.get(0).broken = true;
    SecretStoreException e = assertThrows(SecretStoreException.class, () -> store.get("a"));
    assertEquals("secret_store_unavailable", e.code());
    assertTrue(opened.get(0).closed);
    // the next call reconnects
    assertArrayEquals("1".getBytes(StandardCharsets.UTF_8), store.get("a").get().reveal());
    assertEquals(2, opened.size());
  }

  @Test
  public void unreachableKeyringIsAnErrorEveryCallNotAnEmptyValue() {
    AtomicInteger attempts = new AtomicInteger();
    KeyringSecretStore store =
        new KeyringSecretStore(
            () -> {
              attempts.incrementAndGet();
              throw new SecretStoreException("secret_store_unavailable", "no bus");
            });
    assertEquals(
        "secret_store_unavailable",
        assertThrows(SecretStoreException.class, () -> store.get("x")).code());
    assertEquals(
        "secret_store_unavailable", assertThrows(SecretStoreException.class, store::ids).code());
    assertEquals(2, attempts.get());
  }

  @Test
  public void idsAreSortedAndDeduplicated() {
    FakeKeyring k = new FakeKeyring();
    KeyringSecretStore store =
        new KeyringSecretStore(
            () ->
                new KeyringBackend() {
                  @Override
                  public String describe() {
                    return "dup";
                  }

                  @Override
                  public Optional<byte[]> read(String id) {
                    return Optional.empty();
                  }

                  @Override
                  public void write(String id, byte[] value) {}

                  @Override
                  public boolean remove(String id) {
                    return false;
                  }

                  @Override
                  public List<String> list() {
                    return Arrays.asList("b", "a", "b");
                  }

                  @Override
                  public void close() {
                    k.closed = true;
                  }
                });
    assertEquals(List.of("a", "b"), store.ids());
    store.close();
    assertTrue(k.closed);
    assertEquals(
        "secret_store_unavailable", assertThrows(SecretStoreException.class, store::ids).code());
  }

  @Test
  public void badIdsAndOversizedValuesNeverReachTheKeyring() {
    FakeKeyring k = new FakeKeyring();
    KeyringSecretStore store = new KeyringSecretStore(() -> k);
    assertEquals(
        "invalid_secret_id",
        assertThrows(SecretStoreException.class, () -> store.put("a:b", Sensitive.of(new byte[1])))
            .code());
    assertEquals(
        "secret_too_large",
        assertThrows(SecretStoreException.class, () -> store.put("a", Sensitive.of(new byte[2561])))
            .code());
    store.put("a", Sensitive.of(new byte[2560]));
    assertEquals(List.of("a"), new ArrayList<>(k.items.keySet()));
  }

  @Test
  public void secretServiceEncodingKeepsTextReadableAndBytesExact() {
    assertTrue(SecretServiceKeyring.isUtf8("token-ü".getBytes(StandardCharsets.UTF_8)));
    assertFalse(SecretServiceKeyring.isUtf8(new byte[] {(byte) 0xff, 0}));
    assertArrayEquals(
        "token-ü".getBytes(StandardCharsets.UTF_8),
        SecretServiceKeyring.decode("token-ü".toCharArray(), "utf8"));
    assertArrayEquals(
        new byte[] {(byte) 0xff, 0}, SecretServiceKeyring.decode("/wA=".toCharArray(), "base64"));
    assertEquals(
        "secret_tampered",
        assertThrows(
                SecretStoreException.class,
                () -> SecretServiceKeyring.decode("not base64!".toCharArray(), "base64"))
            .code());
  }

  @Test
  public void platformErrorsMapToStableCodes() {
    assertEquals("secret_store_unavailable", OsStatus.error("read", -25308).code());
    assertTrue(OsStatus.error("read", -25308).getMessage().contains("locked"));
    assertTrue(OsStatus.error("write", -34018).getMessage().contains("entitlement"));
    assertTrue(OsStatus.error("list", -1).getMessage().contains("OSStatus -1"));
    assertEquals("secret_store_unavailable", WindowsCredentials.error("read", 1312).code());
    assertTrue(WindowsCredentials.error("read", 1312).getMessage().contains("logon session"));
    assertEquals(
        List.of("a.b", "c"),
        WindowsCredentials.ids(
            List.of(
                "credential-briefcase:a.b",
                "credential-briefcase:c",
                "other:x",
                "credential-briefcase:bad/id")));
    assertEquals("credential-briefcase:x", WindowsCredentials.target("x"));
  }

  @Test
  public void platformDetection() {
    assertEquals("linux", KeyringBackends.platform("Linux"));
    assertEquals("macos", KeyringBackends.platform("Mac OS X"));
    assertEquals("windows", KeyringBackends.platform("Windows 11"));
  }

  @Test
  public void theStartupErrorNamesBothWaysOut() {
    assertTrue(KeyringBackendGate.WAYS_OUT.contains("BRIEFCASE_MASTER_PASSPHRASE"));
    assertTrue(KeyringBackendGate.WAYS_OUT.contains("keyring"));
  }

  /** The real macOS Keychain: runs on macOS only, reported as skipped elsewhere. */
  @Test
  public void macKeychainRoundTrip() {
    Assume.assumeTrue(
        "needs macOS", "macos".equals(KeyringBackends.platform(System.getProperty("os.name"))));
    roundTrip(new KeyringSecretStore(MacKeychain::open));
  }

  /** The real Windows Credential Manager: runs on Windows only, reported as skipped elsewhere. */
  @Test
  public void windowsCredentialManagerRoundTrip() {
    Assume.assumeTrue(
        "needs Windows", "windows".equals(KeyringBackends.platform(System.getProperty("os.name"))));
    roundTrip(new KeyringSecretStore(WindowsCredentials::open));
  }

  private static void roundTrip(KeyringSecretStore store) {
    String id = "briefcase-test." + System.nanoTime();
    byte[] value = {0, 1, 2, (byte) 0xff};
    try {
      store.put(id, Sensitive.of(value.clone()));
      assertArrayEquals(value, store.get(id).get().reveal());
      assertTrue(store.ids().contains(id));
    } finally {
      assertTrue(store.delete(id));
      store.close();
    }
  }
}
