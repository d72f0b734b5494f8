package dev.briefcase.x402;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;
import java.util.HexFormat;
import org.junit.Test;
import org.web3j.crypto.Sign;

public class RecoverAttackTest {

  private static String code(byte[] digest, String signature) {
    try {
      Eip3009.recover(digest, signature);
      fail("accepted " + signature);
      return null;
    } catch (PaymentException e) {
      return e.code();
    }
  }

  private static byte[] digest(JsonNode v) {
    return HexFormat.of().parseHex(v.get("digest").asText().substring(2));
  }

  @Test
  public void aHighSCopyOfAValidSignatureIsRefused() throws Exception {
    JsonNode v = Vectors.load("eip712-vector.json");
    String sig = v.get("signature").asText().substring(2);
    BigInteger s = new BigInteger(sig.substring(64, 128), 16);
    BigInteger highS = Sign.CURVE_PARAMS.getN().subtract(s);
    int flipped = Integer.parseInt(sig.substring(128), 16) == 27 ? 28 : 27;
    String malleated =
        "0x" + sig.substring(0, 64) + String.format("%064x", highS) + Integer.toHexString(flipped);
    // the malleated copy is a valid ECDSA signature of the same key: only the low-S rule stops it
    assertEquals(
        v.get("signerAddress").asText(),
        Eip3009.address(
            Sign.recoverFromSignature(
                flipped - 27,
                new org.web3j.crypto.ECDSASignature(
                    new BigInteger(sig.substring(0, 64), 16), highS),
                digest(v))));
    assertEquals("payment_invalid", code(digest(v), malleated));
  }

  @Test
  public void aWrongVShortOrNonHexSignatureIsRefused() throws Exception {
    JsonNode v = Vectors.load("eip712-vector.json");
    String sig = v.get("signature").asText();
    assertEquals("payment_invalid", code(digest(v), sig.substring(0, 130) + "01"));
    assertEquals("payment_invalid", code(digest(v), sig.substring(0, 130) + "1d"));
    assertEquals("payment_invalid", code(digest(v), sig.substring(0, 128)));
    assertEquals("payment_invalid", code(digest(v), sig.substring(2)));
    assertEquals("payment_invalid", code(digest(v), sig.substring(0, 131) + "z"));
    assertEquals("payment_invalid", code(digest(v), "0x" + "00".repeat(64) + "1b"));
  }

  @Test
  public void aSignatureOverAnotherDigestRecoversAnotherAddress() throws Exception {
    JsonNode v = Vectors.load("eip712-vector.json");
    byte[] other = digest(v);
    other[0] ^= 1;
    assertNotEquals(
        v.get("signerAddress").asText(), Eip3009.recover(other, v.get("signature").asText()));
  }
}
