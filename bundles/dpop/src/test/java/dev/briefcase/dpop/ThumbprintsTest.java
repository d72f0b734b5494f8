package dev.briefcase.dpop;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import org.junit.Test;

public class ThumbprintsTest {
  /** RFC 8037 Appendix A.3. */
  @Test
  public void ed25519ThumbprintMatchesRfc8037Vector() {
    assertEquals(
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        Thumbprints.okp("Ed25519", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
  }

  @Test
  public void legacyRawKeyGivesTheOkpThumbprint() {
    assertEquals(
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        Thumbprints.ed25519Raw("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
    assertEquals(
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        Thumbprints.ed25519Raw("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="));
  }

  @Test
  public void legacyRawKeyOfWrongSizeOrAlphabetIsInvalid() {
    for (String bad :
        new String[] {"AAAA", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", "", null}) {
      try {
        Thumbprints.ed25519Raw(bad);
        fail("accepted " + bad);
      } catch (DpopException e) {
        assertEquals("invalid_dpop", e.code());
      }
    }
  }
}
