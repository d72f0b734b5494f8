package dev.briefcase.profile;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class ProfileModeTest {

  @Test
  public void gaInAnyCaseWithBlanksIsStrict() {
    assertTrue(ProfileMode.isStrict("ga"));
    assertTrue(ProfileMode.isStrict("GA"));
    assertTrue(ProfileMode.isStrict(" ga "));
    assertTrue(ProfileMode.isStrict(" GA"));
    assertTrue(ProfileMode.isStrict("\tGa\n"));
  }

  @Test
  public void unsetEmptyAndOtherModesAreNotStrict() {
    assertFalse(ProfileMode.isStrict(null));
    assertFalse(ProfileMode.isStrict(""));
    assertFalse(ProfileMode.isStrict("   "));
    assertFalse(ProfileMode.isStrict("reference"));
    assertFalse(ProfileMode.isStrict("staging"));
    assertFalse(ProfileMode.isStrict("g a"));
    assertFalse(ProfileMode.isStrict("gax"));
  }

  @Test
  public void propertyNameIsTheFrameworkProperty() {
    assertEquals("briefcase.profile.mode", ProfileMode.PROPERTY);
  }
}
