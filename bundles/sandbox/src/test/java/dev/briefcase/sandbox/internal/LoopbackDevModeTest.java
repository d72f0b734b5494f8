package dev.briefcase.sandbox.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class LoopbackDevModeTest {

  @Test
  public void requestedDevModeHoldsOutsideTheStrictProfile() {
    assertTrue(WasmToolExtender.loopbackDevMode(true, null));
    assertTrue(WasmToolExtender.loopbackDevMode(true, "reference"));
    assertTrue(WasmToolExtender.loopbackDevMode(true, "staging"));
    assertFalse(WasmToolExtender.loopbackDevMode(false, "reference"));
  }

  @Test
  public void strictProfileRefusesDevModeHoweverItIsSpelled() {
    String[] spellings = {"ga", " ga", "GA", "Ga ", "\tga\n"};
    for (String mode : spellings) {
      assertFalse(mode, WasmToolExtender.loopbackDevMode(true, mode));
    }
  }
}
