package dev.briefcase.provider.oauth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Base64;

/**
 * The provider's signing key: the key directory's {@code identity} role (Ed25519, JWS {@code
 * EdDSA}), named by its did:key verification method id ({@code did:key:z…#z…}, multicodec 0xED01,
 * base58btc). Signing goes through {@link KeyDirectory#sign}, so the key never leaves its backend.
 */
final class SigningKey {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String ALPHABET =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

  private final KeyDirectory keys;

  SigningKey(KeyDirectory keys) {
    this.keys = keys;
  }

  /** The {@code kid}: the did:key verification method id of the identity key. */
  String kid() throws KeyException {
    return verificationMethod(publicKey(keys.ensure(KeyDirectory.IDENTITY)));
  }

  /** An Ed25519 signature over {@code message} by the identity key. */
  byte[] sign(byte[] message) throws KeyException {
    return keys.sign(KeyDirectory.IDENTITY, message);
  }

  static byte[] publicKey(KeyInfo info) {
    try {
      JsonNode jwk = MAPPER.readTree(info.publicJwk());
      if (!"OKP".equals(jwk.path("kty").asText()) || !"Ed25519".equals(jwk.path("crv").asText())) {
        throw new IllegalStateException("the identity key is not Ed25519");
      }
      return Base64.getUrlDecoder().decode(jwk.path("x").asText());
    } catch (IOException e) {
      throw new IllegalStateException("the identity key's JWK does not parse", e);
    }
  }

  /** {@code did:key:z…#z…} for a raw 32-byte Ed25519 public key. */
  static String verificationMethod(byte[] ed25519) {
    byte[] prefixed = new byte[ed25519.length + 2];
    prefixed[0] = (byte) 0xed;
    prefixed[1] = 0x01;
    System.arraycopy(ed25519, 0, prefixed, 2, ed25519.length);
    String multibase = "z" + base58(prefixed);
    return "did:key:" + multibase + "#" + multibase;
  }

  static String base58(byte[] in) {
    StringBuilder sb = new StringBuilder();
    BigInteger n = new BigInteger(1, in);
    BigInteger base = BigInteger.valueOf(58);
    while (n.signum() > 0) {
      BigInteger[] qr = n.divideAndRemainder(base);
      sb.append(ALPHABET.charAt(qr[1].intValue()));
      n = qr[0];
    }
    for (int i = 0; i < in.length && in[i] == 0; i++) {
      sb.append('1');
    }
    return sb.reverse().toString();
  }
}
