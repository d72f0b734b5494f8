package dev.briefcase.vc;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.HexFormat;
import org.junit.Test;

public class DidKeyTest {
  // RFC 8032 §7.1 test 1 public key; the did:key computed with multiformats' base58btc
  private static final String RFC8032_PUB =
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  private static final String RFC8032_DID =
      "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";
  // examples of the W3C CCG did:key specification
  private static final String SPEC_ED25519 =
      "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
  private static final String SPEC_ED25519_2 =
      "did:key:z6Mkf5rGMoatrSj1f4CyvuHBeXJELe9RPdzo2PKGNCKVtZxP";
  private static final String SPEC_P256 =
      "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv";
  private static final String SPEC_X25519 =
      "did:key:z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p";

  @Test
  public void ed25519KeyToDidAndBack() throws Exception {
    DidKey key = DidKey.ed25519(HexFormat.of().parseHex(RFC8032_PUB));
    assertEquals(RFC8032_DID, key.did());
    assertEquals(
        RFC8032_DID + "#z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw",
        key.verificationMethod());
    DidKey parsed = DidKey.parse(RFC8032_DID);
    assertEquals(DidKey.KeyType.ED25519, parsed.type());
    assertArrayEquals(HexFormat.of().parseHex(RFC8032_PUB), parsed.publicKey());
    assertEquals(key, DidKey.parseVerificationMethod(key.verificationMethod()));
  }

  @Test
  public void specExamplesRoundTrip() throws Exception {
    for (String did : new String[] {SPEC_ED25519, SPEC_ED25519_2}) {
      DidKey key = DidKey.parse(did);
      assertEquals(DidKey.KeyType.ED25519, key.type());
      assertEquals(32, key.publicKey().length);
      assertEquals(did, DidKey.ed25519(key.publicKey()).did());
    }
    DidKey p256 = DidKey.parse(SPEC_P256);
    assertEquals(DidKey.KeyType.P256, p256.type());
    assertEquals(33, p256.publicKey().length);
    assertEquals(SPEC_P256, DidKey.p256(p256.publicKey()).did());
    assertEquals("ES256", p256.type().jwsAlgorithm());
  }

  @Test
  public void uncompressedP256KeysAreCompressed() throws Exception {
    TestKeys.P256 k = new TestKeys.P256();
    assertEquals(33, k.did.publicKey().length);
    assertEquals(k.did, DidKey.parse(k.did.did()));
    assertEquals(k.did.did(), DidKey.p256(k.did.publicKey()).did());
  }

  @Test
  public void malformedDidsAreInvalid() {
    String[] bad = {
      null,
      "",
      "did:web:example.com",
      "did:key:",
      "did:key:z",
      "DID:key:" + SPEC_ED25519.substring(8),
      "did:key:" + "u" + SPEC_ED25519.substring(9), // another multibase
      SPEC_ED25519 + "0", // 0 is not base58
      SPEC_ED25519.replace('L', 'l'), // l is not base58
      SPEC_ED25519 + "#" + SPEC_ED25519.substring(8), // a DID URL, not a DID
      SPEC_ED25519.substring(0, SPEC_ED25519.length() - 1), // 31 bytes
      SPEC_ED25519 + "2", // 33 bytes
      SPEC_X25519, // x25519-pub multicodec
      "did:key:z1" + SPEC_ED25519.substring(9), // a leading zero byte: not canonical
      "did:key:z" + Base58.encode(new byte[] {(byte) 0xe7, 0x01, 2, 3}), // secp256k1 codec, short
      "did:key:z" + "2".repeat(200),
    };
    for (String did : bad) {
      VcException e = assertThrows(VcException.class, () -> DidKey.parse(did));
      assertEquals(did, "invalid_did", e.code());
    }
  }

  @Test
  public void p256PointOffTheCurveIsInvalid() {
    byte[] codec = {(byte) 0x80, 0x24};
    byte[] point = new byte[35];
    System.arraycopy(codec, 0, point, 0, 2);
    point[2] = 0x02;
    java.util.Arrays.fill(point, 3, 35, (byte) 0xff); // x >= p
    String did = "did:key:z" + Base58.encode(point);
    assertEquals("invalid_did", assertThrows(VcException.class, () -> DidKey.parse(did)).code());
  }

  @Test
  public void ed25519KeysOffTheCurveOrOfSmallOrderAreInvalid() {
    byte[] identity = new byte[32];
    identity[0] = 1; // the neutral point, order 1
    byte[] offCurve = new byte[32];
    offCurve[0] = 2;
    for (byte[] k : new byte[][] {new byte[32], identity, offCurve}) {
      assertEquals("invalid_did", assertThrows(VcException.class, () -> DidKey.ed25519(k)).code());
      byte[] multicodec = new byte[34];
      multicodec[0] = (byte) 0xed;
      multicodec[1] = 0x01;
      System.arraycopy(k, 0, multicodec, 2, 32);
      String did = "did:key:z" + Base58.encode(multicodec);
      assertEquals("invalid_did", assertThrows(VcException.class, () -> DidKey.parse(did)).code());
    }
  }

  @Test
  public void publicJwksOfTheKeyDirectoryGiveTheirDidKey() throws Exception {
    String x =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(HexFormat.of().parseHex(RFC8032_PUB));
    assertEquals(
        RFC8032_DID,
        DidKey.fromPublicJwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\"}").did());
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.interfaces.ECPublicKey pub =
        (java.security.interfaces.ECPublicKey) g.generateKeyPair().getPublic();
    String jwk =
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
            + coordinate(pub.getW().getAffineX())
            + "\",\"y\":\""
            + coordinate(pub.getW().getAffineY())
            + "\"}";
    DidKey p256 = DidKey.fromPublicJwk(jwk);
    assertEquals(DidKey.KeyType.P256, p256.type());
    assertEquals(pub, p256.ecPublicKey());
    String[] bad = {
      null,
      "[]",
      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\",\"d\":\"" + x + "\"}",
      "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" + x + "\"}",
      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x.substring(2) + "\"}",
      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "==\"}",
      "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
      jwk.replace("P-256", "P-384"),
    };
    for (String b : bad) {
      assertEquals(
          String.valueOf(b),
          "invalid_did",
          assertThrows(VcException.class, () -> DidKey.fromPublicJwk(b)).code());
    }
  }

  private static String coordinate(java.math.BigInteger v) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - n, out, 32 - n, n);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(out);
  }

  @Test
  public void verificationMethodMustNameItsOwnKey() throws Exception {
    String vm = SPEC_ED25519 + "#" + SPEC_ED25519_2.substring(8);
    assertEquals(
        "invalid_did",
        assertThrows(VcException.class, () -> DidKey.parseVerificationMethod(vm)).code());
    assertEquals(
        "invalid_did",
        assertThrows(VcException.class, () -> DidKey.parseVerificationMethod(SPEC_ED25519)).code());
    assertEquals(
        "invalid_did", assertThrows(VcException.class, () -> DidKey.ed25519(new byte[31])).code());
  }
}
