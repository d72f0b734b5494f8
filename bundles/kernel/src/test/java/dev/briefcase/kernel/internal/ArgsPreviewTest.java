package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.Test;

public class ArgsPreviewTest {

  private static ArgsPreview of(String json) {
    return ArgsPreview.of(Fixture.json(json));
  }

  @Test
  public void plainArgumentsAreShownCanonically() {
    ArgsPreview p = of("{\"path\":\"/srv/a.txt\",\"b\":1.0,\"a\":[true,null]}");
    assertEquals("{\"a\":[true,null],\"b\":1,\"path\":\"/srv/a.txt\"}", p.text());
    assertFalse(p.truncated());
    assertFalse(p.redacted());
  }

  @Test
  public void valuesUnderSecretKeysAreRedacted() {
    ArgsPreview p =
        of(
            "{\"user\":\"bob\",\"Password\":\"hunter2\",\"api_key\":\"k1\","
                + "\"headers\":{\"Authorization\":\"x\",\"X-Refresh-Token\":\"y\"},\"pin\":1234,"
                + "\"max_tokens\":false}");
    assertFalse(p.text(), p.text().contains("hunter2"));
    assertFalse(p.text(), p.text().contains("k1"));
    assertFalse(p.text(), p.text().contains("\"x\""));
    assertFalse(p.text(), p.text().contains("\"y\""));
    assertFalse(p.text(), p.text().contains("1234"));
    assertTrue(p.text(), p.text().contains("\"user\":\"bob\""));
    assertTrue(p.text(), p.text().contains("\"max_tokens\":false"));
    assertTrue(p.redacted());
  }

  @Test
  public void secretsInsideStringsAreRedacted() {
    String[] secrets = {
      "password=hunter2",
      "Authorization: Bearer abcdefghijklmnop",
      "authorization=Bearer abcdefg",
      "token: abcdefgh12345678",
      "sk-proj-abcdefghijklmnopqrstuvwx",
      "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      "AKIAABCDEFGHIJKLMNOP",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"
    };
    for (String secret : secrets) {
      String clean = ArgsPreview.redactText("before " + secret + " after");
      assertTrue(clean, clean.contains(ArgsPreview.REDACTED));
      assertTrue(clean, clean.startsWith("before "));
      for (String part : new String[] {"hunter2", "abcdefgh", "AKIAABCD", "eyJzdWIi", "MIIEvQ"}) {
        assertFalse(secret + " -> " + clean, clean.contains(part));
      }
    }
    assertEquals("read /etc/hosts please", ArgsPreview.redactText("read /etc/hosts please"));
  }

  @Test
  public void longArgumentsAreCutAtACodePointWithinTheLimit() {
    ArgsPreview p = of("{\"text\":\"" + "\uD83D\uDE00".repeat(1000) + "\"}");
    assertTrue(p.truncated());
    byte[] utf8 = p.text().getBytes(StandardCharsets.UTF_8);
    assertTrue(utf8.length <= ArgsPreview.MAX_BYTES);
    assertTrue(utf8.length > ArgsPreview.MAX_BYTES - 4);
    assertFalse(
        "no broken surrogate", Character.isHighSurrogate(p.text().charAt(p.text().length() - 1)));
  }
}
