package dev.briefcase.vc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.Test;

public class StatusListCredentialTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final String URL = "http://127.0.0.1:9099/status/revocation";

  private final TestKeys.Ed25519 issuer;

  public StatusListCredentialTest() throws Exception {
    issuer = new TestKeys.Ed25519();
  }

  private String issue(String purpose, BitstringStatusList.Builder b) throws VcException {
    return StatusListCredential.issue(URL, purpose, b.encode(), 300_000L, NOW, null, issuer.signer);
  }

  private StatusListCredential.Verified verify(String jwt) throws VcException {
    return StatusListCredential.verify(jwt, issuer.did.did(), NOW);
  }

  @Test
  public void issuedListVerifiesAndGivesOutcomes() throws Exception {
    BitstringStatusList.Builder b = new BitstringStatusList.Builder(131_072, 1);
    b.set(3, 1);
    String jwt = issue("revocation", b);
    JsonNode p = JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    assertEquals("BitstringStatusListCredential", p.get("type").get(1).asText());
    assertEquals(URL + "#list", p.get("credentialSubject").get("id").asText());
    assertEquals("BitstringStatusList", p.get("credentialSubject").get("type").asText());

    StatusListCredential.Verified v = verify(jwt);
    assertEquals(URL, v.id());
    assertEquals("revocation", v.statusPurpose());
    assertEquals(Long.valueOf(300_000L), v.ttlMillis());
    assertEquals(131_072, v.list().bitLength());

    assertEquals(StatusOutcome.REVOKED, StatusOutcome.of(entry("revocation", 3, 1), v));
    assertEquals(StatusOutcome.VALID, StatusOutcome.of(entry("revocation", 4, 1), v));
    assertEquals(StatusOutcome.UNKNOWN, StatusOutcome.of(entry("suspension", 3, 1), v));
    assertEquals(StatusOutcome.UNKNOWN, StatusOutcome.of(entry("revocation", 131_072, 1), v));
  }

  @Test
  public void otherPurposesAreInvalidWhenNonZero() throws Exception {
    BitstringStatusList.Builder b = new BitstringStatusList.Builder(131_072, 2);
    b.set(0, 1);
    b.set(1, 2);
    StatusListCredential.Verified v = verify(issue("suspension", b));
    assertEquals(StatusOutcome.INVALID, StatusOutcome.of(entry("suspension", 0, 2), v));
    assertEquals(StatusOutcome.INVALID, StatusOutcome.of(entry("suspension", 1, 2), v));
    assertEquals(StatusOutcome.VALID, StatusOutcome.of(entry("suspension", 2, 2), v));
    // revocation with a wider entry: only the value 1 is "revoked", others fail closed
    BitstringStatusList.Builder r = new BitstringStatusList.Builder(131_072, 2);
    r.set(0, 3);
    assertEquals(
        StatusOutcome.INVALID,
        StatusOutcome.of(entry("revocation", 0, 2), verify(issue("revocation", r))));
  }

  private static StatusEntry entry(String purpose, long index, int size) {
    return new StatusEntry(null, purpose, index, URL, size);
  }

  @Test
  public void listFromAnotherIssuerIsRefused() throws Exception {
    TestKeys.Ed25519 other = new TestKeys.Ed25519();
    String jwt =
        StatusListCredential.issue(
            URL,
            "revocation",
            new BitstringStatusList.Builder(131_072, 1).encode(),
            null,
            NOW,
            null,
            other.signer);
    assertEquals("vc_issuer_mismatch", assertThrows(VcException.class, () -> verify(jwt)).code());
    assertEquals(
        "vc_issuer_mismatch",
        assertThrows(VcException.class, () -> StatusListCredential.verify(jwt, null, NOW)).code());
  }

  @Test
  public void anEntitlementIsNoStatusList() throws Exception {
    String vc =
        VcJwt.issue(
            issuer.did.did(), "quote", null, NOW, null, null, java.util.List.of(), issuer.signer);
    assertEquals("invalid_status_list", assertThrows(VcException.class, () -> verify(vc)).code());
  }

  @Test
  public void oversizedListCredentialIsRefusedUnread() throws Exception {
    String huge = "a".repeat(StatusListCredential.MAX_CHARS) + ".b.c";
    assertEquals(
        "status_list_too_large", assertThrows(VcException.class, () -> verify(huge)).code());
  }

  @Test
  public void signedBombIsStoppedAtTheInflationCap() throws Exception {
    // 24 MiB of ones deflate to well under 1 MiB: a validly signed list that would inflate too far
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      byte[] chunk = new byte[1 << 20];
      java.util.Arrays.fill(chunk, (byte) 0xff);
      for (int i = 0; i < 24; i++) {
        gz.write(chunk);
      }
    }
    String encoded =
        "u" + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
    String jwt =
        StatusListCredential.issue(URL, "revocation", encoded, null, NOW, null, issuer.signer);
    assertEquals(
        "status_list_too_large", assertThrows(VcException.class, () -> verify(jwt)).code());
  }

  @Test
  public void expiredListAndTamperedListAreRefused() throws Exception {
    String jwt =
        StatusListCredential.issue(
            URL,
            "revocation",
            new BitstringStatusList.Builder(131_072, 1).encode(),
            null,
            NOW,
            NOW.plusSeconds(600),
            issuer.signer);
    assertEquals(
        "vc_expired",
        assertThrows(
                VcException.class,
                () -> StatusListCredential.verify(jwt, issuer.did.did(), NOW.plusSeconds(720)))
            .code());
    String[] parts = jwt.split("\\.");
    ObjectNode p = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    ((ObjectNode) p.get("credentialSubject"))
        .put("encodedList", new BitstringStatusList.Builder(131_072, 1).encode());
    ((ObjectNode) p.get("credentialSubject")).put("statusPurpose", "suspension");
    String tampered =
        parts[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(p.toString().getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    assertEquals(
        "vc_signature_invalid", assertThrows(VcException.class, () -> verify(tampered)).code());
  }

  @Test
  public void issuingRefusesBadUrlOrList() {
    assertEquals(
        "invalid_credential_status",
        assertThrows(
                VcException.class,
                () ->
                    StatusListCredential.issue(
                        "http://p.example/s",
                        "revocation",
                        "uH4sI",
                        null,
                        NOW,
                        null,
                        issuer.signer))
            .code());
    assertEquals(
        "invalid_status_list",
        assertThrows(
                VcException.class,
                () ->
                    StatusListCredential.issue(
                        URL, "revocation", "zabc", null, NOW, null, issuer.signer))
            .code());
  }
}
