package dev.briefcase.receipts.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.Test;

public class CheckpointTest {

  private static final String HASH = "ab".repeat(32);
  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  public void statementIsTheCanonicalJsonOfTheDocumentedMembers() {
    assertEquals(
        "{\"alg\":\"EdDSA\",\"count\":42,\"head_hash_hex\":\""
            + HASH
            + "\",\"kid\":\"kid-1\",\"seq\":42,\"type\":\"briefcase.receipts.checkpoint.v1\"}",
        Checkpoint.statement(42, HASH, 42, "kid-1", "EdDSA"));
  }

  @Test
  public void aV2StatementSignsTheCadence() {
    assertEquals(
        "{\"alg\":\"EdDSA\",\"count\":42,\"every\":256,\"head_hash_hex\":\""
            + HASH
            + "\",\"kid\":\"kid-1\",\"seq\":42,\"type\":\"briefcase.receipts.checkpoint.v2\"}",
        Checkpoint.statement(42, HASH, 42, "kid-1", "EdDSA", 256));
    Checkpoint.Fields f = new Checkpoint.Fields(42, HASH, 42, "kid-1", "EdDSA", "sig", 7);
    com.fasterxml.jackson.databind.JsonNode event = Checkpoint.event("2026-12-07T00:00:00Z", f);
    assertEquals(7, event.get("every").asLong());
    assertEquals(f, Checkpoint.fields(event));
    // v1 events have no every
    Checkpoint.Fields v1 = new Checkpoint.Fields(42, HASH, 42, "kid-1", "EdDSA", "sig");
    assertEquals(0, Checkpoint.fields(Checkpoint.event("2026-12-07T00:00:00Z", v1)).every());
    assertEquals(3 * 7, Checkpoint.bound(7));
    assertEquals(3 * Checkpoint.DEFAULT_EVERY, Checkpoint.bound(0));
  }

  @Test
  public void statementRefusesMalformedMembers() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Checkpoint.statement(1, "AB".repeat(32), 1, "k", "EdDSA"));
    assertThrows(
        IllegalArgumentException.class, () -> Checkpoint.statement(0, HASH, 0, "k", "EdDSA"));
    assertThrows(
        IllegalArgumentException.class, () -> Checkpoint.statement(1, HASH, 1, "", "EdDSA"));
    assertThrows(
        IllegalArgumentException.class, () -> Checkpoint.statement(1, HASH, 1, "k", "none"));
  }

  @Test
  public void eventRoundTripsAndAnEd25519SignatureVerifies() throws Exception {
    FakeKeys keys = new FakeKeys();
    Checkpoint.VerificationKey key = Checkpoint.verificationKey(keys.publicJwk());
    assertEquals("EdDSA", key.alg());
    Checkpoint.Fields unsigned = new Checkpoint.Fields(7, HASH, 7, key.kid(), "EdDSA", "");
    String sig =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(keys.sign("identity", Checkpoint.statementBytes(unsigned)));
    ObjectNode event =
        Checkpoint.event(
            "2026-12-07T00:00:00Z", new Checkpoint.Fields(7, HASH, 7, key.kid(), "EdDSA", sig));
    assertEquals("checkpoint", event.get("kind").asText());
    Checkpoint.Fields read = Checkpoint.fields(mapper.readTree(event.toString()));
    assertTrue(Checkpoint.signatureValid(read, key));

    // any change to the signed members breaks the signature
    assertFalse(
        Checkpoint.signatureValid(
            new Checkpoint.Fields(7, "cd".repeat(32), 7, key.kid(), "EdDSA", sig), key));
    assertFalse(
        Checkpoint.signatureValid(new Checkpoint.Fields(8, HASH, 8, key.kid(), "EdDSA", sig), key));
    // another key, a padded or truncated signature
    Checkpoint.VerificationKey other = Checkpoint.verificationKey(new FakeKeys().publicJwk());
    assertFalse(
        Checkpoint.signatureValid(
            new Checkpoint.Fields(7, HASH, 7, other.kid(), "EdDSA", sig), other));
    assertFalse(
        Checkpoint.signatureValid(
            new Checkpoint.Fields(7, HASH, 7, key.kid(), "EdDSA", sig + "="), key));
    assertFalse(
        Checkpoint.signatureValid(
            new Checkpoint.Fields(7, HASH, 7, key.kid(), "EdDSA", sig.substring(4)), key));
  }

  @Test
  public void es256SignaturesVerifyToo() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    ECPublicKey pub = (ECPublicKey) pair.getPublic();
    String jwk =
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
            + b64(fixed(pub.getW().getAffineX().toByteArray()))
            + "\",\"y\":\""
            + b64(fixed(pub.getW().getAffineY().toByteArray()))
            + "\"}";
    Checkpoint.VerificationKey key = Checkpoint.verificationKey(jwk);
    assertEquals("ES256", key.alg());
    Checkpoint.Fields unsigned = new Checkpoint.Fields(3, HASH, 3, key.kid(), "ES256", "");
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(pair.getPrivate());
    s.update(Checkpoint.statementBytes(unsigned));
    String sig = b64(s.sign());
    assertTrue(
        Checkpoint.signatureValid(new Checkpoint.Fields(3, HASH, 3, key.kid(), "ES256", sig), key));
  }

  @Test
  public void thumbprintIsRfc7638() {
    // RFC 8037 appendix A.3
    String jwk =
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
    assertEquals(
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", Checkpoint.verificationKey(jwk).kid());
  }

  @Test
  public void privateOrForeignJwksAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Checkpoint.verificationKey(
                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
                    + "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Checkpoint.verificationKey("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Checkpoint.verificationKey("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"));
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] fixed(byte[] raw) {
    byte[] out = new byte[32];
    int n = Math.min(32, raw.length);
    System.arraycopy(raw, raw.length - n, out, 32 - n, n);
    return out;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
