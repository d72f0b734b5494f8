package dev.briefcase.dpop;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** Hand-built DPoP proofs (good and hostile) for the verifier tests. */
final class TestProofs {
  static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  /** A settable clock. */
  static final class MutableClock extends Clock {
    volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** An Ed25519 key. */
  static final class EdKey {
    final Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(new SecureRandom());
    final String x = B64.encodeToString(priv.generatePublicKey().getEncoded());

    String jwk() {
      return "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\"}";
    }

    String jkt() {
      return Thumbprints.okp("Ed25519", x);
    }

    byte[] sign(byte[] input) {
      Ed25519Signer s = new Ed25519Signer();
      s.init(true, priv);
      s.update(input, 0, input.length);
      return s.generateSignature();
    }
  }

  /** A P-256 key. */
  static final class EcKey {
    final KeyPair pair;
    final String x;
    final String y;

    EcKey() {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        pair = g.generateKeyPair();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      ECPublicKey pub = (ECPublicKey) pair.getPublic();
      x = B64.encodeToString(fixed(pub.getW().getAffineX()));
      y = B64.encodeToString(fixed(pub.getW().getAffineY()));
    }

    String jwk() {
      return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
    }

    String jkt() {
      return Thumbprints.ec("P-256", x, y);
    }

    /** r||s (64 bytes), as JWS wants it. */
    byte[] sign(byte[] input) {
      try {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(pair.getPrivate());
        s.update(input);
        return s.sign();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /** The same signature DER-encoded (what JWS forbids). */
    byte[] signDer(byte[] input) {
      try {
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(pair.getPrivate());
        s.update(input);
        return s.sign();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    private static byte[] fixed(BigInteger v) {
      byte[] b = v.toByteArray();
      if (b.length == 32) {
        return b;
      }
      byte[] out = new byte[32];
      if (b.length > 32) {
        System.arraycopy(b, b.length - 32, out, 0, 32);
      } else {
        System.arraycopy(b, 0, out, 32 - b.length, b.length);
      }
      return out;
    }
  }

  /** Claims of a proof, editable before signing. */
  static Map<String, Object> claims(String htm, String htu, Instant iat) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("jti", java.util.UUID.randomUUID().toString());
    c.put("htm", htm);
    c.put("htu", htu);
    c.put("iat", iat.getEpochSecond());
    return c;
  }

  static String json(Map<String, Object> map) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, Object> e : map.entrySet()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(e.getKey()).append("\":");
      Object v = e.getValue();
      if (v instanceof Number || v instanceof Boolean) {
        sb.append(v);
      } else if (v instanceof RawJson raw) {
        sb.append(raw.json);
      } else {
        sb.append('"').append(v).append('"');
      }
    }
    return sb.append('}').toString();
  }

  record RawJson(String json) {}

  static String header(String alg, String typ, String jwk) {
    Map<String, Object> h = new LinkedHashMap<>();
    if (typ != null) {
      h.put("typ", typ);
    }
    h.put("alg", alg);
    if (jwk != null) {
      h.put("jwk", new RawJson(jwk));
    }
    return json(h);
  }

  static String signingInput(String header, Map<String, Object> claims) {
    return B64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
        + "."
        + B64.encodeToString(json(claims).getBytes(StandardCharsets.UTF_8));
  }

  static String ed(EdKey key, Map<String, Object> claims) {
    return ed(key, header("EdDSA", "dpop+jwt", key.jwk()), claims);
  }

  static String ed(EdKey key, String header, Map<String, Object> claims) {
    String input = signingInput(header, claims);
    return input + "." + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
  }

  static String es(EcKey key, Map<String, Object> claims) {
    String input = signingInput(header("ES256", "dpop+jwt", key.jwk()), claims);
    return input + "." + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
  }

  static byte[] copy(byte[] b) {
    return Arrays.copyOf(b, b.length);
  }

  private TestProofs() {}
}
