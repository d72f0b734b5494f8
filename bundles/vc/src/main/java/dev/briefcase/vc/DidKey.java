package dev.briefcase.vc;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A {@code did:key} (W3C CCG did:key method): a public key as multibase base58btc ({@code z}) of
 * its multicodec prefix and bytes. Ed25519 ({@code ed25519-pub}, 0xED as varint {@code 0xed 0x01},
 * 32 bytes, {@code did:key:z6Mk…}) is the identity key of SPEC §12; P-256 ({@code p256-pub}, 0x1200
 * as varint {@code 0x80 0x24}, 33-byte compressed point, {@code did:key:zDn…}) is accepted so an
 * ES256 issuer can be named too. Parsing is strict: another method, a fragment or path, bad base58,
 * another multicodec, a wrong length or a point off the curve are all {@code invalid_did}.
 *
 * <p>Immutable and thread-safe.
 */
public final class DidKey {
  /** The key types a did:key may hold here. */
  public enum KeyType {
    /** Ed25519, JWS alg {@code EdDSA}. */
    ED25519("EdDSA"),
    /** NIST P-256, JWS alg {@code ES256}. */
    P256("ES256");

    private final String jwsAlgorithm;

    KeyType(String jwsAlgorithm) {
      this.jwsAlgorithm = jwsAlgorithm;
    }

    /** The JWS {@code alg} of signatures by this key type. */
    public String jwsAlgorithm() {
      return jwsAlgorithm;
    }
  }

  private static final String PREFIX = "did:key:";
  private static final int MAX_DID_LENGTH = 128;
  private static final byte[] ED25519_CODEC = {(byte) 0xed, 0x01};
  private static final byte[] P256_CODEC = {(byte) 0x80, 0x24};
  private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");

  private final KeyType type;
  private final byte[] publicKey;
  private final String multibase;

  private DidKey(KeyType type, byte[] publicKey) {
    this.type = type;
    this.publicKey = publicKey;
    byte[] codec = type == KeyType.ED25519 ? ED25519_CODEC : P256_CODEC;
    byte[] all = new byte[codec.length + publicKey.length];
    System.arraycopy(codec, 0, all, 0, codec.length);
    System.arraycopy(publicKey, 0, all, codec.length, publicKey.length);
    this.multibase = "z" + Base58.encode(all);
  }

  /** The did:key of a raw 32-byte Ed25519 public key. */
  public static DidKey ed25519(byte[] publicKey) throws VcException {
    if (publicKey == null || publicKey.length != 32) {
      throw new VcException("invalid_did", "an Ed25519 public key has 32 bytes");
    }
    return new DidKey(KeyType.ED25519, checkedEd25519(publicKey.clone()));
  }

  /** The did:key of a SEC1 P-256 public key (33-byte compressed or 65-byte uncompressed). */
  public static DidKey p256(byte[] sec1) throws VcException {
    if (sec1 == null || (sec1.length != 33 && sec1.length != 65)) {
      throw new VcException("invalid_did", "a P-256 public key is a 33 or 65 byte SEC1 point");
    }
    return new DidKey(KeyType.P256, compressed(sec1));
  }

  /**
   * The did:key of a public JWK as JSON ({@code KeyInfo.publicJwk()} of the key directory): OKP
   * Ed25519 with {@code x}, or EC P-256 with {@code x} and {@code y}.
   *
   * @throws VcException {@code invalid_did} for another key type, bad members, or a JWK that holds
   *     a private member ({@code d}: refused, never read)
   */
  public static DidKey fromPublicJwk(String jwk) throws VcException {
    JsonNode node;
    try {
      node = jwk == null ? null : Jose.JSON.readTree(jwk);
    } catch (java.io.IOException e) {
      node = null;
    }
    if (node == null || !node.isObject()) {
      throw new VcException("invalid_did", "not a JWK");
    }
    if (node.has("d") || node.has("p") || node.has("k")) {
      throw new VcException("invalid_did", "a public JWK holds no private members");
    }
    String kty = node.path("kty").asText("");
    String crv = node.path("crv").asText("");
    if (kty.equals("OKP") && crv.equals("Ed25519")) {
      return ed25519(jwkBytes(node.get("x"), 32));
    }
    if (kty.equals("EC") && crv.equals("P-256")) {
      byte[] sec1 = new byte[65];
      sec1[0] = 4;
      System.arraycopy(jwkBytes(node.get("x"), 32), 0, sec1, 1, 32);
      System.arraycopy(jwkBytes(node.get("y"), 32), 0, sec1, 33, 32);
      return p256(sec1);
    }
    throw new VcException("invalid_did", "JWK is neither OKP Ed25519 nor EC P-256");
  }

  private static byte[] jwkBytes(JsonNode member, int length) throws VcException {
    if (member == null || !member.isTextual() || !member.asText().matches("[A-Za-z0-9_-]*")) {
      throw new VcException("invalid_did", "JWK coordinate is not base64url");
    }
    byte[] bytes;
    try {
      bytes = java.util.Base64.getUrlDecoder().decode(member.asText());
    } catch (IllegalArgumentException e) {
      throw new VcException("invalid_did", "JWK coordinate is not base64url");
    }
    if (bytes.length != length) {
      throw new VcException("invalid_did", "JWK coordinate has the wrong length");
    }
    return bytes;
  }

  /**
   * Parses {@code did:key:z…}.
   *
   * @throws VcException {@code invalid_did}
   */
  public static DidKey parse(String did) throws VcException {
    if (did == null || did.length() > MAX_DID_LENGTH || !did.startsWith(PREFIX)) {
      throw new VcException("invalid_did", "not a did:key");
    }
    return fromMultibase(did.substring(PREFIX.length()));
  }

  /**
   * Parses a verification method id {@code did:key:z…#z…} whose fragment is the key's own multibase
   * value (the only verification method of a did:key).
   *
   * @throws VcException {@code invalid_did}
   */
  public static DidKey parseVerificationMethod(String id) throws VcException {
    int hash = id == null ? -1 : id.indexOf('#');
    if (hash < 0) {
      throw new VcException("invalid_did", "not a did:key verification method");
    }
    DidKey key = parse(id.substring(0, hash));
    if (!id.substring(hash + 1).equals(key.multibase)) {
      throw new VcException("invalid_did", "the fragment is not the did:key's own key");
    }
    return key;
  }

  private static DidKey fromMultibase(String value) throws VcException {
    if (value.length() < 2 || value.charAt(0) != 'z') {
      throw new VcException("invalid_did", "did:key needs a base58btc (z) multibase value");
    }
    byte[] bytes;
    try {
      bytes = Base58.decode(value.substring(1));
    } catch (IllegalArgumentException e) {
      throw new VcException("invalid_did", "bad base58btc in did:key");
    }
    DidKey key;
    if (startsWith(bytes, ED25519_CODEC)) {
      if (bytes.length != 2 + 32) {
        throw new VcException("invalid_did", "an Ed25519 did:key holds 32 bytes");
      }
      key = new DidKey(KeyType.ED25519, checkedEd25519(Arrays.copyOfRange(bytes, 2, bytes.length)));
    } else if (startsWith(bytes, P256_CODEC)) {
      if (bytes.length != 2 + 33) {
        throw new VcException("invalid_did", "a P-256 did:key holds a 33-byte compressed point");
      }
      key = new DidKey(KeyType.P256, compressed(Arrays.copyOfRange(bytes, 2, bytes.length)));
    } else {
      throw new VcException(
          "invalid_did", "did:key multicodec is neither ed25519-pub nor p256-pub");
    }
    // one key, one spelling: leading zero digits or other non-canonical base58 are refused
    if (!key.multibase.equals(value)) {
      throw new VcException("invalid_did", "did:key is not in canonical form");
    }
    return key;
  }

  // a point off the curve or of small order is no one's key (and BouncyCastle throws on some)
  private static byte[] checkedEd25519(byte[] key) throws VcException {
    if (!Ed25519.validatePublicKeyFull(key, 0)) {
      throw new VcException("invalid_did", "not a valid Ed25519 public key");
    }
    return key;
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(Arrays.copyOf(bytes, prefix.length), prefix);
  }

  private static byte[] compressed(byte[] sec1) throws VcException {
    try {
      org.bouncycastle.math.ec.ECPoint point = P256.getCurve().decodePoint(sec1);
      if (point.isInfinity() || !point.isValid()) {
        throw new VcException("invalid_did", "P-256 point is not on the curve");
      }
      return point.getEncoded(true);
    } catch (IllegalArgumentException e) {
      throw new VcException("invalid_did", "P-256 point is not on the curve");
    }
  }

  /** The key type. */
  public KeyType type() {
    return type;
  }

  /** The raw public key: 32 bytes for Ed25519, the 33-byte compressed point for P-256. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** {@code did:key:z…}. */
  public String did() {
    return PREFIX + multibase;
  }

  /** The verification method id {@code did:key:z…#z…}, the {@code kid} of its signatures. */
  public String verificationMethod() {
    return did() + "#" + multibase;
  }

  /** The P-256 key as a JCA public key; {@link IllegalStateException} for Ed25519. */
  ECPublicKey ecPublicKey() throws GeneralSecurityException {
    if (type != KeyType.P256) {
      throw new IllegalStateException("not a P-256 key");
    }
    ECCurve curve = P256.getCurve();
    org.bouncycastle.math.ec.ECPoint point = curve.decodePoint(publicKey).normalize();
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec("secp256r1"));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    ECPoint w =
        new ECPoint(
            new BigInteger(1, point.getAffineXCoord().getEncoded()),
            new BigInteger(1, point.getAffineYCoord().getEncoded()));
    return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DidKey other && other.type == type && other.multibase.equals(multibase);
  }

  @Override
  public int hashCode() {
    return multibase.hashCode();
  }

  @Override
  public String toString() {
    return did();
  }
}
