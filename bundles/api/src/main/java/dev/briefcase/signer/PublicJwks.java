package dev.briefcase.signer;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Public JWKs (RFC 7517/8037) for the two key types and their RFC 7638 thumbprints, shared by every
 * signer backend so they publish identical JWKs. Only public members are ever produced here.
 */
public final class PublicJwks {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private PublicJwks() {}

  /** The required members of the public JWK, in RFC 7638 (lexicographic) order. */
  public static Map<String, String> members(KeyAlgorithm algorithm, byte[] publicKey) {
    Map<String, String> m = new LinkedHashMap<>();
    switch (algorithm) {
      case ED25519 -> {
        if (publicKey.length != 32) {
          throw new IllegalArgumentException("Ed25519 public key must be 32 bytes");
        }
        m.put("crv", "Ed25519");
        m.put("kty", "OKP");
        m.put("x", b64(publicKey));
      }
      case P256 -> {
        if (publicKey.length != 65 || publicKey[0] != 0x04) {
          throw new IllegalArgumentException("P-256 public key must be an uncompressed SEC1 point");
        }
        m.put("crv", "P-256");
        m.put("kty", "EC");
        m.put("x", b64(Arrays.copyOfRange(publicKey, 1, 33)));
        m.put("y", b64(Arrays.copyOfRange(publicKey, 33, 65)));
      }
      default -> throw new IllegalArgumentException("unsupported algorithm " + algorithm);
    }
    return m;
  }

  /** The public JWK as compact JSON. */
  public static String json(KeyAlgorithm algorithm, byte[] publicKey) {
    return toJson(members(algorithm, publicKey));
  }

  /** The RFC 7638 SHA-256 thumbprint, base64url without padding. */
  public static String thumbprint(KeyAlgorithm algorithm, byte[] publicKey) {
    return thumbprint(members(algorithm, publicKey));
  }

  /**
   * The RFC 7638 SHA-256 thumbprint over the given required members (any key type): members are
   * sorted by name and serialized without whitespace.
   */
  public static String thumbprint(Map<String, String> requiredMembers) {
    String canonical = toJson(new TreeMap<>(requiredMembers));
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
      return b64(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  /** An unsigned big-endian integer left-padded to {@code length} bytes. */
  public static byte[] fixed(BigInteger value, int length) {
    byte[] raw = value.toByteArray();
    if (raw.length == length) {
      return raw;
    }
    if (raw.length == length + 1 && raw[0] == 0) {
      return Arrays.copyOfRange(raw, 1, raw.length);
    }
    if (raw.length > length) {
      throw new IllegalArgumentException("value longer than " + length + " bytes");
    }
    byte[] out = new byte[length];
    System.arraycopy(raw, 0, out, length - raw.length, raw.length);
    return out;
  }

  public static String b64(byte[] bytes) {
    return B64.encodeToString(bytes);
  }

  private static String toJson(Map<String, String> members) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, String> e : members.entrySet()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      quote(sb, e.getKey());
      sb.append(':');
      quote(sb, e.getValue());
    }
    return sb.append('}').toString();
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }
}
