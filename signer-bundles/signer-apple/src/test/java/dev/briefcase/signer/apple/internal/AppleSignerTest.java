package dev.briefcase.signer.apple.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.SignerException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.Assume;
import org.junit.Test;

public class AppleSignerTest {
  // RFC 7515 Appendix A.3: the ES256 example key
  private static final String X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
  private static final String Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

  private static byte[] sec1(String x, String y) {
    byte[] out = new byte[65];
    out[0] = 4;
    System.arraycopy(Base64.getUrlDecoder().decode(x), 0, out, 1, 32);
    System.arraycopy(Base64.getUrlDecoder().decode(y), 0, out, 33, 32);
    return out;
  }

  @Test
  public void derSignatureVectorsBecomeRawRs() throws Exception {
    // r = 1 (one byte), s = 0xff..ff-ish with the high bit set (a leading 0x00 in DER)
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) 0xee);
    String der = "3026" + "020101" + "022100" + HexFormat.of().formatHex(s);
    byte[] raw = P256.derToRaw(HexFormat.of().parseHex(der));
    byte[] expected = new byte[64];
    expected[31] = 1;
    System.arraycopy(s, 0, expected, 32, 32);
    assertArrayEquals(expected, raw);
  }

  @Test
  public void jdkDerSignaturesConvertAndVerifyAsP1363() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    byte[] msg = "briefcase".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 64; i++) { // covers short r/s (leading zero bytes) now and then
      Signature der = Signature.getInstance("SHA256withECDSA");
      der.initSign(kp.getPrivate());
      der.update(msg);
      byte[] raw = P256.derToRaw(der.sign());
      assertEquals(64, raw.length);
      Signature p1363 = Signature.getInstance("SHA256withECDSAinP1363Format");
      p1363.initVerify(kp.getPublic());
      p1363.update(msg);
      assertTrue(p1363.verify(raw));
    }
  }

  @Test
  public void malformedDerIsAKeychainError() {
    String[] bad = {
      "",
      "30",
      "3006020101020101ff", // trailing byte inside
      "3006020101020101" + "00", // trailing byte outside
      "31060201010201 01".replace(" ", ""), // SET, not SEQUENCE
      "300602018102 0101".replace(" ", ""), // negative r
      "30070202000102 0101".replace(" ", ""), // non-minimal r
      "3006020100020101", // r = 0
    };
    for (String hex : bad) {
      SignerException e =
          assertThrows(
              hex, SignerException.class, () -> P256.derToRaw(HexFormat.of().parseHex(hex)));
      assertEquals("keychain_error", e.code());
    }
  }

  @Test
  public void sec1PublicKeyGivesTheJwkAndThumbprintNimbusComputes() throws Exception {
    byte[] sec1 = P256.checkSec1(sec1(X, Y));
    assertEquals(
        "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + X + "\",\"y\":\"" + Y + "\"}",
        PublicJwks.json(KeyAlgorithm.P256, sec1));
    ECKey independent = new ECKey.Builder(Curve.P_256, new Base64URL(X), new Base64URL(Y)).build();
    assertEquals(
        independent.computeThumbprint().toString(), PublicJwks.thumbprint(KeyAlgorithm.P256, sec1));
  }

  @Test
  public void pointsOffTheCurveOrMisencodedAreRefused() {
    byte[] off = sec1(X, Y);
    off[64] ^= 1;
    byte[] compressed = Arrays.copyOf(sec1(X, Y), 33);
    compressed[0] = 2;
    byte[] wrongPrefix = sec1(X, Y);
    wrongPrefix[0] = 3;
    for (byte[] bad : new byte[][] {off, compressed, wrongPrefix, new byte[0], null}) {
      assertEquals(
          "keychain_error", assertThrows(SignerException.class, () -> P256.checkSec1(bad)).code());
    }
  }

  @Test
  public void osStatusMapsToStableCodes() {
    assertEquals("unknown_handle", AppleErrors.map("x", -25300).code());
    assertEquals("keychain_locked", AppleErrors.map("x", -25308).code());
    assertEquals("keychain_locked", AppleErrors.map("x", -128).code());
    assertEquals("secure_enclave_unavailable", AppleErrors.map("x", -34018).code());
    assertEquals("unsupported_algorithm", AppleErrors.map("x", -4).code());
    SignerException other = AppleErrors.map("sign", -67808);
    assertEquals("keychain_error", other.code());
    assertTrue(other.getMessage().contains("-67808"));
  }

  @Test
  public void onlyMacOsEnablesTheSigner() {
    assertTrue(ApplePlatformGate.isMacOs("Mac OS X"));
    assertFalse(ApplePlatformGate.isMacOs("Linux"));
    assertFalse(ApplePlatformGate.isMacOs("Windows 11"));
    assertFalse(ApplePlatformGate.isMacOs(null));
  }

  @Test
  public void handlesOfOtherSignersAreNotOurs() {
    assertTrue(AppleSigner.owned(new KeyHandle("apple", "0b5a7c7e-1", KeyAlgorithm.P256)));
    assertFalse(AppleSigner.owned(new KeyHandle("tpm2", "0b5a7c7e-1", KeyAlgorithm.P256)));
    assertFalse(AppleSigner.owned(new KeyHandle("apple", "0b5a7c7e-1", KeyAlgorithm.ED25519)));
    assertFalse(AppleSigner.owned(new KeyHandle("apple", "../x", KeyAlgorithm.P256)));
    assertFalse(AppleSigner.owned(null));
  }

  @Test
  public void offMacOsTheSignerFailsClosed() {
    Assume.assumeFalse(
        "off-macOS behaviour", ApplePlatformGate.isMacOs(System.getProperty("os.name")));
    AppleSigner signer = new AppleSigner();
    assertFalse(signer.hardwareBacked());
    SignerException e =
        assertThrows(SignerException.class, () -> signer.generate(KeyAlgorithm.P256, "x"));
    assertEquals("backend_unavailable", e.code());
    assertEquals(
        "backend_unavailable",
        assertThrows(
                SignerException.class,
                () -> signer.sign(new KeyHandle("apple", "k", KeyAlgorithm.P256), new byte[] {1}))
            .code());
  }

  /** The real Security framework: runs on macOS only, reported as skipped elsewhere. */
  @Test
  public void macOsKeyRoundTrip() throws Exception {
    Assume.assumeTrue(
        "needs macOS (Secure Enclave or login Keychain)",
        ApplePlatformGate.isMacOs(System.getProperty("os.name")));
    AppleSigner signer = new AppleSigner();
    KeyHandle h = signer.generate(KeyAlgorithm.P256, "test");
    try {
      assertTrue(signer.keys().contains(h));
      byte[] msg = "es256 over this".getBytes(StandardCharsets.UTF_8);
      byte[] sig = signer.sign(h, msg);
      ECKey jwk = ECKey.parse(signer.publicJwk(h));
      Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
      v.initVerify(jwk.toECPublicKey());
      v.update(msg);
      assertTrue(v.verify(sig));
      assertEquals(jwk.computeThumbprint().toString(), signer.thumbprint(h));
      System.out.println("Apple signer hardware-backed: " + signer.hardwareBacked());
    } finally {
      assertTrue(signer.delete(h));
    }
    assertFalse(signer.delete(h));
    assertEquals(
        "unknown_handle",
        assertThrows(SignerException.class, () -> signer.sign(h, new byte[] {1})).code());
  }
}
