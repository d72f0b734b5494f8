package dev.briefcase.signer.software.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.PublicJwks;
import dev.briefcase.signer.SignerException;
import dev.briefcase.testing.MemorySecretStore;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.Test;

public class SoftwareSignerTest {
  private static final byte[] MSG = "pay 5 EUR to merchant".getBytes(StandardCharsets.UTF_8);

  private final MemorySecretStore store = new MemorySecretStore();

  private SoftwareSigner signer(Map<String, String> props) {
    return new SoftwareSigner(store, props::get);
  }

  private SoftwareSigner signer() {
    return signer(Map.of());
  }

  @Test
  public void ed25519SignatureVerifiesIndependently() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.ED25519, "identity");
    assertEquals("software", h.signerId());
    assertEquals(KeyAlgorithm.ED25519, h.algorithm());

    OctetKeyPair jwk = OctetKeyPair.parse(s.publicJwk(h));
    assertEquals("OKP", jwk.getKeyType().getValue());
    assertEquals("Ed25519", jwk.getCurve().getName());
    assertFalse(jwk.isPrivate());

    byte[] sig = s.sign(h, MSG);
    assertEquals(64, sig.length);
    assertTrue(bcVerify(jwk.getDecodedX(), MSG, sig));
    assertFalse(bcVerify(jwk.getDecodedX(), "pay 6 EUR".getBytes(StandardCharsets.UTF_8), sig));
  }

  @Test
  public void p256SignatureVerifiesWithNimbusAndJdk() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.P256, "pop");
    ECKey jwk = ECKey.parse(s.publicJwk(h));
    assertEquals("P-256", jwk.getCurve().getName());
    assertFalse(jwk.isPrivate());
    assertEquals(32, jwk.getX().decode().length);
    assertEquals(32, jwk.getY().decode().length);

    // a compact JWS signed through the handle, verified by Nimbus from the published JWK
    String header = b64("{\"alg\":\"ES256\"}".getBytes(StandardCharsets.UTF_8));
    String payload = b64(MSG);
    byte[] sig = s.sign(h, (header + "." + payload).getBytes(StandardCharsets.US_ASCII));
    assertEquals(64, sig.length);
    JWSObject jws = JWSObject.parse(header + "." + payload + "." + b64(sig));
    assertTrue(jws.verify(new ECDSAVerifier(jwk)));

    // and by the JDK over the raw message
    byte[] raw = s.sign(h, MSG);
    Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
    v.initVerify(jwk.toECPublicKey());
    v.update(MSG);
    assertTrue(v.verify(raw));
    v.initVerify(jwk.toECPublicKey());
    v.update("other".getBytes(StandardCharsets.UTF_8));
    assertFalse(v.verify(raw));
  }

  @Test
  public void thumbprintsAreStableAndMatchNimbus() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle ed = s.generate(KeyAlgorithm.ED25519, null);
    KeyHandle ec = s.generate(KeyAlgorithm.P256, null);
    for (KeyHandle h : List.of(ed, ec)) {
      String t1 = s.thumbprint(h);
      assertEquals(t1, s.thumbprint(h));
      assertEquals(JWK.parse(s.publicJwk(h)).computeThumbprint().toString(), t1);
      // a new instance over the same store sees the same key
      SoftwareSigner again = signer();
      assertEquals(t1, again.thumbprint(h));
      assertEquals(s.publicJwk(h), again.publicJwk(h));
    }
    assertNotEquals(s.thumbprint(ed), s.thumbprint(ec));
  }

  @Test
  public void keysSurviveARestartAndStillSign() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.ED25519, "x");
    s.close();
    SoftwareSigner again = signer();
    assertEquals(List.of(h), again.keys());
    byte[] sig = again.sign(h, MSG);
    assertTrue(bcVerify(OctetKeyPair.parse(again.publicJwk(h)).getDecodedX(), MSG, sig));
  }

  @Test
  public void privateKeyIsStoredUnderItsIdAndNeverPrinted() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle ed = s.generate(KeyAlgorithm.ED25519, "identity");
    KeyHandle ec = s.generate(KeyAlgorithm.P256, "pop");
    assertTrue(store.values.containsKey("signer.software.index"));
    for (KeyHandle h : List.of(ed, ec)) {
      byte[] pkcs8 = store.values.get("signer.software." + h.keyId());
      assertTrue("PKCS#8 stored", pkcs8 != null && pkcs8.length > 32);
      // the last 32 bytes of both PKCS#8 encodings are the private scalar / seed
      byte[] secret = Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length);
      if (h.algorithm() == KeyAlgorithm.P256) {
        // SunEC puts the scalar inside an ECPrivateKey SEQUENCE; find it by its OCTET STRING tag
        secret = ecScalar(pkcs8);
      }
      String jwk = s.publicJwk(h);
      assertFalse(jwk.contains("\"d\""));
      for (String shown :
          List.of(jwk, s.toString(), h.toString(), s.keys().toString(), store.values.toString())) {
        assertFalse(shown.contains(b64(secret)));
        assertFalse(shown.contains(Base64.getEncoder().encodeToString(secret)));
        assertFalse(shown.contains(HexFormat.of().formatHex(secret)));
      }
      // the index holds public data only
      String index = new String(store.values.get("signer.software.index"), StandardCharsets.UTF_8);
      assertFalse(index.contains(b64(secret)));
    }
  }

  @Test
  public void deleteRemovesKeyMaterialAndHandle() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle keep = s.generate(KeyAlgorithm.P256, "keep");
    KeyHandle h = s.generate(KeyAlgorithm.ED25519, "gone");
    assertEquals(2, s.keys().size());
    assertTrue(s.delete(h));
    assertFalse(store.values.containsKey("signer.software." + h.keyId()));
    assertEquals(List.of(keep), s.keys());
    assertFalse(s.delete(h));
    expectCode("unknown_handle", () -> s.sign(h, MSG));
    assertEquals(List.of(keep), signer().keys());
  }

  @Test
  public void unknownHandlesAreRejected() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle real = s.generate(KeyAlgorithm.P256, null);
    expectCode(
        "unknown_handle",
        () ->
            s.sign(
                new KeyHandle("software", UUID.randomUUID().toString(), KeyAlgorithm.P256), MSG));
    expectCode(
        "unknown_handle",
        () -> s.sign(new KeyHandle("pkcs11", real.keyId(), KeyAlgorithm.P256), MSG));
    expectCode(
        "unknown_handle",
        () -> s.publicJwk(new KeyHandle("software", real.keyId(), KeyAlgorithm.ED25519)));
  }

  @Test
  public void failedIndexWriteLeavesNoKeyMaterial() throws Exception {
    SoftwareSigner s = signer();
    s.generate(KeyAlgorithm.ED25519, null);
    Map<String, byte[]> before = Map.copyOf(store.values);
    store.failPutFor = "signer.software.index";
    expectCode("backend_unavailable", () -> s.generate(KeyAlgorithm.P256, null));
    assertEquals(before.keySet(), store.values.keySet());
    assertEquals(1, s.keys().size());
  }

  @Test
  public void stoppedSignerFailsFast() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.ED25519, null);
    s.close();
    expectCode("backend_unavailable", () -> s.sign(h, MSG));
    expectCode("backend_unavailable", () -> s.keys());
    expectCode("backend_unavailable", () -> s.generate(KeyAlgorithm.P256, null));
    assertFalse(s.hardwareBacked());
  }

  @Test
  public void gaProfileRefusesSoftwareKeysUnlessAllowed() throws Exception {
    try {
      signer(Map.of("briefcase.profile.mode", "ga"));
      fail("activated in ga without opt-in");
    } catch (IllegalStateException e) {
      assertTrue(e.getMessage().contains("briefcase.allow.software.keys"));
    }
    try {
      signer(Map.of("briefcase.profile.mode", "ga", "briefcase.allow.software.keys", "false"));
      fail("activated in ga with opt-in false");
    } catch (IllegalStateException expected) {
      // refused
    }
    assertTrue(store.values.isEmpty());
    SoftwareSigner allowed =
        signer(Map.of("briefcase.profile.mode", "ga", "briefcase.allow.software.keys", "true"));
    assertEquals(KeyAlgorithm.P256, allowed.generate(KeyAlgorithm.P256, null).algorithm());
    signer(Map.of("briefcase.profile.mode", "GA", "briefcase.allow.software.keys", "1"));
    signer(Map.of("briefcase.profile.mode", "staging"));
  }

  @Test
  public void corruptIndexFailsClosed() throws Exception {
    store.values.put("signer.software.index", "garbage\n".getBytes(StandardCharsets.UTF_8));
    expectCode("key_corrupt", () -> signer().keys());
  }

  private interface Call {
    Object run() throws SignerException;
  }

  private static void expectCode(String code, Call call) {
    try {
      call.run();
      fail("expected " + code);
    } catch (SignerException e) {
      assertEquals(code, e.code());
      assertFalse(e.getMessage().isEmpty());
    }
  }

  private static boolean bcVerify(byte[] publicKey, byte[] message, byte[] sig) {
    Ed25519Signer v = new Ed25519Signer();
    v.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
    v.update(message, 0, message.length);
    return v.verifySignature(sig);
  }

  /** The private scalar of a SunEC PKCS#8 P-256 key: the OCTET STRING (04 20) inside. */
  private static byte[] ecScalar(byte[] pkcs8) {
    for (int i = 0; i + 34 <= pkcs8.length; i++) {
      // ECPrivateKey ::= SEQUENCE { version INTEGER 1, privateKey OCTET STRING (32), ... }
      if (pkcs8[i] == 0x02
          && pkcs8[i + 1] == 0x01
          && pkcs8[i + 2] == 0x01
          && pkcs8[i + 3] == 0x04
          && pkcs8[i + 4] == 0x20) {
        return Arrays.copyOfRange(pkcs8, i + 5, i + 37);
      }
    }
    throw new AssertionError("no EC scalar in PKCS#8");
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Test
  public void ecScalarHelperFindsTheKey() throws Exception {
    SoftwareSigner s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.P256, null);
    byte[] pkcs8 = store.values.get("signer.software." + h.keyId());
    assertArrayEquals(
        Arrays.copyOfRange(ecScalar(pkcs8), 0, 32),
        PublicJwks.fixed(
            ((java.security.interfaces.ECPrivateKey)
                    java.security.KeyFactory.getInstance("EC")
                        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8)))
                .getS(),
            32));
  }
}
