package dev.briefcase.signer;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;

public class PublicJwksTest {

  /** RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint. */
  @Test
  public void rfc7638ExampleThumbprint() {
    Map<String, String> members = new LinkedHashMap<>();
    // deliberately out of order: the helper must sort the members
    members.put("n", RFC7638_N);
    members.put("kty", "RSA");
    members.put("e", "AQAB");
    assertEquals("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", PublicJwks.thumbprint(members));
  }

  @Test
  public void thumbprintChangesWithTheKey() {
    Map<String, String> members = new LinkedHashMap<>();
    members.put("e", "AQAB");
    members.put("kty", "RSA");
    members.put("n", RFC7638_N.replace('0', '1'));
    assertNotEquals("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", PublicJwks.thumbprint(members));
  }

  @Test
  public void fixedLeftPadsAndStripsSignByte() {
    assertEquals(32, PublicJwks.fixed(BigInteger.ONE, 32).length);
    assertEquals(1, PublicJwks.fixed(BigInteger.ONE, 32)[31]);
    BigInteger high = BigInteger.ONE.shiftLeft(255); // needs a 0x00 sign byte in toByteArray
    byte[] f = PublicJwks.fixed(high, 32);
    assertEquals(32, f.length);
    assertEquals((byte) 0x80, f[0]);
  }

  static final String RFC7638_N =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
          + "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Q"
          + "vzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh"
          + "6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
}
