package dev.briefcase.secrets.memory.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class MemorySecretStoreTest {

  @Test
  public void roundTripCopiesValues() {
    MemorySecretStore store = new MemorySecretStore("reference");
    byte[] value = "v1".getBytes(StandardCharsets.UTF_8);
    store.put("b.one", Sensitive.of(value));
    value[0] = 'x'; // the caller's array is not kept
    store.put("a-two", Sensitive.of(new byte[] {0, 1, 2}));
    assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), store.get("b.one").get().reveal());
    assertEquals(List.of("a-two", "b.one"), store.ids());
    assertTrue(store.delete("b.one"));
    assertFalse(store.delete("b.one"));
    assertTrue(store.get("b.one").isEmpty());
    store.close();
    assertEquals(
        "secret_store_unavailable", assertThrows(SecretStoreException.class, store::ids).code());
  }

  @Test
  public void badIdsAreRefusedAndChangeNothing() {
    MemorySecretStore store = new MemorySecretStore((String) null);
    for (String bad : new String[] {"", "a/b", "a:b", "x".repeat(129), "é"}) {
      SecretStoreException e =
          assertThrows(
              SecretStoreException.class, () -> store.put(bad, Sensitive.of(new byte[] {1})));
      assertEquals("invalid_secret_id", e.code());
    }
    assertEquals(List.of(), store.ids());
  }

  @Test
  public void refusedInGa() {
    SecretStoreException e =
        assertThrows(SecretStoreException.class, () -> new MemorySecretStore("ga"));
    assertTrue(e.getMessage().contains("refused in the ga profile"));
  }

  @Test
  public void gateEnablesOnlyWhenSelectedAndNeverInGa() {
    Map<String, String> none = Map.of();
    assertEquals(
        MemoryBackendGate.Decision.ENABLE,
        MemoryBackendGate.decide(Map.of("briefcase.secret.backend", "memory")::get));
    assertEquals(
        MemoryBackendGate.Decision.REFUSED,
        MemoryBackendGate.decide(
            Map.of("briefcase.secret.backend", "memory", "briefcase.profile.mode", "ga")::get));
    assertEquals(MemoryBackendGate.Decision.NOT_SELECTED, MemoryBackendGate.decide(none::get));
  }
}
