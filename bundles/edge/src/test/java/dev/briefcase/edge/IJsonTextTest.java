package dev.briefcase.edge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.Test;

/** Lone UTF-16 surrogates found, and where. */
public class IJsonTextTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final String HIGH = "\ud83d";
  private static final String LOW = "\ude00";

  @Test
  public void pairsAreWellFormedLoneHalvesAreNot() {
    assertTrue(IJsonText.wellFormed("plain"));
    assertTrue(IJsonText.wellFormed(HIGH + LOW));
    assertFalse(IJsonText.wellFormed(HIGH));
    assertFalse(IJsonText.wellFormed(LOW));
    assertFalse(IJsonText.wellFormed(LOW + HIGH));
    assertFalse(IJsonText.wellFormed("a" + HIGH + "b"));
  }

  @Test
  public void thePathNamesTheFirstLoneSurrogate() throws Exception {
    assertNull(
        IJsonText.loneSurrogatePath(M.readTree("{\"a\":[1,\"x\",{\"b\":\"ok\"}]}"), "$", ""));
    assertEquals(
        "$.a[2].b",
        IJsonText.loneSurrogatePath(M.readTree("{\"a\":[1,\"x\",{\"b\":\"\\ud800\"}]}"), "$", ""));
    assertEquals(
        "a key is shown with ? for what is not printable ASCII",
        "$.k??",
        IJsonText.loneSurrogatePath(M.readTree("{\"k\\ud800\\u00e9\":1}"), "$", ""));
  }

  @Test
  public void aLongKeyIsClippedWithTheCallersMark() throws Exception {
    String key = "k".repeat(70);
    String json = "{\"" + key + "\":\"\\udc00\"}";
    assertEquals("$." + "k".repeat(64), IJsonText.loneSurrogatePath(M.readTree(json), "$", ""));
    assertEquals(
        "$." + "k".repeat(64) + "…", IJsonText.loneSurrogatePath(M.readTree(json), "$", "…"));
  }

  @Test
  public void deeperThanSixtyFourLevelsIsNotSearched() throws Exception {
    String deep = "[".repeat(70) + "\"\\ud800\"" + "]".repeat(70);
    assertNull(IJsonText.loneSurrogatePath(M.readTree(deep), "$", ""));
    String shallow = "[".repeat(10) + "\"\\ud800\"" + "]".repeat(10);
    assertEquals("$" + "[0]".repeat(10), IJsonText.loneSurrogatePath(M.readTree(shallow), "$", ""));
  }
}
