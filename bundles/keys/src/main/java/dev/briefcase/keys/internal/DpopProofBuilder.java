package dev.briefcase.keys.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.signer.PublicJwks;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Builds RFC 9449 DPoP proofs: header {@code typ dpop+jwt}, {@code alg} ({@code EdDSA} or {@code
 * ES256}) and the public {@code jwk}; claims {@code jti htm htu iat}, plus {@code ath} and {@code
 * nonce} when given. The signature comes from the caller (the key directory signs with the role's
 * key). Thread-safe.
 */
final class DpopProofBuilder {
  /** Signs the proof's signing input with the proof's key. */
  @FunctionalInterface
  interface ProofSigner {
    byte[] sign(KeyInfo key, byte[] input) throws KeyException;
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");

  private final Clock clock;

  DpopProofBuilder(Clock clock) {
    this.clock = clock;
  }

  /** {@code htm} if it is an HTTP method in upper case. */
  static String checkMethod(String htm) throws KeyException {
    if (htm == null || !METHOD.matcher(htm).matches()) {
      throw new KeyException(
          KeyException.INVALID_REQUEST, "htm must be an HTTP method in upper case");
    }
    return htm;
  }

  /** RFC 9449 htu: the request URI without query and fragment; http(s) and absolute only. */
  static String htu(String htu) throws KeyException {
    if (htu == null || htu.length() > 2048) {
      throw new KeyException(KeyException.INVALID_REQUEST, "htu must be an absolute http(s) URI");
    }
    try {
      URI u = new URI(htu);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("https") || scheme.equals("http"))
          || u.getRawAuthority() == null
          || u.getRawUserInfo() != null) {
        throw new KeyException(KeyException.INVALID_REQUEST, "htu must be an absolute http(s) URI");
      }
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      return scheme + "://" + u.getRawAuthority() + path;
    } catch (URISyntaxException e) {
      throw new KeyException(KeyException.INVALID_REQUEST, "htu must be an absolute http(s) URI");
    }
  }

  /**
   * The compact JWS of a proof with {@code key}; {@code htm} and {@code target} are already checked
   * ({@link #checkMethod}, {@link #htu}).
   */
  String build(
      KeyInfo key, String htm, String target, String accessToken, String nonce, ProofSigner signer)
      throws KeyException {
    ObjectNode header = MAPPER.createObjectNode();
    header.put("typ", "dpop+jwt");
    header.put("alg", key.handle().algorithm() == KeyAlgorithm.ED25519 ? "EdDSA" : "ES256");
    try {
      header.set("jwk", MAPPER.readTree(key.publicJwk()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored public JWK is not JSON", e);
    }
    ObjectNode claims = MAPPER.createObjectNode();
    claims.put("jti", UUID.randomUUID().toString());
    claims.put("htm", htm);
    claims.put("htu", target);
    claims.put("iat", clock.instant().getEpochSecond());
    if (accessToken != null) {
      claims.put("ath", PublicJwks.b64(sha256(accessToken.getBytes(StandardCharsets.US_ASCII))));
    }
    if (nonce != null) {
      claims.put("nonce", nonce);
    }
    String input = b64json(header) + "." + b64json(claims);
    byte[] signature = signer.sign(key, input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + PublicJwks.b64(signature);
  }

  private static String b64json(ObjectNode node) {
    try {
      return PublicJwks.b64(MAPPER.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
