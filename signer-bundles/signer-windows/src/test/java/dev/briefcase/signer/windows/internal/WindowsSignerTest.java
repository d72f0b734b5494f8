package dev.briefcase.signer.windows.internal;

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
import java.security.Signature;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.Assume;
import org.junit.Test;

public class WindowsSignerTest {
  // RFC 7515 Appendix A.3 ES256 key as a BCRYPT_ECCPUBLIC_BLOB: "ECS1", cbKey = 32, X, Y
  private static final String BLOB_HEX =
      "4543533120000000"
          + "7fcdce2770f6c45d4183cbee6fdb4b7b580733357be9ef13bacf6e3c7bd15445"
          + "c7f144cd1bbd9b7e872cdfedb9eeb9f4b3695d6ea90b24ad8a4623288588e5ad";
  private static final String X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
  private static final String Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

  @Test
  public void eccPublicBlobVectorGivesTheRfcJwkAndNimbusThumbprint() throws Exception {
    byte[] sec1 = EccPublicBlob.toSec1(HexFormat.of().parseHex(BLOB_HEX));
    assertEquals(
        "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + X + "\",\"y\":\"" + Y + "\"}",
        PublicJwks.json(KeyAlgorithm.P256, sec1));
    ECKey independent = new ECKey.Builder(Curve.P_256, new Base64URL(X), new Base64URL(Y)).build();
    assertEquals(
        independent.computeThumbprint().toString(), PublicJwks.thumbprint(KeyAlgorithm.P256, sec1));
    assertArrayEquals(HexFormat.of().parseHex(BLOB_HEX), EccPublicBlob.fromSec1(sec1));
  }

  @Test
  public void malformedBlobsAreCngErrors() {
    byte[] good = HexFormat.of().parseHex(BLOB_HEX);
    byte[] badMagic = good.clone();
    badMagic[3] = 0x32; // "ECS2": a P-384 public key
    byte[] badLength = good.clone();
    badLength[4] = 48;
    byte[][] bad = {
      null, new byte[0], Arrays.copyOf(good, 71), Arrays.copyOf(good, 73), badMagic, badLength
    };
    for (byte[] b : bad) {
      assertEquals(
          "cng_error", assertThrows(SignerException.class, () -> EccPublicBlob.toSec1(b)).code());
    }
  }

  @Test
  public void securityStatusMapsToStableCodes() {
    assertEquals("unknown_handle", CngErrors.map("x", 0x80090016).code());
    assertEquals("unknown_handle", CngErrors.map("x", 0x80090011).code());
    assertEquals("unsupported_algorithm", CngErrors.map("x", 0x80090029).code());
    assertEquals("access_denied", CngErrors.map("x", 0x80090010).code());
    assertEquals("tpm_unavailable", CngErrors.map("x", 0x80090030).code());
    assertEquals("tpm_error", CngErrors.map("x", 0x80280001).code()); // TPM_E_AUTHFAIL
    assertEquals("tpm_error", CngErrors.map("x", 0x80284001).code()); // TBS_E_INTERNAL_ERROR
    SignerException other = CngErrors.map("sign", 0x80090027);
    assertEquals("cng_error", other.code());
    assertTrue(other.getMessage().contains("0x80090027"));
  }

  @Test
  public void keyNamesMapToIdsAndForeignKeysAreIgnored() {
    assertEquals(
        List.of("0b5a7c7e-aaaa"),
        WindowsCng.keyIds(
            Arrays.asList("briefcase-0b5a7c7e-aaaa", "other-key", "briefcase-../x", null)));
  }

  @Test
  public void onlyWindowsEnablesTheSigner() {
    assertTrue(WindowsPlatformGate.isWindows("Windows 11"));
    assertTrue(WindowsPlatformGate.isWindows("Windows Server 2022"));
    assertFalse(WindowsPlatformGate.isWindows("Linux"));
    assertFalse(WindowsPlatformGate.isWindows("Mac OS X"));
    assertFalse(WindowsPlatformGate.isWindows(null));
  }

  @Test
  public void handlesOfOtherSignersAreNotOurs() {
    assertTrue(WindowsSigner.owned(new KeyHandle("windows", "0b5a7c7e-1", KeyAlgorithm.P256)));
    assertFalse(WindowsSigner.owned(new KeyHandle("apple", "0b5a7c7e-1", KeyAlgorithm.P256)));
    assertFalse(WindowsSigner.owned(new KeyHandle("windows", "k", KeyAlgorithm.ED25519)));
    assertFalse(WindowsSigner.owned(new KeyHandle("windows", "a\\b", KeyAlgorithm.P256)));
  }

  @Test
  public void offWindowsTheSignerFailsClosed() {
    Assume.assumeFalse(
        "off-Windows behaviour", WindowsPlatformGate.isWindows(System.getProperty("os.name")));
    WindowsSigner signer = new WindowsSigner();
    assertFalse(signer.hardwareBacked());
    assertEquals(
        "backend_unavailable",
        assertThrows(SignerException.class, () -> signer.generate(KeyAlgorithm.P256, "x")).code());
    assertEquals(
        "backend_unavailable", assertThrows(SignerException.class, () -> signer.keys()).code());
  }

  /** Real CNG: runs on Windows only, reported as skipped elsewhere. */
  @Test
  public void windowsKeyRoundTrip() throws Exception {
    Assume.assumeTrue(
        "needs Windows (CNG)", WindowsPlatformGate.isWindows(System.getProperty("os.name")));
    WindowsSigner signer = new WindowsSigner();
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
      System.out.println("Windows signer TPM-backed: " + signer.hardwareBacked());
    } finally {
      assertTrue(signer.delete(h));
    }
    assertFalse(signer.delete(h));
    assertEquals(
        "unknown_handle",
        assertThrows(SignerException.class, () -> signer.sign(h, new byte[] {1})).code());
  }
}
