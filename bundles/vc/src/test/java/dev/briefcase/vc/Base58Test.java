package dev.briefcase.vc;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.HexFormat;
import org.junit.Test;

public class Base58Test {
  // the Bitcoin base58 test vectors (base58_encode_decode.json), checked against multiformats
  private static final String[][] VECTORS = {
    {"", ""},
    {"61", "2g"},
    {"626262", "a3gV"},
    {"636363", "aPEr"},
    {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
    {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
    {"516b6fcd0f", "ABnLTmg"},
    {"0000287fb4cd", "11233QC4"},
  };

  @Test
  public void knownVectorsRoundTrip() {
    for (String[] v : VECTORS) {
      byte[] bytes = HexFormat.of().parseHex(v[0]);
      assertEquals(v[1], Base58.encode(bytes));
      assertArrayEquals(bytes, Base58.decode(v[1]));
    }
  }

  @Test
  public void charactersOutsideTheAlphabetAreRefused() {
    for (String bad : new String[] {"0", "O", "I", "l", "+", "é", "2g "}) {
      assertThrows(IllegalArgumentException.class, () -> Base58.decode(bad));
    }
  }
}
