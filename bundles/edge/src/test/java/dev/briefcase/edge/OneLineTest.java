package dev.briefcase.edge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** One-line text: no forged lines, no hidden text, bounded length, a fallback for nothing. */
public class OneLineTest {

  @Test
  public void crLfInjectionCannotStartANewLine() {
    String forged = "bad tool\r\n2026-01-01 INFO approved: everything\rok\n";
    String line = OneLine.of(forged);
    assertEquals("bad tool 2026-01-01 INFO approved: everything ok", line);
    assertFalse(line.contains("\n") || line.contains("\r"));
    assertEquals("a b", OneLine.of("a\u0085b"));
    assertEquals("a b c", OneLine.of("a\u2028b\u2029c"));
  }

  @Test
  public void controlAndInvisibleCharactersBecomeOneSpace() {
    assertEquals("a [31mb", OneLine.of("a\u001b[31mb"));
    assertEquals("red b", OneLine.of("red\u001b\u0007\t\u007f\u009bb"));
    // a bidi override would show the reader other text than the log holds
    assertEquals("file gpj.exe", OneLine.of("file\u202egpj.exe"));
    assertEquals("zero width", OneLine.of("zero\u200bwidth"));
    assertEquals("nul byte", OneLine.of("nul\u0000byte"));
    assertEquals("a b", OneLine.of("a \n\t b"));
  }

  @Test
  public void plainTextAndPlainSpacesAreKept() {
    String plain = "expected integer, got \"x\" at /a/0";
    assertSame(plain, OneLine.of(plain));
    assertEquals("two  spaces", OneLine.of("two  spaces"));
    assertEquals("emoji \ud83d\ude00 kept", OneLine.of("emoji \ud83d\ude00 kept"));
    assertEquals("trimmed", OneLine.of("  trimmed \n"));
  }

  @Test
  public void longTextIsCutToTheLimitWithTheMark() {
    assertEquals("x".repeat(120), OneLine.of("x".repeat(500), 120));
    String marked = OneLine.of("y".repeat(500), 200, "", "...");
    assertEquals(200, marked.length());
    assertTrue(marked.endsWith("y..."));
    assertEquals("short", OneLine.of("short", 5, "", "..."));
    assertEquals("sh...", OneLine.of("short!", 5, "", "..."));
  }

  @Test
  public void aCutNeverSplitsASurrogatePair() {
    String text = "ab\ud83d\ude00cd";
    assertEquals("ab", OneLine.of(text, 3));
    assertEquals("ab\ud83d\ude00", OneLine.of(text, 4));
  }

  @Test
  public void nullAndBlankTextBecomeTheFallback() {
    assertEquals("", OneLine.of(null));
    assertEquals("", OneLine.of(null, 10));
    assertEquals("unknown", OneLine.of(null, 10, "unknown"));
    assertEquals("unknown", OneLine.of(" \r\n\t ", 10, "unknown"));
    assertEquals("invalid policy", OneLine.of("", 200, "invalid policy", "..."));
  }

  @Test
  public void firstLineStopsAtTheFirstLineBreak() {
    assertEquals("Unexpected character", OneLine.firstLine("Unexpected character\n at [1:2]", "x"));
    assertEquals("first", OneLine.firstLine("first\r\nsecond", "x"));
    assertEquals("a b", OneLine.firstLine("a\tb\u2028c", "x"));
    assertEquals("unreadable", OneLine.firstLine(null, "unreadable"));
    assertEquals("unreadable", OneLine.firstLine("\nsecond", "unreadable"));
    assertEquals("whole", OneLine.firstLine("whole", "x"));
    assertEquals("boom", OneLine.firstLine(new IllegalStateException("boom\nstack")));
    assertEquals("IllegalStateException", OneLine.firstLine(new IllegalStateException()));
  }

  @Test
  public void aLimitWithoutRoomIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> OneLine.of("text", 2, "", "..."));
    assertThrows(IllegalArgumentException.class, () -> OneLine.of("text", 0));
  }
}
