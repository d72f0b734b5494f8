package dev.briefcase.signer.tpm2.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.KeyHandle;
import dev.briefcase.signer.SignerException;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.MemorySecretStore;
import dev.briefcase.testing.Swtpm;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import tss.tpm.TPMA_OBJECT;

/** Against a real swtpm started for this class (see {@link Swtpm}). */
public class Tpm2SignerTest {
  private static final byte[] MSG = "pay 5 EUR to merchant".getBytes(StandardCharsets.UTF_8);

  private static Swtpm tpm;

  private final MemorySecretStore store = new MemorySecretStore();
  private final List<Tpm2Signer> opened = new ArrayList<>();

  @BeforeClass
  public static void startTpm() throws Exception {
    tpm = Swtpm.start();
  }

  @AfterClass
  public static void stopTpm() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
  }

  @After
  public void closeAll() {
    opened.forEach(Tpm2Signer::close);
  }

  private Tpm2Signer signer(Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    values.put("signer_id", "tpm");
    values.put("device", tpm.device());
    values.putAll(overrides);
    Tpm2Signer s = new Tpm2Signer(store, Configs.of(Tpm2Signer.Config.class, values));
    opened.add(s);
    return s;
  }

  private Tpm2Signer signer() {
    return signer(Map.of());
  }

  @Test
  public void p256KeyInTpmSignsVerifiablyAndSurvivesANewInstance() throws Exception {
    Tpm2Signer s = signer();
    assertTrue(s.hardwareBacked());
    KeyHandle h = s.generate(KeyAlgorithm.P256, "pop");
    assertEquals("tpm", h.signerId());
    assertEquals(KeyAlgorithm.P256, h.algorithm());
    assertEquals(List.of(h), s.keys());
    assertEquals(List.of("keys.tpm2.tpm." + h.keyId()), store.ids());

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

    // and by the plain JDK from the JWK's x/y; a different message must fail
    PublicKey pub = jdkKey(json);
    byte[] raw = s.sign(h, MSG);
    assertTrue(verify(pub, MSG, raw));
    assertFalse(verify(pub, "pay 6 EUR".getBytes(StandardCharsets.UTF_8), raw));

    // what the TPM itself says about the loaded key: bound to this TPM, born inside it
    TPMA_OBJECT attrs = s.loadedAttributes(h);
    assertTrue("fixedTPM", attrs.hasAttr(TPMA_OBJECT.fixedTPM));
    assertTrue("fixedParent", attrs.hasAttr(TPMA_OBJECT.fixedParent));
    assertTrue("sensitiveDataOrigin", attrs.hasAttr(TPMA_OBJECT.sensitiveDataOrigin));
    assertTrue("sign", attrs.hasAttr(TPMA_OBJECT.sign));
    assertFalse("decrypt", attrs.hasAttr(TPMA_OBJECT.decrypt));
    assertFalse("restricted", attrs.hasAttr(TPMA_OBJECT.restricted));

    // thumbprint stable across calls, equal to Nimbus's, and after a new signer instance
    String t = s.thumbprint(h);
    assertEquals(t, s.thumbprint(h));
    assertEquals(JWK.parse(json).computeThumbprint().toString(), t);
    s.close();
    Tpm2Signer again = signer();
    assertEquals(t, again.thumbprint(h));
    assertEquals(List.of(h), again.keys());
    assertTrue(verify(pub, MSG, again.sign(h, MSG)));
    assertTrue(again.delete(h));
    assertTrue(store.ids().isEmpty());
  }

  @Test
  public void keysAreDistinctAndNothingStaysLoaded() throws Exception {
    // swtpm has 3 object slots and no resource manager: a leak would fail within a few calls
    Tpm2Signer s = signer();
    List<String> thumbprints = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      KeyHandle h = s.generate(KeyAlgorithm.P256, null);
      assertTrue(verify(jdkKey(s.publicJwk(h)), MSG, s.sign(h, MSG)));
      thumbprints.add(s.thumbprint(h));
    }
    assertEquals(5, thumbprints.stream().distinct().count());
    assertEquals(5, s.keys().size());
  }

  @Test
  public void deleteForgetsTheKeyAndUnknownHandlesAreRejected() throws Exception {
    Tpm2Signer s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.P256, null);
    expectCode(
        "unknown_handle", () -> s.sign(new KeyHandle("tpm", uuid(), KeyAlgorithm.P256), MSG));
    expectCode(
        "unknown_handle", () -> s.publicJwk(new KeyHandle("tpm", "../x", KeyAlgorithm.P256)));
    expectCode(
        "unknown_handle", () -> s.sign(new KeyHandle("other", h.keyId(), KeyAlgorithm.P256), MSG));
    expectCode(
        "unknown_handle", () -> s.sign(new KeyHandle("tpm", h.keyId(), KeyAlgorithm.ED25519), MSG));
    assertFalse(s.delete(new KeyHandle("tpm", uuid(), KeyAlgorithm.P256)));
    assertEquals(1, store.ids().size());

    assertTrue(s.delete(h));
    assertFalse(s.delete(h));
    assertTrue(s.keys().isEmpty());
    expectCode("unknown_handle", () -> s.sign(h, MSG));
    expectCode("unknown_handle", () -> s.publicJwk(h));
  }

  @Test
  public void ed25519IsUnsupported() {
    Tpm2Signer s = signer();
    expectCode("unsupported_algorithm", () -> s.generate(KeyAlgorithm.ED25519, null));
    expectCode("unsupported_algorithm", () -> s.generate(null, null));
    assertTrue(store.ids().isEmpty());
  }

  @Test
  public void unreachableTpmFailsClearlyAndCreatesNothing() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      closedPort = probe.getLocalPort();
    }
    Tpm2Signer s = signer(Map.of("device", "tcp:127.0.0.1:" + closedPort));
    long t0 = System.nanoTime();
    expectCode("tpm_unreachable", () -> s.generate(KeyAlgorithm.P256, null));
    System.out.printf("TPM unreachable reported after %.1f ms%n", (System.nanoTime() - t0) / 1e6);
    assertTrue(store.ids().isEmpty());

    // a key made on the live TPM is known, but cannot be used while the TPM is away
    KeyHandle h = signer().generate(KeyAlgorithm.P256, null);
    expectCode("tpm_unreachable", () -> s.sign(h, MSG));
    // public data needs no TPM
    assertEquals(signer().publicJwk(h), s.publicJwk(h));

    expectCode(
        "tpm_unreachable",
        () -> signer(Map.of("device", "/nonexistent/tpmrm0")).generate(KeyAlgorithm.P256, null));
    expectCode(
        "invalid_config",
        () -> signer(Map.of("device", "tcp:nohost")).generate(KeyAlgorithm.P256, null));
    expectCode("invalid_config", () -> signer(Map.of("signer_id", "a.b")).keys());
    assertEquals(1, store.ids().size());
  }

  @Test
  public void aBlobIsUselessOnAnotherTpm() throws Exception {
    KeyHandle h = signer().generate(KeyAlgorithm.P256, null);
    try (Swtpm other = Swtpm.start()) {
      Tpm2Signer elsewhere = signer(Map.of("device", other.device()));
      // the other TPM's owner seed derives a different storage key: the private blob will not load
      expectCode("tpm_error", () -> elsewhere.sign(h, MSG));
      elsewhere.close();
    }
    assertTrue(verify(jdkKey(signer().publicJwk(h)), MSG, signer().sign(h, MSG)));
  }

  @Test
  public void corruptBlobIsReported() throws Exception {
    Tpm2Signer s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.P256, null);
    String id = "keys.tpm2.tpm." + h.keyId();
    byte[] blob = store.values.get(id);
    store.values.put(id, Arrays.copyOf(blob, blob.length - 3));
    expectCode("key_corrupt", () -> s.sign(h, MSG));
    byte[] flipped = blob.clone();
    flipped[flipped.length - 5] ^= 1; // inside the TPM-sealed private area
    store.values.put(id, flipped);
    expectCode("tpm_error", () -> s.sign(h, MSG));
    store.values.put(id, blob);
    assertTrue(verify(jdkKey(s.publicJwk(h)), MSG, s.sign(h, MSG)));
  }

  @Test
  public void stoppedSignerFailsFast() throws Exception {
    Tpm2Signer s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.P256, null);
    s.close();
    expectCode("backend_unavailable", () -> s.sign(h, MSG));
    expectCode("backend_unavailable", () -> s.publicJwk(h));
    expectCode("backend_unavailable", () -> s.keys());
    expectCode("backend_unavailable", () -> s.generate(KeyAlgorithm.P256, null));
    expectCode("backend_unavailable", () -> s.delete(h));
    assertTrue(signer().delete(h));
  }

  @Test
  public void signRateAgainstSwtpm() throws Exception {
    Tpm2Signer s = signer();
    KeyHandle h = s.generate(KeyAlgorithm.P256, null);
    PublicKey pub = jdkKey(s.publicJwk(h));
    for (int i = 0; i < 10; i++) {
      s.sign(h, MSG); // warm-up
    }
    int n = 200;
    long[] nanos = new long[n];
    byte[] last = null;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      last = s.sign(h, MSG);
      nanos[i] = System.nanoTime() - t;
    }
    long total = System.nanoTime() - start;
    Arrays.sort(nanos);
    System.out.printf(
        "TPM2 sign (CreatePrimary+Load+Sign+2xFlush) against swtpm: %d signs, %.0f/s,"
            + " p50 %.2f ms, p99 %.2f ms%n",
        n, n / (total / 1e9), nanos[n / 2] / 1e6, nanos[(int) (n * 0.99) - 1] / 1e6);
    assertTrue(verify(pub, MSG, last));
  }

  // --- helpers

  private interface Call {
    Object run() throws SignerException;
  }

  private static void expectCode(String code, Call call) {
    try {
      call.run();
      fail("expected " + code);
    } catch (SignerException e) {
      assertEquals(e.getMessage(), code, e.code());
      assertNotEquals("", e.getMessage());
    }
  }

  /** The JWK's x/y as a JDK public key, without any JOSE library. */
  private static PublicKey jdkKey(String json) throws Exception {
    ECKey jwk = ECKey.parse(json);
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec("secp256r1"));
    ECPoint w =
        new ECPoint(new BigInteger(1, jwk.getX().decode()), new BigInteger(1, jwk.getY().decode()));
    return KeyFactory.getInstance("EC")
        .generatePublic(new ECPublicKeySpec(w, params.getParameterSpec(ECParameterSpec.class)));
  }

  private static boolean verify(PublicKey key, byte[] message, byte[] rawSig) throws Exception {
    Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
    v.initVerify(key);
    v.update(message);
    return v.verify(rawSig);
  }

  private static String uuid() {
    return UUID.randomUUID().toString();
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
