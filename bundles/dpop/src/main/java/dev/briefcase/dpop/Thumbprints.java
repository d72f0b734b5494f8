package dev.briefcase.dpop;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * RFC 7638 JWK thumbprints (b64url SHA-256, no padding) of the two key types a DPoP proof may
 * carry: EC ({@code crv,kty,x,y}) and OKP ({@code crv,kty,x}), members in lexicographic order, no
 * white space. Stateless; thread-safe.
 */
public final class Thumbprints {
  private Thumbprints() {}

  /** Thumbprint of an EC public key given by its JWK members (b64url coordinates as sent). */
  public static String ec(String crv, String x, String y) {
    return sha256(
        "{\"crv\":\"" + crv + "\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}");
  }

  /** Thumbprint of an OKP public key given by its JWK members. */
  public static String okp(String crv, String x) {
    return sha256("{\"crv\":\"" + crv + "\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}");
  }

  /**
   * Thumbprint of a raw 32-byte Ed25519 public key, as the legacy {@code x-briefcase-pop-pub}
   * header sends it (b64url): that of {@code {"crv":"Ed25519","kty":"OKP","x":…}}.
   *
   * @throws DpopException {@code invalid_dpop} when the value is not b64url of 32 bytes
   */
  public static String ed25519Raw(String b64urlKey) {
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(stripPadding(b64urlKey));
    } catch (IllegalArgumentException e) {
      throw new DpopException(DpopException.INVALID_DPOP, "pop key is not b64url");
    }
    if (raw.length != 32) {
      throw new DpopException(DpopException.INVALID_DPOP, "pop key is not 32 bytes");
    }
    return okp("Ed25519", Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
  }

  /** b64url(SHA-256(ASCII text)) without padding, as {@code ath} and thumbprints use it. */
  public static String sha256(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  private static String stripPadding(String s) {
    if (s == null) {
      throw new DpopException(DpopException.INVALID_DPOP, "pop key is missing");
    }
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '=') {
      end--;
    }
    return s.substring(0, end);
  }
}
