package dev.briefcase.secrets;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Map;
import org.junit.Test;

public class SecretBackendsTest {

  private static String select(Map<String, String> props, Map<String, String> env) {
    return SecretBackends.selected(props::get, env::get);
  }

  @Test
  public void unsetMeansFileWithAPassphraseElseKeyring() {
    assertEquals("keyring", select(Map.of(), Map.of()));
    assertEquals("file", select(Map.of(), Map.of("BRIEFCASE_MASTER_PASSPHRASE", "x")));
    // set but empty is no passphrase: the file store itself refuses an empty one
    assertEquals("keyring", select(Map.of(), Map.of("BRIEFCASE_MASTER_PASSPHRASE", "")));
  }

  @Test
  public void explicitChoiceWinsAndThePropertyBeatsTheEnvironment() {
    Map<String, String> pass = Map.of("BRIEFCASE_MASTER_PASSPHRASE", "x");
    assertEquals("keyring", select(Map.of("briefcase.secret.backend", "keyring"), pass));
    assertEquals("memory", select(Map.of("briefcase.secret.backend", " Memory "), Map.of()));
    assertEquals("file", select(Map.of(), Map.of("BRIEFCASE_SECRET_BACKEND", "file")));
    assertEquals(
        "keyring",
        select(
            Map.of("briefcase.secret.backend", "keyring"),
            Map.of("BRIEFCASE_SECRET_BACKEND", "file")));
  }

  @Test
  public void unknownBackendIsAnErrorWithAStableCode() {
    SecretStoreException e =
        assertThrows(
            SecretStoreException.class,
            () -> select(Map.of("briefcase.secret.backend", "vault"), Map.of()));
    assertEquals("invalid_secret_backend", e.code());
  }

  @Test
  public void strictProfileIsGaOnly() {
    assertTrue(SecretBackends.strictProfile(Map.of("briefcase.profile.mode", "GA")::get));
    assertFalse(SecretBackends.strictProfile(Map.of("briefcase.profile.mode", "staging")::get));
    assertFalse(SecretBackends.strictProfile(Map.<String, String>of()::get));
  }
}
