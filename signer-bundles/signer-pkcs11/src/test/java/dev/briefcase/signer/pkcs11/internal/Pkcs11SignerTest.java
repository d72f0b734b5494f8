package dev.briefcase.signer.pkcs11.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.SignerException;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.MemorySecretStore;
import dev.briefcase.testing.SoftHsmToken;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

/** Against a real SoftHSM2 token created for the test run (see {@link SoftHsmToken}). */
public class Pkcs11SignerTest {
  private static final byte[] MSG = "pay 5 EUR to merchant".getBytes(StandardCharsets.UTF_8);

  private final MemorySecretStore store = new MemorySecretStore();
  private final List<Pkcs11Signer> opened = new ArrayList<>();

  private static SoftHsmToken token;

  @BeforeClass
  public static void token() throws Exception {
    token = SoftHsmToken.createAtEnvironmentConf("briefcase-test", "5678");
  }

  @Before
  public void pin() {
    store.put("signer.pkcs11.pin", Sensitive.of(token.pin.getBytes(StandardCharsets.UTF_8)));
  }

  @After
  public void closeAll() {
    opened.forEach(Pkcs11Signer::close);
  }

  private Pkcs11Signer signer(Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    values.put("signer_id", "hsm");
    values.put("module_path", SoftHsmToken.MODULE);
    values.put("token_label", token.label);
    values.put("pin_secret_id", "signer.pkcs11.pin");
    values.putAll(overrides);
    Pkcs11Signer s = new Pkcs11Signer(store, Configs.of(Pkcs11Signer.Config.class, values));
    opened.add(s);
    return s;
  }

  private Pkcs11Signer signer() {
    return signer(Map.of());
  }

  /** Objects on the token, counted through a fresh logged-in session (then closed). */
  private int objectCount() throws SignerException {
    Pkcs11Signer s = signer();
    try {
      return s.token().objectCount();
    } finally {
      s.close();
    }
  }

  @Test
  public void p256KeyOnTokenSignsVerifiablyAndIsNonExtractable() throws Exception {
    Pkcs11Signer s = signer();
    assertTrue(s.hardwareBacked());
    int before = s.token().objectCount();
    KeyHandle h = s.generate(KeyAlgorithm.P256, "pop");
    assertEquals("hsm", h.signerId());
    assertEquals(before + 2, s.token().objectCount());
    assertTrue(s.keys().contains(h));

    String json = s.publicJwk(h);
    ECKey jwk = ECKey.parse(json);
    assertEquals("P-256", jwk.getCurve().getName());
    assertFalse(jwk.isPrivate());
    assertFalse(json.contains("\"d\""));

    // a compact JWS signed through the handle, verified by Nimbus from the published JWK
    String header = b64("{\"alg\":\"ES256\"}".getBytes(StandardCharsets.UTF_8));
    String payload = b64(MSG);
    byte[] sig = s.sign(h, (header + "." + payload).getBytes(StandardCharsets.US_ASCII));
    assertEquals(64, sig.length);
    assertTrue(
        JWSObject.parse(header + "." + payload + "." + b64(sig)).verify(new ECDSAVerifier(jwk)));

    // and by the JDK over the raw message; a different message must fail
    byte[] raw = s.sign(h, MSG);
    Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
    v.initVerify(jwk.toECPublicKey());
    v.update(MSG);
    assertTrue(v.verify(raw));
    v.initVerify(jwk.toECPublicKey());
    v.update("pay 6 EUR".getBytes(StandardCharsets.UTF_8));
    assertFalse(v.verify(raw));

    // private key attributes read back from the token
    boolean[] attrs = s.token().sensitiveAndExtractable(s.token().find(h.keyId()));
    assertTrue("CKA_SENSITIVE", attrs[0]);
    assertFalse("CKA_EXTRACTABLE", attrs[1]);

    // thumbprint stable across calls, equal to Nimbus's, and after reopening the token
    String t = s.thumbprint(h);
    assertEquals(t, s.thumbprint(h));
    assertEquals(JWK.parse(json).computeThumbprint().toString(), t);
    s.close();
    Pkcs11Signer again = signer();
    assertEquals(t, again.thumbprint(h));
    assertTrue(again.keys().contains(h));
    assertTrue(again.delete(h));
  }

  @Test
  public void deleteDestroysBothObjects() throws Exception {
    Pkcs11Signer s = signer();
    int before = s.token().objectCount();
    KeyHandle h = s.generate(KeyAlgorithm.P256, null);
    assertTrue(s.delete(h));
    assertEquals(before, s.token().objectCount());
    assertFalse(s.keys().contains(h));
    assertFalse(s.delete(h));
    expectCode("unknown_handle", () -> s.sign(h, MSG));
  }

  @Test
  public void wrongPinIsReportedAndChangesNothing() throws Exception {
    int before = objectCount();
    store.put("signer.pkcs11.pin", Sensitive.of("0000".getBytes(StandardCharsets.UTF_8)));
    Pkcs11Signer bad = signer();
    expectCode("wrong_pin", () -> bad.generate(KeyAlgorithm.P256, null));
    expectCode("wrong_pin", () -> bad.keys());
    expectCode("wrong_pin", () -> bad.sign(new KeyHandle("hsm", uuid(), KeyAlgorithm.P256), MSG));
    bad.close();
    pin();
    assertEquals(before, objectCount());
  }

  @Test
  public void missingModuleIsReported() {
    Pkcs11Signer s = signer(Map.of("module_path", "/nonexistent/libpkcs11.so"));
    expectCode("module_not_found", () -> s.keys());
    Pkcs11Signer notAModule = signer(Map.of("module_path", "/etc/hostname"));
    expectCode("module_not_found", () -> notAModule.generate(KeyAlgorithm.P256, null));
    Pkcs11Signer empty = signer(Map.of("module_path", ""));
    expectCode("module_not_found", () -> empty.keys());
  }

  @Test
  public void missingTokenAndMissingPinAreReported() throws Exception {
    expectCode("token_not_found", () -> signer(Map.of("token_label", "no-such-token")).keys());
    expectCode("pin_missing", () -> signer(Map.of("pin_secret_id", "nothing.here")).keys());
  }

  @Test
  public void unknownHandlesAreRejectedWithoutChanges() throws Exception {
    Pkcs11Signer s = signer();
    KeyHandle real = s.generate(KeyAlgorithm.P256, null);
    int before = s.token().objectCount();
    expectCode(
        "unknown_handle", () -> s.sign(new KeyHandle("hsm", uuid(), KeyAlgorithm.P256), MSG));
    expectCode(
        "unknown_handle", () -> s.publicJwk(new KeyHandle("hsm", "../x", KeyAlgorithm.P256)));
    expectCode(
        "unknown_handle",
        () -> s.sign(new KeyHandle("other", real.keyId(), KeyAlgorithm.P256), MSG));
    expectCode(
        "unknown_handle",
        () -> s.sign(new KeyHandle("hsm", real.keyId(), KeyAlgorithm.ED25519), MSG));
    assertFalse(s.delete(new KeyHandle("hsm", uuid(), KeyAlgorithm.P256)));
    assertEquals(before, s.token().objectCount());
    assertTrue(s.delete(real));
  }

  @Test
  public void ed25519WhenTheTokenSupportsEddsa() throws Exception {
    Pkcs11Signer s = signer();
    int before = s.token().objectCount();
    if (!s.token().supports(KeyAlgorithm.ED25519)) {
      expectCode("unsupported_algorithm", () -> s.generate(KeyAlgorithm.ED25519, null));
      assertEquals(before, s.token().objectCount());
      return;
    }
    KeyHandle h = s.generate(KeyAlgorithm.ED25519, "identity");
    OctetKeyPair jwk = OctetKeyPair.parse(s.publicJwk(h));
    assertEquals("Ed25519", jwk.getCurve().getName());
    byte[] sig = s.sign(h, MSG);
    assertEquals(64, sig.length);
    PublicKey pub =
        KeyFactory.getInstance("Ed25519")
            .generatePublic(
                new X509EncodedKeySpec(
                    concat(
                        HexFormat.of().parseHex("302a300506032b6570032100"), jwk.getDecodedX())));
    Signature v = Signature.getInstance("Ed25519");
    v.initVerify(pub);
    v.update(MSG);
    assertTrue(v.verify(sig));
    assertEquals(JWK.parse(s.publicJwk(h)).computeThumbprint().toString(), s.thumbprint(h));
    boolean[] attrs = s.token().sensitiveAndExtractable(s.token().find(h.keyId()));
    assertTrue(attrs[0]);
    assertFalse(attrs[1]);
    assertTrue(s.delete(h));
    assertEquals(before, s.token().objectCount());
  }

  @Test
  public void stoppedSignerFailsFast() throws Exception {
    Pkcs11Signer s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.P256, null);
    s.close();
    expectCode("backend_unavailable", () -> s.sign(h, MSG));
    expectCode("backend_unavailable", () -> s.keys());
    expectCode("backend_unavailable", () -> s.generate(KeyAlgorithm.P256, null));
    assertTrue(signer().delete(h));
  }

  @Test
  public void derSignaturesAreConvertedToRaw() throws Exception {
    byte[] r = new byte[32];
    byte[] s = new byte[32];
    r[0] = (byte) 0x80; // needs a leading zero in DER
    r[31] = 1;
    s[31] = 2; // short in DER
    byte[] der =
        concat(
            HexFormat.of().parseHex("3026022100"),
            concat(r, concat(HexFormat.of().parseHex("0201"), new byte[] {2})));
    assertArrayEquals(concat(r, s), Ecdsa.toRaw(der));
    try {
      Ecdsa.toRaw(new byte[] {0x30, 0x01, 0x02});
      fail("accepted a malformed signature");
    } catch (SignerException e) {
      assertEquals("token_error", e.code());
    }
  }

  private interface Call {
    Object run() throws SignerException;
  }

  private static void expectCode(String code, Call call) {
    try {
      call.run();
      fail("expected " + code);
    } catch (SignerException e) {
      assertEquals(e.getMessage(), code, e.code());
      assertFalse(e.getMessage().contains(token.pin));
    }
  }

  private static String uuid() {
    return UUID.randomUUID().toString();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
