package dev.briefcase.vc;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A W3C {@code BitstringStatusListCredential} secured as {@code vc+jwt} with the same issuer key as
 * the credentials it covers: {@code credentialSubject {id, type: BitstringStatusList,
 * statusPurpose, encodedList, ttl}} ({@code ttl} in milliseconds, optional). Stateless and
 * thread-safe.
 */
public final class StatusListCredential {
  /** The credential type. */
  public static final String TYPE = "BitstringStatusListCredential";

  /** The type of its subject. */
  public static final String SUBJECT_TYPE = "BitstringStatusList";

  /**
   * Status list credentials longer than this are refused unread ({@code status_list_too_large}).
   */
  public static final int MAX_CHARS = 1 << 20;

  private StatusListCredential() {}

  /**
   * A verified status list credential.
   *
   * @param id the credential id (its URL), or null
   * @param issuer the issuer's did:key
   * @param statusPurpose the list's purpose
   * @param list the decoded bits
   * @param ttlMillis {@code ttl} in milliseconds, or null
   * @param validFrom start of validity, or null
   * @param validUntil end of validity, or null
   */
  public record Verified(
      String id,
      String issuer,
      String statusPurpose,
      BitstringStatusList list,
      Long ttlMillis,
      Instant validFrom,
      Instant validUntil) {}

  /**
   * Issues a status list credential.
   *
   * @param url the list's URL: the credential {@code id}, the subject is {@code url#list}
   * @param encodedList from {@link BitstringStatusList.Builder#encode()}
   * @param ttlMillis null to leave {@code ttl} out
   * @param validUntil null for no end (the {@code ttl} governs caching)
   * @throws VcException {@code invalid_credential_status} for a bad URL or purpose, {@code
   *     vc_sign_failed}
   */
  public static String issue(
      String url,
      String statusPurpose,
      String encodedList,
      Long ttlMillis,
      Instant now,
      Instant validUntil,
      JwsSigner signer)
      throws VcException {
    StatusEntry.of(null, statusPurpose, 0, url, 1); // the URL and purpose rules of an entry
    if (encodedList == null || encodedList.isEmpty() || encodedList.charAt(0) != 'u') {
      throw new VcException("invalid_status_list", "encodedList is not multibase base64url");
    }
    if (ttlMillis != null && ttlMillis < 0) {
      throw new VcException("invalid_status_list", "negative ttl");
    }
    String issuer = VcJwt.issuerDid(signer);
    Map<String, Object> subject = new LinkedHashMap<>();
    subject.put("id", url + "#list");
    subject.put("type", SUBJECT_TYPE);
    subject.put("statusPurpose", statusPurpose);
    subject.put("encodedList", encodedList);
    if (ttlMillis != null) {
      subject.put("ttl", ttlMillis);
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("@context", List.of(Jose.VC2_CONTEXT));
    p.put("id", url);
    p.put("type", List.of("VerifiableCredential", TYPE));
    p.put("issuer", issuer);
    p.put("validFrom", Jose.dateTime(now));
    if (validUntil != null) {
      p.put("validUntil", Jose.dateTime(validUntil));
    }
    p.put("credentialSubject", subject);
    p.put("iss", issuer);
    p.put("iat", now.getEpochSecond());
    if (validUntil != null) {
      p.put("exp", validUntil.getEpochSecond());
    }
    return Jose.sign(p, signer);
  }

  /**
   * Verifies a status list credential: at most {@link #MAX_CHARS} ({@code status_list_too_large}),
   * the JWS checks of {@link VcJwt#verify} with the issuer required to be {@code expectedIssuerDid}
   * ({@code vc_issuer_mismatch}), its validity window when it has one, type {@value #TYPE} and
   * subject type {@value #SUBJECT_TYPE} ({@code invalid_status_list}), then the decoded list (see
   * {@link BitstringStatusList#decode}). The purpose is returned, not compared: {@link
   * StatusOutcome#of} answers unknown for a mismatch.
   */
  public static Verified verify(String jwt, String expectedIssuerDid, Instant now)
      throws VcException {
    if (expectedIssuerDid == null) {
      throw new VcException("vc_issuer_mismatch", "no expected issuer");
    }
    Jose.Verified v = Jose.verify(jwt, MAX_CHARS, "status_list_too_large");
    if (!expectedIssuerDid.equals(v.issuer().did())) {
      throw new VcException("vc_issuer_mismatch", "status list signed by another key");
    }
    JsonNode p = v.payload();
    Instant[] window = Jose.window(p, now, false);
    if (!Jose.types(p).contains(TYPE)) {
      throw bad("type is not " + TYPE);
    }
    JsonNode s = p.get("credentialSubject");
    if (s == null || !s.isObject()) {
      throw bad("credentialSubject is not an object");
    }
    JsonNode type = s.get("type");
    if (type == null || !type.isTextual() || !SUBJECT_TYPE.equals(type.asText())) {
      throw bad("credentialSubject.type is not " + SUBJECT_TYPE);
    }
    JsonNode purpose = s.get("statusPurpose");
    JsonNode encoded = s.get("encodedList");
    if (purpose == null || !purpose.isTextual() || encoded == null || !encoded.isTextual()) {
      throw bad("statusPurpose or encodedList missing");
    }
    JsonNode ttl = s.get("ttl");
    Long ttlMillis = null;
    if (ttl != null) {
      if (!ttl.isIntegralNumber() || !ttl.canConvertToLong() || ttl.longValue() < 0) {
        throw bad("ttl is not a non-negative integer");
      }
      ttlMillis = ttl.longValue();
    }
    JsonNode id = p.get("id");
    return new Verified(
        id != null && id.isTextual() ? id.asText() : null,
        v.issuer().did(),
        purpose.asText(),
        BitstringStatusList.decode(encoded.asText()),
        ttlMillis,
        window[0],
        window[1]);
  }

  private static VcException bad(String message) {
    return new VcException("invalid_status_list", message);
  }
}
