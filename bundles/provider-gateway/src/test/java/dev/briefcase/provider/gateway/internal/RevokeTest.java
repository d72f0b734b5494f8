package dev.briefcase.provider.gateway.internal;

import static dev.briefcase.provider.gateway.internal.Fixture.headers;
import static dev.briefcase.provider.gateway.internal.Fixture.json;
import static dev.briefcase.provider.gateway.internal.QuoteChecksTest.refused;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.briefcase.store.internal.SqliteStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.Test;

/** POST /api/revoke, the JWKS and the store-backed denylist. */
public class RevokeTest {
  final Fixture f = new Fixture();
  final ProviderApi api =
      f.api(Fixture.settings(0, false, false, 0, null), new PaymentChallenge(null, null, 0));

  ApiResponse revoke(String body, String... headers) {
    return ProviderApi.answer(
        () -> api.revoke(headers(headers), body.getBytes(StandardCharsets.UTF_8)));
  }

  String mint() {
    return json(api.mint(headers(), new byte[0]).body()).get("token").asText();
  }

  @Test
  public void revokeByJtiThenTheQuoteIsRevoked() {
    String token = mint();
    String jti = Fixture.claims(token).get("jti").asText();
    ApiResponse r = revoke("{\"jti\":\"" + jti + "\"}", "x-aag-admin-secret", "s3cret-admin");
    assertEquals(200, r.status());
    assertTrue(json(r.body()).get("revoked").asBoolean());
    assertEquals(jti, json(r.body()).get("jti").asText());
    assertEquals(f.clock.now.plusSeconds(600 + 3600), f.denylist.revoked.get(jti));
    ApiResponse q =
        ProviderApi.answer(() -> api.quote(headers("Authorization", "Bearer " + token), "ACME"));
    refused(q, 403, "capability_revoked");
  }

  @Test
  public void revokeByTokenKeepsItAnHourPastExpiry() {
    String token = mint();
    ApiResponse r = revoke("{\"token\":\"" + token + "\"}", "x-aag-admin-secret", "s3cret-admin");
    assertEquals(200, r.status());
    String jti = Fixture.claims(token).get("jti").asText();
    assertEquals(jti, json(r.body()).get("jti").asText());
    assertEquals(
        Instant.ofEpochSecond(Fixture.claims(token).get("exp").asLong() + 3600),
        f.denylist.revoked.get(jti));
  }

  @Test
  public void missingOrWrongSecretIs401AndRevokesNothing() {
    String jti = Fixture.claims(mint()).get("jti").asText();
    refused(revoke("{\"jti\":\"" + jti + "\"}"), 401, "invalid_admin_secret");
    refused(
        revoke("{\"jti\":\"" + jti + "\"}", "x-aag-admin-secret", "s3cret-admiN"),
        401,
        "invalid_admin_secret");
    refused(
        revoke("{\"jti\":\"" + jti + "\"}", "x-aag-admin-secret", "s3cret-admin-and-more"),
        401,
        "invalid_admin_secret");
    refused(
        revoke("{\"jti\":\"" + jti + "\"}", "x-aag-admin-secret", ""), 401, "invalid_admin_secret");
    assertTrue(f.denylist.revoked.isEmpty());
  }

  @Test
  public void unsetSecretIs503WhateverIsSent() {
    f.adminSecret = null;
    refused(revoke("{\"jti\":\"x\"}", "x-aag-admin-secret", "anything"), 503, "admin_secret_unset");
    f.adminSecret = new byte[0];
    refused(revoke("{\"jti\":\"x\"}", "x-aag-admin-secret", ""), 503, "admin_secret_unset");
    assertTrue(f.denylist.revoked.isEmpty());
  }

  @Test
  public void badBodiesAreRefusedAndRevokeNothing() {
    String s = "s3cret-admin";
    refused(revoke("{}", "x-aag-admin-secret", s), 400, "invalid_request");
    refused(
        revoke("{\"jti\":\"a\",\"token\":\"b\"}", "x-aag-admin-secret", s), 400, "invalid_request");
    refused(revoke("{\"jti\":\"a\",\"extra\":1}", "x-aag-admin-secret", s), 400, "invalid_request");
    refused(revoke("{\"jti\":\"a b\"}", "x-aag-admin-secret", s), 400, "invalid_jti");
    refused(
        revoke("{\"jti\":\"" + "j".repeat(129) + "\"}", "x-aag-admin-secret", s),
        400,
        "invalid_jti");
    refused(revoke("{\"jti\":7}", "x-aag-admin-secret", s), 400, "invalid_jti");
    refused(revoke("{\"jti\":\"a\",\"jti\":\"b\"}", "x-aag-admin-secret", s), 400, "invalid_json");
    refused(revoke("not json", "x-aag-admin-secret", s), 400, "invalid_json");
    Fixture.EdKey attacker = new Fixture.EdKey();
    String forged =
        attacker.jws(
            Json.newObject().put("alg", "EdDSA").put("typ", "JWT"),
            (com.fasterxml.jackson.databind.node.ObjectNode) Fixture.claims(mint()));
    refused(
        revoke("{\"token\":\"" + forged + "\"}", "x-aag-admin-secret", s), 400, "invalid_token");
    assertTrue(f.denylist.revoked.isEmpty());
  }

  @Test
  public void secretComparisonCoversContentAndLength() {
    byte[] secret = "abc".getBytes(StandardCharsets.UTF_8);
    assertTrue(ProviderApi.sameSecret("abc".getBytes(StandardCharsets.UTF_8), secret));
    assertFalse(ProviderApi.sameSecret("abd".getBytes(StandardCharsets.UTF_8), secret));
    assertFalse(ProviderApi.sameSecret("abcd".getBytes(StandardCharsets.UTF_8), secret));
    assertFalse(ProviderApi.sameSecret(new byte[0], secret));
  }

  @Test
  public void jwksPublishesTheIdentityKeyUnderTheTokensKid() {
    ApiResponse r = api.jwks();
    var key = json(r.body()).get("keys").get(0);
    assertEquals("OKP", key.get("kty").asText());
    assertEquals("Ed25519", key.get("crv").asText());
    assertEquals(f.identity.x, key.get("x").asText());
    assertEquals("EdDSA", key.get("alg").asText());
    assertEquals(Fixture.header(mint()).get("kid").asText(), key.get("kid").asText());
    assertFalse(json(r.body()).toString().contains("\"d\""));
  }

  @Test
  public void storeDenylistSurvivesARestart() throws Exception {
    Path dir = Files.createTempDirectory("provider-denylist");
    SqliteStore store = new SqliteStore(dir.resolve("briefcase.db"));
    try {
      StoreDenylist list = new StoreDenylist(store, f.clock);
      assertFalse(list.isRevoked("j1"));
      list.revoke("j1", f.clock.now.plusSeconds(4200));
      list.revoke("j1", f.clock.now.plusSeconds(10));
      assertTrue(list.isRevoked("j1"));
    } finally {
      store.close();
    }
    SqliteStore again = new SqliteStore(dir.resolve("briefcase.db"));
    try {
      StoreDenylist list = new StoreDenylist(again, f.clock);
      assertTrue(list.isRevoked("j1"));
      f.clock.now = f.clock.now.plusSeconds(4201);
      list.revoke("j2", f.clock.now.plusSeconds(4200));
      assertFalse("purged after keep_until", list.isRevoked("j1"));
      assertTrue(list.isRevoked("j2"));
    } finally {
      again.close();
    }
  }
}
