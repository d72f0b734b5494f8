package dev.briefcase.secrets.file.internal;

import static org.junit.Assert.assertEquals;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.Test;

/**
 * Proves the store's Argon2 call is Argon2id v0x13 with the parameters wired in the right slots.
 */
public class Argon2KnownAnswerTest {

  private static byte[] filled(int n, int b) {
    byte[] out = new byte[n];
    Arrays.fill(out, (byte) b);
    return out;
  }

  @Test
  public void rfc9106Argon2idVector() {
    // RFC 9106 §5.3: Argon2id, m=32 KiB, t=3, p=4, 32-byte tag.
    byte[] tag =
        StoreCrypto.argon2id(
            filled(32, 0x01),
            filled(16, 0x02),
            new KdfParams(32, 3, 4),
            filled(8, 0x03),
            filled(12, 0x04),
            32);
    assertEquals(
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
        HexFormat.of().formatHex(tag));
  }
}
