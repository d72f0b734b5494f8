package dev.briefcase.receipts.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * Signed checkpoints of the receipt chain (SPEC §6 Δ): the pure functions shared by the kernel's
 * checkpointer and offline verifiers. The format is documented in the module README.
 *
 * <p>A checkpoint is a receipt whose event is {@code {kind:"checkpoint", ts, seq, head_hash_hex,
 * count, every, kid, alg, signature}} ({@code every}, the configured cadence, since statement v2):
 * {@code seq} is the id of the receipt whose hash {@code head_hash_hex} is signed, {@code count}
 * how many receipts the signed chain holds (equal to {@code seq}, ids start at 1), {@code kid} the
 * RFC 7638 thumbprint of the signing key, {@code alg} {@code EdDSA} (Ed25519) or {@code ES256}, and
 * {@code signature} the base64url signature (no padding) over the UTF-8 bytes of {@link
 * #statement}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Checkpoint {

  /** The {@code kind} of a checkpoint receipt. */
  public static final String KIND = "checkpoint";

  /** The {@code type} member of the signed statement (with {@code every}). */
  public static final String STATEMENT_TYPE = "briefcase.receipts.checkpoint.v2";

  /** The {@code type} member of a statement without {@code every}, still verified. */
  public static final String STATEMENT_TYPE_V1 = "briefcase.receipts.checkpoint.v1";

  /** The cadence assumed where no signed {@code every} says otherwise (v1, no checkpoint). */
  public static final int DEFAULT_EVERY = 256;

  /** JWS name of Ed25519 signatures. */
  public static final String EDDSA = "EdDSA";

  /** JWS name of P-256 ECDSA signatures (raw {@code r || s}). */
  public static final String ES256 = "ES256";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  // DER prefixes of SubjectPublicKeyInfo for a raw Ed25519 key and an uncompressed P-256 point
  private static final byte[] ED25519_SPKI = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final byte[] P256_SPKI =
      HexFormat.of().parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
  private static final Set<String> PRIVATE_MEMBERS =
      Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

  private Checkpoint() {}

  /**
   * The fields of a checkpoint event, as read from a receipt; {@code every} is 0 for a v1
   * checkpoint (no cadence signed).
   */
  public record Fields(
      long seq,
      String headHashHex,
      long count,
      String kid,
      String alg,
      String signature,
      long every) {

    /** A v1 checkpoint: no {@code every}. */
    public Fields(
        long seq, String headHashHex, long count, String kid, String alg, String signature) {
      this(seq, headHashHex, count, kid, alg, signature, 0);
    }
  }

  /**
   * The most non-checkpoint receipts an honest chain holds between two checkpoints (or before the
   * first, or after the last) for a cadence of {@code every}: twice the cadence, plus one cadence
   * of slack. The checkpointer signs as soon as {@code every} receipts are uncovered (the append
   * path wakes it), so an honest stretch is {@code every} plus the receipts that commit while the
   * signature is made and the checkpoint receipt is appended; the second {@code every} and the
   * slack absorb a slow signer under load. {@code every <= 0} (a v1 checkpoint, or none) counts as
   * {@link #DEFAULT_EVERY}.
   */
  public static long bound(long every) {
    long e = every > 0 ? every : DEFAULT_EVERY;
    return e * 2 + e;
  }

  /** A verification key: its JWS algorithm, RFC 7638 thumbprint and the JDK key. */
  public record VerificationKey(String alg, String kid, PublicKey key) {}

  /**
   * The signed statement, RFC 8785 canonical JSON: {@code
   * {"alg","count","head_hash_hex","kid","seq","type":"briefcase.receipts.checkpoint.v1"}}.
   *
   * @throws IllegalArgumentException on a malformed hash, a negative number or an unknown alg
   */
  public static String statement(long seq, String headHashHex, long count, String kid, String alg) {
    return statement(seq, headHashHex, count, kid, alg, 0);
  }

  /**
   * The signed statement with the cadence: {@code every > 0} gives a v2 statement {@code
   * {"alg","count","every","head_hash_hex","kid","seq","type":"briefcase.receipts.checkpoint.v2"}},
   * {@code every == 0} the v1 statement.
   *
   * @throws IllegalArgumentException on a malformed hash, a negative number or an unknown alg
   */
  public static String statement(
      long seq, String headHashHex, long count, String kid, String alg, long every) {
    if (!ReceiptChain.isHashHex(headHashHex)) {
      throw new IllegalArgumentException("head_hash_hex must be 64 lowercase hex digits");
    }
    if (seq < 1 || count < 1 || seq > ReceiptChain.MAX_SAFE_INTEGER) {
      throw new IllegalArgumentException("seq and count must be positive");
    }
    if (kid == null || kid.isEmpty()) {
      throw new IllegalArgumentException("kid is required");
    }
    requireAlg(alg);
    if (every < 0 || every > ReceiptChain.MAX_SAFE_INTEGER) {
      throw new IllegalArgumentException("every must be positive");
    }
    ObjectNode o = MAPPER.createObjectNode();
    o.put("type", every > 0 ? STATEMENT_TYPE : STATEMENT_TYPE_V1);
    if (every > 0) {
      o.put("every", every);
    }
    o.put("seq", seq);
    o.put("head_hash_hex", headHashHex);
    o.put("count", count);
    o.put("kid", kid);
    o.put("alg", alg);
    return ReceiptChain.canonicalize(o);
  }

  /** The UTF-8 bytes of {@link #statement}, which are what is signed. */
  public static byte[] statementBytes(Fields f) {
    return statement(f.seq(), f.headHashHex(), f.count(), f.kid(), f.alg(), f.every())
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The event of a checkpoint receipt. */
  public static ObjectNode event(String ts, Fields f) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("kind", KIND);
    o.put("ts", ts);
    o.put("seq", f.seq());
    o.put("head_hash_hex", f.headHashHex());
    o.put("count", f.count());
    if (f.every() > 0) {
      o.put("every", f.every());
    }
    o.put("kid", f.kid());
    o.put("alg", f.alg());
    o.put("signature", f.signature());
    return o;
  }

  /** Whether an event is a checkpoint (its top-level {@code kind}). */
  public static boolean isCheckpoint(JsonNode event) {
    return event != null && KIND.equals(event.path("kind").textValue());
  }

  /**
   * Reads the fields of a checkpoint event.
   *
   * @throws IllegalArgumentException when a field is missing or has the wrong type
   */
  public static Fields fields(JsonNode event) {
    if (!isCheckpoint(event)) {
      throw new IllegalArgumentException("not a checkpoint event");
    }
    return new Fields(
        positive(event, "seq"),
        text(event, "head_hash_hex"),
        positive(event, "count"),
        text(event, "kid"),
        text(event, "alg"),
        text(event, "signature"),
        event.has("every") ? positive(event, "every") : 0);
  }

  /**
   * Whether {@code f.signature} is a valid signature by {@code key} over the statement of {@code
   * f}; false for a malformed signature, another algorithm or another key id.
   */
  public static boolean signatureValid(Fields f, VerificationKey key) {
    if (!key.alg().equals(f.alg()) || !key.kid().equals(f.kid())) {
      return false;
    }
    byte[] sig;
    try {
      sig = Base64.getUrlDecoder().decode(f.signature());
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (sig.length != 64 || f.signature().indexOf('=') >= 0) {
      return false;
    }
    try {
      Signature verifier = Signature.getInstance(jdkSignature(f.alg()));
      verifier.initVerify(key.key());
      verifier.update(statementBytes(f));
      return verifier.verify(sig);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The verification key of a public JWK: OKP/Ed25519 ({@code EdDSA}) or EC/P-256 ({@code ES256}).
   * Its {@code kid} is always the computed RFC 7638 thumbprint, never a {@code kid} member.
   *
   * @throws IllegalArgumentException when the JWK is malformed, of another type, or holds private
   *     members
   */
  public static VerificationKey verificationKey(JsonNode jwk) {
    if (jwk == null || !jwk.isObject()) {
      throw new IllegalArgumentException("a JWK must be a JSON object");
    }
    for (String m : PRIVATE_MEMBERS) {
      if (jwk.has(m)) {
        throw new IllegalArgumentException(
            "the JWK holds private key material; give the public JWK");
      }
    }
    String kty = jwk.path("kty").asText("");
    String crv = jwk.path("crv").asText("");
    ObjectNode required = MAPPER.createObjectNode();
    try {
      if (kty.equals("OKP") && crv.equals("Ed25519")) {
        byte[] x = b64(jwk, "x", 32);
        required.put("crv", crv).put("kty", kty).put("x", jwk.get("x").asText());
        PublicKey key =
            KeyFactory.getInstance("Ed25519")
                .generatePublic(new X509EncodedKeySpec(concat(ED25519_SPKI, new byte[0], x)));
        return new VerificationKey(EDDSA, thumbprint(required), key);
      }
      if (kty.equals("EC") && crv.equals("P-256")) {
        byte[] x = b64(jwk, "x", 32);
        byte[] y = b64(jwk, "y", 32);
        required
            .put("crv", crv)
            .put("kty", kty)
            .put("x", jwk.get("x").asText())
            .put("y", jwk.get("y").asText());
        PublicKey key =
            KeyFactory.getInstance("EC")
                .generatePublic(
                    new X509EncodedKeySpec(concat(P256_SPKI, new byte[] {0x04}, concat(x, y))));
        return new VerificationKey(ES256, thumbprint(required), key);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the JWK is not a valid public key", e);
    }
    throw new IllegalArgumentException("the JWK must be OKP/Ed25519 or EC/P-256");
  }

  /** {@link #verificationKey(JsonNode)} of JWK text. */
  public static VerificationKey verificationKey(String jwkJson) {
    try {
      return verificationKey(MAPPER.readTree(jwkJson));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("the JWK is not JSON", e);
    }
  }

  /** The JWS algorithm name of a signer key algorithm name ({@code ED25519} or {@code P256}). */
  public static String jwsAlg(String keyAlgorithm) {
    return switch (keyAlgorithm) {
      case "ED25519" -> EDDSA;
      case "P256" -> ES256;
      default -> throw new IllegalArgumentException("unsupported key algorithm " + keyAlgorithm);
    };
  }

  private static String jdkSignature(String alg) {
    return switch (alg) {
      case EDDSA -> "Ed25519";
      case ES256 -> "SHA256withECDSAinP1363Format";
      default -> throw new IllegalArgumentException("unsupported alg " + alg);
    };
  }

  private static void requireAlg(String alg) {
    jdkSignature(alg == null ? "" : alg);
  }

  // RFC 7638: the required members sorted, no whitespace, which is their RFC 8785 form
  private static String thumbprint(ObjectNode required) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(ReceiptChain.canonicalize(required).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static byte[] b64(JsonNode jwk, String member, int length) {
    JsonNode v = jwk.get(member);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("the JWK lacks " + member);
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(v.textValue());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the JWK member " + member + " is not base64url", e);
    }
    if (raw.length != length) {
      throw new IllegalArgumentException("the JWK member " + member + " has the wrong length");
    }
    return raw;
  }

  private static byte[] concat(byte[] a, byte[] b, byte[] c) {
    byte[] out = new byte[a.length + b.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    System.arraycopy(c, 0, out, a.length + b.length, c.length);
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    return concat(a, b, new byte[0]);
  }

  private static long positive(JsonNode event, String name) {
    JsonNode v = event.get(name);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1) {
      throw new IllegalArgumentException("checkpoint " + name + " must be a positive integer");
    }
    return v.asLong();
  }

  private static String text(JsonNode event, String name) {
    JsonNode v = event.get(name);
    if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
      throw new IllegalArgumentException("checkpoint " + name + " must be a non-empty string");
    }
    return v.textValue();
  }
}
