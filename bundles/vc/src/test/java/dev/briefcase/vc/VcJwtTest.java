package dev.briefcase.vc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.Test;

public class VcJwtTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final List<StatusEntry> STATUS =
      List.of(
          new StatusEntry(null, "revocation", 42, "https://p.example/status/revocation", 1),
          new StatusEntry(null, "suspension", 42, "https://p.example/status/suspension", 1));

  private final TestKeys.Ed25519 issuer;
  private final TestKeys.Ed25519 holder;

  public VcJwtTest() throws Exception {
    issuer = new TestKeys.Ed25519();
    holder = new TestKeys.Ed25519();
  }

  private String issue() throws VcException {
    return VcJwt.issue(holder.did.did(), "quote", "gold", NOW, null, null, STATUS, issuer.signer);
  }

  private static JsonNode part(String jwt, int i) throws Exception {
    return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[i]));
  }

  private static String b64(Object json) throws Exception {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(json));
  }

  /** Re-signs a header and payload with the issuer key: only the defence under test refuses. */
  private String resign(JsonNode header, JsonNode payload) throws Exception {
    String input = b64(header) + "." + b64(payload);
    return input
        + "."
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(issuer.sign(input.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  public void cnfBindsTheHolderKeyAndIsReadBack() throws Exception {
    String jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    String jwt =
        VcJwt.issue(holder.did.did(), "quote", "gold", NOW, null, null, STATUS, jkt, issuer.signer);
    assertEquals(jkt, part(jwt, 1).get("cnf").get("jkt").asText());
    VcJwt.verify(jwt, holder.did.did(), issuer.did.did(), NOW);
    assertEquals(jkt, VcJwt.confirmationJkt(jwt));
    assertNull(VcJwt.confirmationJkt(issue()));
    assertEquals(
        "invalid_vc",
        assertThrows(
                VcException.class,
                () ->
                    VcJwt.issue(
                        holder.did.did(),
                        "quote",
                        null,
                        NOW,
                        null,
                        null,
                        STATUS,
                        "not a thumbprint",
                        issuer.signer))
            .code());
    ObjectNode payload = (ObjectNode) part(jwt, 1);
    payload.putObject("cnf").put("jkt", 42);
    assertEquals(
        "invalid_vc",
        assertThrows(VcException.class, () -> VcJwt.confirmationJkt(resign(part(jwt, 0), payload)))
            .code());
  }

  private String code(String jwt) {
    return assertThrows(
            VcException.class, () -> VcJwt.verify(jwt, holder.did.did(), issuer.did.did(), NOW))
        .code();
  }

  @Test
  public void issuedCredentialHasBothShapesAndVerifies() throws Exception {
    String jwt = issue();
    JsonNode h = part(jwt, 0);
    assertEquals("EdDSA", h.get("alg").asText());
    assertEquals("vc+jwt", h.get("typ").asText());
    assertEquals(issuer.did.verificationMethod(), h.get("kid").asText());
    JsonNode p = part(jwt, 1);
    assertEquals("https://www.w3.org/ns/credentials/v2", p.get("@context").get(0).asText());
    assertEquals(issuer.did.did(), p.get("issuer").asText());
    assertEquals(issuer.did.did(), p.get("iss").asText());
    assertEquals(holder.did.did(), p.get("sub").asText());
    assertEquals(holder.did.did(), p.get("credentialSubject").get("id").asText());
    assertEquals("2026-12-07T12:00:00Z", p.get("validFrom").asText());
    assertEquals("2027-01-06T12:00:00Z", p.get("validUntil").asText());
    assertEquals(NOW.plus(Duration.ofDays(30)).getEpochSecond(), p.get("exp").asLong());
    assertEquals(p.get("id").asText(), p.get("jti").asText());
    assertEquals(
        "https://www.w3.org/2018/credentials/v1", p.get("vc").get("@context").get(0).asText());
    assertEquals("BitstringStatusListEntry", p.get("credentialStatus").get(1).get("type").asText());

    VcJwt.Verified v = VcJwt.verify(jwt, holder.did.did(), issuer.did.did(), NOW);
    assertEquals(issuer.did.did(), v.issuer());
    assertEquals(holder.did.did(), v.subject());
    assertEquals("quote", v.scope());
    assertEquals("gold", v.tier());
    assertEquals(NOW, v.validFrom());
    assertEquals(NOW.plus(VcJwt.DEFAULT_VALIDITY), v.validUntil());
    assertEquals(STATUS, v.status());
    assertTrue(v.id().startsWith("urn:uuid:"));
  }

  @Test
  public void es256IssuerVerifies() throws Exception {
    TestKeys.P256 p256 = new TestKeys.P256();
    String jwt =
        VcJwt.issue(holder.did.did(), "quote", null, NOW, null, null, List.of(), p256.signer);
    assertEquals("ES256", part(jwt, 0).get("alg").asText());
    VcJwt.Verified v = VcJwt.verify(jwt, holder.did.did(), p256.did.did(), NOW);
    assertEquals(p256.did.did(), v.issuer());
    assertNull(v.tier());
    assertTrue(v.status().isEmpty());
  }

  @Test
  public void es256MustBeRawAndMatchTheIssuersKeyType() throws Exception {
    TestKeys.P256 p256 = new TestKeys.P256();
    String jwt =
        VcJwt.issue(holder.did.did(), "quote", null, NOW, null, null, List.of(), p256.signer);
    String[] parts = jwt.split("\\.");
    // the same signature in DER (what a PKCS#11 token returns unconverted) is refused
    java.security.Signature der = java.security.Signature.getInstance("SHA256withECDSA");
    der.initSign(p256.pair.getPrivate());
    der.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    String derJwt =
        parts[0]
            + "."
            + parts[1]
            + "."
            + Base64.getUrlEncoder().withoutPadding().encodeToString(der.sign());
    assertEquals(
        "vc_signature_invalid",
        assertThrows(VcException.class, () -> VcJwt.verify(derJwt, null, null, NOW)).code());
    // alg EdDSA over a P-256 issuer
    ObjectNode h = (ObjectNode) part(jwt, 0);
    h.put("alg", "EdDSA");
    String input = b64(h) + "." + parts[1];
    String mixed =
        input
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(p256.sign(input.getBytes(StandardCharsets.US_ASCII)));
    assertEquals(
        "invalid_vc",
        assertThrows(VcException.class, () -> VcJwt.verify(mixed, null, null, NOW)).code());
  }

  @Test
  public void jwtVc11ShapeIsAccepted() throws Exception {
    // what did-jwt-vc createVerifiableCredentialJwt makes: registered claims and vc only
    ObjectNode p = JSON.createObjectNode();
    p.put("iss", issuer.did.did());
    p.put("sub", holder.did.did());
    p.put("nbf", NOW.getEpochSecond());
    p.put("exp", NOW.plusSeconds(3600).getEpochSecond());
    ObjectNode vc = p.putObject("vc");
    vc.putArray("@context").add("https://www.w3.org/2018/credentials/v1");
    vc.putArray("type").add("VerifiableCredential");
    vc.putObject("credentialSubject").put("scope", "quote").put("tier", "free");
    vc.set("credentialStatus", JSON.valueToTree(STATUS.get(0).toJson()));
    ObjectNode h = JSON.createObjectNode().put("alg", "EdDSA").put("typ", "JWT");
    VcJwt.Verified v = VcJwt.verify(resign(h, p), holder.did.did(), issuer.did.did(), NOW);
    assertEquals("quote", v.scope());
    assertEquals("free", v.tier());
    assertEquals(List.of(STATUS.get(0)), v.status());
    assertEquals(NOW, v.validFrom());
  }

  @Test
  public void algNoneIsRefused() throws Exception {
    String jwt = issue();
    String[] parts = jwt.split("\\.");
    ObjectNode h = (ObjectNode) part(jwt, 0);
    h.put("alg", "none");
    assertEquals("invalid_vc", code(b64(h) + "." + parts[1] + "."));
    assertEquals("invalid_vc", code(b64(h) + "." + parts[1] + "." + parts[2]));
  }

  @Test
  public void hs256WithThePublicKeyAsSecretIsRefused() throws Exception {
    // the classic confusion: an HMAC keyed with the issuer's public key bytes
    String jwt = issue();
    ObjectNode h = (ObjectNode) part(jwt, 0);
    h.put("alg", "HS256");
    String input = b64(h) + "." + jwt.split("\\.")[1];
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(issuer.did.publicKey(), "HmacSHA256"));
    String forged =
        input
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    assertEquals("invalid_vc", code(forged));
  }

  @Test
  public void otherAlgorithmsAreRefused() throws Exception {
    for (String alg : new String[] {"ES256K", "RS256", "Ed25519", "EdDSA ", "", "ES384"}) {
      ObjectNode h = (ObjectNode) part(issue(), 0);
      h.put("alg", alg);
      assertEquals(alg, "invalid_vc", code(resign(h, part(issue(), 1))));
    }
  }

  @Test
  public void embeddedJwkWithPrivateKeyIsRefused() throws Exception {
    // an attacker's own key pair in the header, its private d included: never trusted
    TestKeys.Ed25519 attacker = new TestKeys.Ed25519();
    String jwt = issue();
    ObjectNode h = (ObjectNode) part(jwt, 0);
    h.putObject("jwk")
        .put("kty", "OKP")
        .put("crv", "Ed25519")
        .put("x", Base64.getUrlEncoder().withoutPadding().encodeToString(attacker.did.publicKey()))
        .put("d", Base64.getUrlEncoder().withoutPadding().encodeToString(attacker.seed()));
    assertEquals("invalid_vc", code(resign(h, part(jwt, 1))));
    for (String header : new String[] {"jku", "x5u", "crit"}) {
      ObjectNode h2 = (ObjectNode) part(jwt, 0);
      h2.put(header, "https://evil.example/keys");
      assertEquals(header, "invalid_vc", code(resign(h2, part(jwt, 1))));
    }
  }

  @Test
  public void oversizedCredentialIsRefusedUnread() throws Exception {
    String huge = "a".repeat(VcJwt.MAX_CHARS) + "." + "b.c";
    assertEquals("vc_too_large", code(huge));
    ObjectNode p = (ObjectNode) part(issue(), 1);
    ((ObjectNode) p.get("credentialSubject")).put("padding", "x".repeat(VcJwt.MAX_CHARS));
    assertEquals("vc_too_large", code(resign(part(issue(), 0), p)));
  }

  @Test
  public void tamperedPayloadOrForeignKeyFailsTheSignature() throws Exception {
    String jwt = issue();
    ObjectNode p = (ObjectNode) part(jwt, 1);
    ((ObjectNode) p.get("credentialSubject")).put("tier", "platinum");
    ((ObjectNode) p.get("vc").get("credentialSubject")).put("tier", "platinum");
    String[] parts = jwt.split("\\.");
    assertEquals("vc_signature_invalid", code(parts[0] + "." + b64(p) + "." + parts[2]));
    // signed by another key but naming our issuer
    TestKeys.Ed25519 other = new TestKeys.Ed25519();
    String input = parts[0] + "." + b64(p);
    String foreign =
        input
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(other.sign(input.getBytes(StandardCharsets.US_ASCII)));
    assertEquals("vc_signature_invalid", code(foreign));
    assertEquals("vc_signature_invalid", code(parts[0] + "." + parts[1] + "." + parts[2] + "AA"));
    assertEquals("invalid_vc", code(parts[0] + "." + parts[1] + "." + "!!"));
  }

  @Test
  public void kidMustBeTheIssuersVerificationMethod() throws Exception {
    TestKeys.Ed25519 other = new TestKeys.Ed25519();
    ObjectNode h = (ObjectNode) part(issue(), 0);
    h.put("kid", other.did.verificationMethod());
    assertEquals("invalid_vc", code(resign(h, part(issue(), 1))));
    h.remove("kid");
    assertEquals("quote", VcJwt.verify(resign(h, part(issue(), 1)), null, null, NOW).scope());
  }

  @Test
  public void timeWindowHasTwoMinutesOfSkew() throws Exception {
    String jwt = issue();
    Instant end = NOW.plus(VcJwt.DEFAULT_VALIDITY);
    VcJwt.verify(jwt, null, null, NOW.minusSeconds(120));
    VcJwt.verify(jwt, null, null, end.plusSeconds(119));
    assertEquals(
        "vc_not_yet_valid",
        assertThrows(VcException.class, () -> VcJwt.verify(jwt, null, null, NOW.minusSeconds(121)))
            .code());
    assertEquals(
        "vc_expired",
        assertThrows(VcException.class, () -> VcJwt.verify(jwt, null, null, end.plusSeconds(120)))
            .code());
    // the earlier of exp and validUntil wins
    ObjectNode p = (ObjectNode) part(jwt, 1);
    p.put("validUntil", "2026-12-07T12:30:00Z");
    String shorter = resign(part(jwt, 0), p);
    assertEquals(
        "vc_expired",
        assertThrows(
                VcException.class, () -> VcJwt.verify(shorter, null, null, NOW.plusSeconds(3600)))
            .code());
    // no end at all
    p.remove("validUntil");
    p.remove("exp");
    assertEquals("invalid_vc", code(resign(part(jwt, 0), p)));
  }

  @Test
  public void subjectAndIssuerMustBeTheExpectedOnes() throws Exception {
    String jwt = issue();
    TestKeys.Ed25519 other = new TestKeys.Ed25519();
    assertEquals(
        "vc_subject_mismatch",
        assertThrows(
                VcException.class, () -> VcJwt.verify(jwt, other.did.did(), issuer.did.did(), NOW))
            .code());
    assertEquals(
        "vc_issuer_mismatch",
        assertThrows(
                VcException.class, () -> VcJwt.verify(jwt, holder.did.did(), other.did.did(), NOW))
            .code());
  }

  @Test
  public void disagreeingMembersAreRefused() throws Exception {
    String jwt = issue();
    TestKeys.Ed25519 other = new TestKeys.Ed25519();
    ObjectNode p = (ObjectNode) part(jwt, 1);
    p.put("sub", other.did.did());
    assertEquals("invalid_vc", code(resign(part(jwt, 0), p)));
    ObjectNode q = (ObjectNode) part(jwt, 1);
    q.put("issuer", other.did.did());
    assertEquals("invalid_vc", code(resign(part(jwt, 0), q)));
    // duplicate member names are not resolved silently
    String[] parts = jwt.split("\\.");
    String dup =
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replaceFirst("\\{", "{\"sub\":\"" + other.did.did() + "\",");
    String input =
        parts[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(dup.getBytes(StandardCharsets.UTF_8));
    String signed =
        input
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(issuer.sign(input.getBytes(StandardCharsets.US_ASCII)));
    assertEquals("invalid_vc", code(signed));
  }

  @Test
  public void otherTokenTypesAreNoCredentials() throws Exception {
    String jwt = issue();
    for (String typ : new String[] {"at+jwt", "dpop+jwt", "vp+jwt"}) {
      ObjectNode h = (ObjectNode) part(jwt, 0);
      h.put("typ", typ);
      assertEquals(typ, "invalid_vc", code(resign(h, part(jwt, 1))));
    }
    ObjectNode p = (ObjectNode) part(jwt, 1);
    p.putArray("type").add("VerifiableCredential").add("BitstringStatusListCredential");
    assertEquals("invalid_vc", code(resign(part(jwt, 0), p)));
    p.putArray("type").add("Other");
    ((ObjectNode) p.get("vc")).putArray("type").add("Other");
    assertEquals("invalid_vc", code(resign(part(jwt, 0), p)));
    ObjectNode q = (ObjectNode) part(jwt, 1);
    q.put("iss", "https://p.example");
    q.remove("issuer");
    assertEquals("invalid_vc", code(resign(part(jwt, 0), q)));
  }

  @Test
  public void malformedStatusIsRefused() throws Exception {
    ObjectNode p = (ObjectNode) part(issue(), 1);
    ((ObjectNode) p.get("credentialStatus").get(0)).put("statusListCredential", "http://evil/s");
    assertEquals("invalid_credential_status", code(resign(part(issue(), 0), p)));
  }

  @Test
  public void issuingRefusesBadInput() throws Exception {
    assertEquals(
        "invalid_did",
        assertThrows(
                VcException.class,
                () ->
                    VcJwt.issue(
                        "did:web:x", "quote", null, NOW, null, null, List.of(), issuer.signer))
            .code());
    assertEquals(
        "invalid_vc",
        assertThrows(
                VcException.class,
                () ->
                    VcJwt.issue(
                        holder.did.did(), " ", null, NOW, null, null, List.of(), issuer.signer))
            .code());
    JwsSigner wrongAlg =
        new JwsSigner() {
          public String alg() {
            return "ES256";
          }

          public String kid() {
            return issuer.did.verificationMethod();
          }

          public byte[] sign(byte[] input) {
            return issuer.sign(input);
          }
        };
    assertEquals(
        "vc_sign_failed",
        assertThrows(
                VcException.class,
                () ->
                    VcJwt.issue(
                        holder.did.did(), "quote", null, NOW, null, null, List.of(), wrongAlg))
            .code());
    JwsSigner failing =
        JwsSigner.of(
            issuer.did,
            input -> {
              throw new IllegalStateException("backend_unavailable");
            });
    VcException e =
        assertThrows(
            VcException.class,
            () ->
                VcJwt.issue(holder.did.did(), "quote", null, NOW, null, null, List.of(), failing));
    assertEquals("vc_sign_failed", e.code());
    assertFalse(e.getMessage().contains(holder.did.did()));
  }
}
