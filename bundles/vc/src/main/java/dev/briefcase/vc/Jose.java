package dev.briefcase.vc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Compact JWS signed by a did:key issuer: building with a caller's {@link JwsSigner}, and the
 * checks shared by credentials and status lists (size, header, issuer, signature, time window).
 */
final class Jose {
  static final ObjectMapper JSON =
      new ObjectMapper(
          JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  /** Clock skew allowed on either side of the validity window. */
  static final Duration SKEW = Duration.ofSeconds(120);

  static final String TYP = "vc+jwt";
  static final String VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2";
  static final String VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1";

  private static final Set<String> ALGS = Set.of("EdDSA", "ES256");
  private static final Set<String> TYPS = Set.of("JWT", TYP, "application/vc+jwt");
  // keys or key locations other than the issuer's did:key, and extensions we do not implement
  private static final Set<String> REFUSED_HEADERS =
      Set.of("jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip");

  private Jose() {}

  /** A verified JWS: its header and payload, and the issuer whose key signed it. */
  record Verified(JsonNode header, JsonNode payload, DidKey issuer) {}

  static String sign(Map<String, Object> payload, JwsSigner signer) throws VcException {
    DidKey key;
    try {
      key = DidKey.parseVerificationMethod(signer.kid());
    } catch (VcException e) {
      throw new VcException(
          "vc_sign_failed", "the signer's kid is not a did:key verification method");
    }
    if (!key.type().jwsAlgorithm().equals(signer.alg())) {
      throw new VcException("vc_sign_failed", "the signer's alg does not fit its did:key");
    }
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("alg", signer.alg());
    header.put("typ", TYP);
    header.put("kid", signer.kid());
    String input;
    try {
      input = b64(JSON.writeValueAsBytes(header)) + "." + b64(JSON.writeValueAsBytes(payload));
    } catch (IOException e) {
      throw new VcException("vc_sign_failed", "payload is not serializable");
    }
    byte[] sig;
    try {
      sig = signer.sign(input.getBytes(StandardCharsets.US_ASCII));
    } catch (Exception e) {
      throw new VcException("vc_sign_failed", "the issuer key did not sign", e);
    }
    if (sig == null || sig.length != 64) {
      throw new VcException("vc_sign_failed", "the signature is not 64 raw bytes");
    }
    return input + "." + b64(sig);
  }

  /**
   * Parses and verifies a compact JWS: at most {@code maxChars} characters ({@code tooLarge}
   * otherwise), alg EdDSA or ES256, no embedded or remote keys, the issuer from {@code iss} /
   * {@code issuer} (all present must agree) as a did:key, {@code kid} equal to its verification
   * method when present, then the signature.
   */
  static Verified verify(String jws, int maxChars, String tooLarge) throws VcException {
    if (jws == null || jws.isEmpty()) {
      throw invalid("empty token");
    }
    if (jws.length() > maxChars) {
      throw new VcException(tooLarge, "token over " + maxChars + " characters");
    }
    String[] parts = jws.split("\\.", -1);
    if (parts.length != 3) {
      throw invalid("not a compact JWS");
    }
    JsonNode header = object(decode(parts[0]), "header");
    JsonNode alg = header.get("alg");
    if (alg == null || !alg.isTextual() || !ALGS.contains(alg.asText())) {
      throw invalid("alg is not EdDSA or ES256");
    }
    JsonNode typ = header.get("typ");
    if (typ != null && (!typ.isTextual() || !TYPS.contains(typ.asText()))) {
      throw invalid("typ is not a credential type");
    }
    for (String name : REFUSED_HEADERS) {
      if (header.has(name)) {
        throw invalid("header parameter " + name + " is not accepted");
      }
    }
    JsonNode payload = object(decode(parts[1]), "payload");
    DidKey issuer;
    try {
      issuer = DidKey.parse(issuerId(payload));
    } catch (VcException e) {
      throw invalid("the issuer is not a did:key");
    }
    if (!issuer.type().jwsAlgorithm().equals(alg.asText())) {
      throw invalid("alg does not fit the issuer's key");
    }
    JsonNode kid = header.get("kid");
    if (kid != null && (!kid.isTextual() || !kid.asText().equals(issuer.verificationMethod()))) {
      throw invalid("kid is not the issuer's verification method");
    }
    byte[] signature = decode(parts[2]);
    byte[] input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
    if (signature.length != 64 || !verifySignature(issuer, input, signature)) {
      throw new VcException("vc_signature_invalid", "signature does not verify");
    }
    return new Verified(header, payload, issuer);
  }

  private static boolean verifySignature(DidKey key, byte[] input, byte[] signature) {
    try {
      if (key.type() == DidKey.KeyType.ED25519) {
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(key.publicKey(), 0));
        verifier.update(input, 0, input.length);
        return verifier.verifySignature(signature);
      }
      Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
      verifier.initVerify(key.ecPublicKey());
      verifier.update(input);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false; // a key or signature the provider cannot even parse does not verify
    }
  }

  /** The issuer id: {@code iss}, {@code issuer} and {@code vc.issuer}, which must agree. */
  static String issuerId(JsonNode payload) throws VcException {
    List<String> ids = new ArrayList<>();
    JsonNode iss = payload.get("iss");
    if (iss != null) {
      ids.add(text(iss, "iss"));
    }
    addIssuer(payload.get("issuer"), ids);
    JsonNode vc = payload.get("vc");
    if (vc != null && vc.isObject()) {
      addIssuer(vc.get("issuer"), ids);
    }
    return agreed(ids, "issuer");
  }

  private static void addIssuer(JsonNode issuer, List<String> ids) throws VcException {
    if (issuer == null) {
      return;
    }
    ids.add(issuer.isObject() ? text(issuer.get("id"), "issuer.id") : text(issuer, "issuer"));
  }

  /** The one value every source names, or {@code invalid_vc}. */
  static String agreed(List<String> values, String what) throws VcException {
    if (values.isEmpty()) {
      throw invalid("no " + what);
    }
    for (String v : values) {
      if (!v.equals(values.get(0))) {
        throw invalid(what + " members disagree");
      }
    }
    return values.get(0);
  }

  static String text(JsonNode node, String what) throws VcException {
    if (node == null || !node.isTextual()) {
      throw invalid(what + " is not a string");
    }
    return node.asText();
  }

  /**
   * The validity window: the latest of {@code nbf} / {@code validFrom} and the earliest of {@code
   * exp} / {@code validUntil} (top level or under {@code vc}, which also gives {@code
   * expirationDate}), checked against {@code now} with {@link #SKEW}.
   *
   * @return {notBefore or null, expiry or null}
   */
  static Instant[] window(JsonNode payload, Instant now, boolean requireExpiry) throws VcException {
    JsonNode vc = payload.get("vc");
    JsonNode inner = vc != null && vc.isObject() ? vc : null;
    Instant from = latest(seconds(payload.get("nbf"), "nbf"), date(payload.get("validFrom")));
    Instant until = earliest(seconds(payload.get("exp"), "exp"), date(payload.get("validUntil")));
    if (inner != null) {
      from = latest(from, date(inner.get("validFrom")));
      until = earliest(until, date(inner.get("validUntil")));
      until = earliest(until, date(inner.get("expirationDate")));
    }
    seconds(payload.get("iat"), "iat");
    if (until == null && requireExpiry) {
      throw invalid("no exp or validUntil");
    }
    if (from != null && now.plus(SKEW).isBefore(from)) {
      throw new VcException("vc_not_yet_valid", "valid from " + from);
    }
    if (until != null && !now.minus(SKEW).isBefore(until)) {
      throw new VcException("vc_expired", "expired at " + until);
    }
    return new Instant[] {from, until};
  }

  private static Instant seconds(JsonNode n, String what) throws VcException {
    if (n == null) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
      throw invalid(what + " is not a NumericDate");
    }
    try {
      return Instant.ofEpochSecond(n.longValue());
    } catch (java.time.DateTimeException e) {
      throw invalid(what + " is out of range");
    }
  }

  private static Instant date(JsonNode n) throws VcException {
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      throw invalid("a validity date is not a string");
    }
    try {
      return OffsetDateTime.parse(n.asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw invalid("a validity date is not an XML Schema dateTime with offset");
    }
  }

  private static Instant latest(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
  }

  /** The types of {@code type} and {@code vc.type}. */
  static List<String> types(JsonNode payload) throws VcException {
    List<String> types = new ArrayList<>();
    addTypes(payload.get("type"), types);
    JsonNode vc = payload.get("vc");
    if (vc != null && vc.isObject()) {
      addTypes(vc.get("type"), types);
    }
    return types;
  }

  private static void addTypes(JsonNode type, List<String> types) throws VcException {
    if (type == null) {
      return;
    }
    if (type.isArray()) {
      for (JsonNode t : type) {
        types.add(text(t, "type"));
      }
    } else {
      types.add(text(type, "type"));
    }
  }

  static String dateTime(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static JsonNode object(byte[] json, String what) throws VcException {
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || !node.isObject()) {
        throw invalid(what + " is not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw invalid(what + " is not JSON");
    }
  }

  private static byte[] decode(String part) throws VcException {
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (!((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_')) {
        throw invalid("not base64url");
      }
    }
    try {
      return Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw invalid("not base64url");
    }
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static VcException invalid(String message) {
    return new VcException("invalid_vc", message);
  }
}
