package dev.briefcase.vc;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The entitlement credential of SPEC §8.4: a W3C VC 2.0 credential secured as JOSE ({@code typ
 * vc+jwt}, media type {@code application/vc+jwt}) whose {@code credentialSubject} is {@code {id:
 * holder did:key, scope, tier}}.
 *
 * <p>An issued token carries the VC 2.0 members at the top level ({@code @context} v2, {@code id},
 * {@code type}, {@code issuer}, {@code validFrom}, {@code validUntil}, {@code credentialSubject},
 * {@code credentialStatus}) and, next to them, the JWT-VC 1.1 claims {@code iss}, {@code sub},
 * {@code jti}, {@code iat}, {@code nbf}, {@code exp} and {@code vc} ({@code @context} v1, {@code
 * type}, {@code credentialSubject}), so VC 2.0 readers and {@code did-jwt-vc} (which requires the
 * v1 context and reads the registered claims) both accept it. {@link #verify} accepts both shapes.
 *
 * <p>Stateless and thread-safe.
 */
public final class VcJwt {
  /** The media type of a credential secured as JOSE. */
  public static final String MEDIA_TYPE = "application/vc+jwt";

  /** Validity when the caller gives no end. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(30);

  /** Credentials longer than this are refused unread ({@code vc_too_large}). */
  public static final int MAX_CHARS = 64 * 1024;

  private static final java.util.regex.Pattern JKT =
      java.util.regex.Pattern.compile("[A-Za-z0-9_-]{43}");

  private VcJwt() {}

  /**
   * What a verified credential says.
   *
   * @param id the credential id ({@code id} or {@code jti}), or null
   * @param issuer the issuer's did:key
   * @param subject the holder's did:key
   * @param scope {@code credentialSubject.scope}, or null
   * @param tier {@code credentialSubject.tier}, or null
   * @param validFrom the start of validity, or null when the credential names none
   * @param validUntil the end of validity
   * @param status the status entries, in order (empty when none)
   */
  public record Verified(
      String id,
      String issuer,
      String subject,
      String scope,
      String tier,
      Instant validFrom,
      Instant validUntil,
      List<StatusEntry> status) {
    public Verified {
      status = List.copyOf(status);
    }
  }

  /**
   * Issues a credential for {@code holderDid}.
   *
   * @param validFrom null for {@code now}
   * @param validUntil null for {@code validFrom} + {@link #DEFAULT_VALIDITY}
   * @param status the entries of {@code credentialStatus} (one per purpose), may be empty
   * @throws VcException {@code invalid_did} for a holder that is not a did:key, {@code invalid_vc}
   *     for a blank scope or an empty window, {@code vc_sign_failed} when signing fails
   */
  public static String issue(
      String holderDid,
      String scope,
      String tier,
      Instant now,
      Instant validFrom,
      Instant validUntil,
      List<StatusEntry> status,
      JwsSigner signer)
      throws VcException {
    return issue(holderDid, scope, tier, now, validFrom, validUntil, status, null, signer);
  }

  /**
   * Issues a credential bound to a holder key: as {@link #issue(String, String, String, Instant,
   * Instant, Instant, List, JwsSigner)}, plus the registered claim {@code cnf: {jkt}} (RFC 7800,
   * the RFC 7638 thumbprint of the holder's proof key) when {@code cnfJkt} is not null. Verifiers
   * that know nothing of {@code cnf} ignore it; {@link #confirmationJkt} reads it back.
   *
   * @param cnfJkt the base64url SHA-256 JWK thumbprint (43 characters), or null for none
   * @throws VcException as the other overload, and {@code invalid_vc} for a malformed thumbprint
   */
  public static String issue(
      String holderDid,
      String scope,
      String tier,
      Instant now,
      Instant validFrom,
      Instant validUntil,
      List<StatusEntry> status,
      String cnfJkt,
      JwsSigner signer)
      throws VcException {
    if (cnfJkt != null && !JKT.matcher(cnfJkt).matches()) {
      throw Jose.invalid("cnf.jkt is not a base64url SHA-256 thumbprint");
    }
    String holder = DidKey.parse(holderDid).did();
    if (scope == null || scope.isBlank()) {
      throw Jose.invalid("scope is blank");
    }
    Instant from = validFrom == null ? now : validFrom;
    Instant until = validUntil == null ? from.plus(DEFAULT_VALIDITY) : validUntil;
    if (!until.isAfter(from)) {
      throw Jose.invalid("validUntil is not after validFrom");
    }
    String issuer = issuerDid(signer);
    String id = "urn:uuid:" + UUID.randomUUID();

    Map<String, Object> subject = new LinkedHashMap<>();
    subject.put("id", holder);
    subject.put("scope", scope);
    if (tier != null) {
      subject.put("tier", tier);
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("@context", List.of(Jose.VC2_CONTEXT));
    p.put("id", id);
    p.put("type", List.of("VerifiableCredential"));
    p.put("issuer", issuer);
    p.put("validFrom", Jose.dateTime(from));
    p.put("validUntil", Jose.dateTime(until));
    p.put("credentialSubject", subject);
    if (status != null && !status.isEmpty()) {
      List<Object> entries = new ArrayList<>();
      for (StatusEntry e : status) {
        entries.add(e.toJson());
      }
      p.put("credentialStatus", entries);
    }
    // JWT-VC 1.1 (did-jwt-vc): registered claims and the vc claim with the v1 context
    p.put("iss", issuer);
    p.put("sub", holder);
    p.put("jti", id);
    p.put("iat", now.getEpochSecond());
    p.put("nbf", from.getEpochSecond());
    p.put("exp", until.getEpochSecond());
    Map<String, Object> legacySubject = new LinkedHashMap<>(subject);
    legacySubject.remove("id");
    Map<String, Object> vc = new LinkedHashMap<>();
    vc.put("@context", List.of(Jose.VC1_CONTEXT));
    vc.put("type", List.of("VerifiableCredential"));
    vc.put("credentialSubject", legacySubject);
    p.put("vc", vc);
    if (cnfJkt != null) {
      p.put("cnf", Map.of("jkt", cnfJkt));
    }
    return Jose.sign(p, signer);
  }

  static String issuerDid(JwsSigner signer) throws VcException {
    try {
      return DidKey.parseVerificationMethod(signer.kid()).did();
    } catch (VcException e) {
      throw new VcException(
          "vc_sign_failed", "the signer's kid is not a did:key verification method");
    }
  }

  /**
   * Verifies a credential: size (at most {@link #MAX_CHARS}, else {@code vc_too_large}); alg {@code
   * EdDSA} or {@code ES256} only and no embedded keys ({@code invalid_vc}); the issuer's key from
   * its did:key ({@code iss} / {@code issuer}), {@code kid} equal to its verification method when
   * present; the signature ({@code vc_signature_invalid}); {@code expectedIssuerDid} ({@code
   * vc_issuer_mismatch}); the validity window with 120 s skew ({@code vc_expired}, {@code
   * vc_not_yet_valid}; a credential without an end is {@code invalid_vc}); type {@code
   * VerifiableCredential}; {@code expectedHolderDid} ({@code vc_subject_mismatch}); the status
   * entries ({@code invalid_credential_status}).
   *
   * @param expectedHolderDid the holder's did:key, or null to accept any subject
   * @param expectedIssuerDid the issuer's did:key, or null to accept any did:key issuer
   */
  public static Verified verify(
      String jwt, String expectedHolderDid, String expectedIssuerDid, Instant now)
      throws VcException {
    Jose.Verified v = Jose.verify(jwt, MAX_CHARS, "vc_too_large");
    JsonNode p = v.payload();
    if (expectedIssuerDid != null && !expectedIssuerDid.equals(v.issuer().did())) {
      throw new VcException("vc_issuer_mismatch", "issued by another key");
    }
    Instant[] window = Jose.window(p, now, true);
    List<String> types = Jose.types(p);
    if (!types.contains("VerifiableCredential")) {
      throw Jose.invalid("type is not VerifiableCredential");
    }
    if (types.contains(StatusListCredential.TYPE)) {
      throw Jose.invalid("a status list credential is no entitlement");
    }
    JsonNode subject = subject(p.get("credentialSubject"));
    JsonNode vc = p.get("vc");
    JsonNode legacy = vc != null && vc.isObject() ? subject(vc.get("credentialSubject")) : null;
    List<String> subjects = new ArrayList<>();
    if (p.has("sub")) {
      subjects.add(Jose.text(p.get("sub"), "sub"));
    }
    for (JsonNode s : new JsonNode[] {subject, legacy}) {
      if (s != null && s.has("id")) {
        subjects.add(Jose.text(s.get("id"), "credentialSubject.id"));
      }
    }
    String holder = Jose.agreed(subjects, "subject");
    if (expectedHolderDid != null && !expectedHolderDid.equals(holder)) {
      throw new VcException("vc_subject_mismatch", "issued to another holder");
    }
    String id = null;
    if (p.has("id")) {
      id = Jose.text(p.get("id"), "id");
    } else if (p.has("jti")) {
      id = Jose.text(p.get("jti"), "jti");
    }
    return new Verified(
        id,
        v.issuer().did(),
        holder,
        member(subject, legacy, "scope"),
        member(subject, legacy, "tier"),
        window[0],
        window[1],
        StatusEntry.fromPayload(p));
  }

  /**
   * The {@code cnf.jkt} of a credential's payload, or null when it has no {@code cnf}. It does not
   * verify: call it only on a credential {@link #verify} accepted.
   *
   * @throws VcException {@code invalid_vc} for an unreadable payload or a malformed {@code cnf}
   */
  public static String confirmationJkt(String jwt) throws VcException {
    String[] parts = jwt == null ? new String[0] : jwt.split("\\.", -1);
    if (parts.length != 3 || jwt.length() > MAX_CHARS) {
      throw Jose.invalid("not a compact JWS");
    }
    JsonNode p;
    try {
      p = Jose.JSON.readTree(java.util.Base64.getUrlDecoder().decode(parts[1]));
    } catch (IOException | IllegalArgumentException e) {
      throw Jose.invalid("payload is not JSON");
    }
    if (p == null || !p.isObject()) {
      throw Jose.invalid("payload is not an object");
    }
    JsonNode cnf = p.get("cnf");
    if (cnf == null) {
      return null;
    }
    JsonNode jkt = cnf.isObject() ? cnf.get("jkt") : null;
    if (jkt == null || !jkt.isTextual() || !JKT.matcher(jkt.asText()).matches()) {
      throw Jose.invalid("cnf is not {jkt: thumbprint}");
    }
    return jkt.asText();
  }

  private static JsonNode subject(JsonNode s) throws VcException {
    if (s == null || s.isNull()) {
      return null;
    }
    if (s.isArray() && s.size() == 1) {
      s = s.get(0);
    }
    if (!s.isObject()) {
      throw Jose.invalid("credentialSubject is not one object");
    }
    return s;
  }

  private static String member(JsonNode subject, JsonNode legacy, String name) throws VcException {
    JsonNode n = subject != null && subject.has(name) ? subject.get(name) : null;
    if (n == null && legacy != null) {
      n = legacy.get(name);
    }
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.isNumber()) {
      return n.asText();
    }
    throw Jose.invalid("credentialSubject." + name + " is not a string");
  }
}
