package dev.briefcase.provider.gateway.internal;

import static dev.briefcase.provider.gateway.internal.Fixture.BASE;
import static dev.briefcase.provider.gateway.internal.Fixture.json;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.vc.BitstringStatusList;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.JwsSigner;
import dev.briefcase.vc.StatusEntry;
import dev.briefcase.vc.StatusListCredential;
import dev.briefcase.vc.VcJwt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** POST /vc/issue, GET /status/{purpose}, the admin status routes and the x-vc-jwt mint. */
public class VcTest {
  static final String ISSUE = BASE + "/vc/issue";
  static final String TOKEN = BASE + "/token";
  static final String SECRET = "s3cret-admin";

  final Fixture f = new Fixture();
  final Settings settings = Fixture.settings(1000, false, false, 0, null);
  final Fixture.EdKey holderKey = new Fixture.EdKey();
  final String holderDid = did(holderKey);
  Path dir;
  SqliteStore store;
  IssuedCredentials table;
  VcIssuer issuer;
  ProviderApi api;

  static String did(Fixture.EdKey key) {
    try {
      return DidKey.ed25519(key.pub).did();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Before
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("provider-vc");
    open();
  }

  private void open() {
    store = new SqliteStore(dir.resolve("briefcase.db"));
    table = new IssuedCredentials(store);
    issuer =
        new VcIssuer(settings, f.clock, f.identity, table, new SecureRandom(), "gold", 300_000);
    api = f.api(settings, new PaymentChallenge(null, null, 1000), issuer);
  }

  @After
  public void tearDown() {
    store.close();
  }

  String accessToken(String scope, String jkt) {
    ObjectNode c =
        Json.newObject()
            .put("iss", BASE)
            .put("aud", BASE)
            .put("sub", "client-1")
            .put("client_id", "client-1")
            .put("scope", scope)
            .put("iat", f.clock.now.getEpochSecond())
            .put("exp", f.clock.now.getEpochSecond() + 600)
            .put("jti", "at-" + System.nanoTime());
    if (jkt != null) {
      c.putObject("cnf").put("jkt", jkt);
    }
    return f.identity.jws(
        Json.newObject()
            .put("alg", "EdDSA")
            .put("typ", "at+jwt")
            .put("kid", f.identity.current().kid()),
        c);
  }

  ApiResponse issue(String did, String... headers) {
    return ProviderApi.answer(() -> api.issueVc(Fixture.headers(headers), did));
  }

  /** A VC for the holder, bound to {@code key}, by a Bearer token with scope vc. */
  String issueVc(Fixture.EdKey key) {
    ApiResponse r =
        issue(
            holderDid,
            "Authorization",
            "Bearer " + accessToken("vc", null),
            "DPoP",
            key.proof("POST", ISSUE, f.clock.now, null, null));
    assertEquals(new String(r.body(), StandardCharsets.UTF_8), 200, r.status());
    return json(r.body()).get("vc_jwt").asText();
  }

  ApiResponse mint(String vc, Fixture.EdKey proofKey) {
    return ProviderApi.answer(
        () ->
            api.mint(
                Fixture.headers(
                    "x-vc-jwt",
                    vc,
                    "DPoP",
                    proofKey == null
                        ? null
                        : proofKey.proof("POST", TOKEN, f.clock.now, null, null)),
                new byte[0]));
  }

  ApiResponse admin(String route, String body, String secret) {
    VcIssuer.Action action = VcIssuer.Action.valueOf(route.toUpperCase(java.util.Locale.ROOT));
    return ProviderApi.answer(
        () ->
            api.vcStatus(
                Fixture.headers("x-aag-admin-secret", secret),
                action,
                body.getBytes(StandardCharsets.UTF_8)));
  }

  ApiResponse status(String purpose, String ifNoneMatch) {
    return ProviderApi.answer(
        () -> api.statusList(Fixture.headers("If-None-Match", ifNoneMatch), purpose));
  }

  static void refused(ApiResponse r, int status, String code) {
    assertEquals(new String(r.body(), StandardCharsets.UTF_8), status, r.status());
    assertEquals(code, r.headers().get("x-briefcase-error"));
    assertEquals(code, json(r.body()).get("error").asText());
  }

  static long bit(String statusJwt, long index) throws Exception {
    JsonNode s = Fixture.claims(statusJwt).get("credentialSubject");
    return BitstringStatusList.decode(s.get("encodedList").asText()).get(index, 1);
  }

  String vcId(String vc) {
    return Fixture.claims(vc).get("id").asText();
  }

  long index(String vc) {
    return Fixture.claims(vc).get("credentialStatus").get(0).get("statusListIndex").asLong();
  }

  // ---- issue ----

  @Test
  public void issuedVcIsBoundToTheProofKeyWithBothStatusEntriesAtOneIndex() throws Exception {
    String vc = issueVc(holderKey);
    String own = DidKey.ed25519(f.identity.pub).did();
    VcJwt.Verified v = VcJwt.verify(vc, holderDid, own, f.clock.now);
    assertEquals("quote", v.scope());
    assertEquals("gold", v.tier());
    assertEquals(f.clock.now.plus(Duration.ofDays(30)), v.validUntil());
    assertEquals(holderKey.jkt(), VcJwt.confirmationJkt(vc));
    assertEquals("vc+jwt", Fixture.header(vc).get("typ").asText());
    assertEquals(2, v.status().size());
    assertEquals(StatusEntry.REVOCATION, v.status().get(0).statusPurpose());
    assertEquals(StatusEntry.SUSPENSION, v.status().get(1).statusPurpose());
    assertEquals(v.status().get(0).statusListIndex(), v.status().get(1).statusListIndex());
    assertEquals(BASE + "/status/revocation", v.status().get(0).statusListCredential());
    assertEquals(BASE + "/status/suspension", v.status().get(1).statusListCredential());
    IssuedCredentials.Row row = table.byId(v.id()).orElseThrow();
    assertEquals(holderDid, row.holder());
    assertEquals(v.status().get(0).statusListIndex(), row.index());
    assertNull(row.revokedAt());
    assertFalse(row.suspended());
  }

  @Test
  public void aDpopBoundAccessTokenIssuesWithItsOwnProof() {
    String at = accessToken("vc", holderKey.jkt());
    ApiResponse r =
        issue(
            holderDid,
            "Authorization",
            "DPoP " + at,
            "DPoP",
            holderKey.proof("POST", ISSUE, f.clock.now, at, null));
    assertEquals(200, r.status());
    Fixture.EdKey other = new Fixture.EdKey();
    refused(
        issue(
            holderDid,
            "Authorization",
            "DPoP " + at,
            "DPoP",
            other.proof("POST", ISSUE, f.clock.now, at, null)),
        400,
        "invalid_dpop");
    refused(
        issue(
            holderDid,
            "Authorization",
            "Bearer " + at,
            "DPoP",
            holderKey.proof("POST", ISSUE, f.clock.now, null, null)),
        401,
        "invalid_token");
  }

  @Test
  public void indexesAreRandomAndUnique() {
    List<Long> indexes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      indexes.add(index(issueVc(holderKey)));
    }
    assertEquals(8, new HashSet<>(indexes).size());
    int sequential = 0;
    for (int i = 1; i < indexes.size(); i++) {
      if (indexes.get(i) == indexes.get(i - 1) + 1) {
        sequential++;
      }
    }
    assertTrue("not handed out in order: " + indexes, sequential < 7);
  }

  @Test
  public void badIssueRequestsChangeNothing() {
    String proof = holderKey.proof("POST", ISSUE, f.clock.now, null, null);
    refused(issue(holderDid, "DPoP", proof), 401, "invalid_token");
    refused(
        issue(holderDid, "Authorization", "Bearer " + accessToken("quote", null), "DPoP", proof),
        403,
        "insufficient_scope");
    String at = "Bearer " + accessToken("vc", null);
    refused(issue("did:web:example.com", "Authorization", at, "DPoP", proof), 400, "invalid_did");
    refused(issue(null, "Authorization", at, "DPoP", proof), 400, "invalid_did");
    refused(
        issue("did:key:z" + "6".repeat(300), "Authorization", at, "DPoP", proof),
        400,
        "invalid_did");
    refused(issue(holderDid, "Authorization", at), 400, "missing_dpop");
    refused(
        issue(
            holderDid,
            "Authorization",
            at,
            "DPoP",
            holderKey.proof("POST", TOKEN, f.clock.now, null, null)),
        400,
        "invalid_dpop");
    // a forged access token (signed by another key) issues nothing
    Fixture.EdKey attacker = new Fixture.EdKey();
    String forged =
        attacker.jws(
            Json.newObject()
                .put("alg", "EdDSA")
                .put("typ", "at+jwt")
                .put("kid", f.identity.current().kid()),
            (ObjectNode) Fixture.claims(accessToken("vc", null)));
    refused(
        issue(holderDid, "Authorization", "Bearer " + forged, "DPoP", proof), 401, "invalid_token");
    assertTrue(table.all().isEmpty());
  }

  // ---- mint with x-vc-jwt ----

  @Test
  public void vcMintBindsTheCapabilityToTheHolderKeyAndNeverAsksForPayment() {
    String vc = issueVc(holderKey);
    ApiResponse r = mint(vc, holderKey);
    assertEquals(new String(r.body(), StandardCharsets.UTF_8), 200, r.status());
    String token = json(r.body()).get("token").asText();
    assertEquals(holderKey.jkt(), Fixture.claims(token).get("cnf").get("jkt").asText());
  }

  @Test
  public void aStolenVcIsUselessWithoutTheHolderKey() {
    String vc = issueVc(holderKey);
    refused(mint(vc, new Fixture.EdKey()), 401, "vc_holder_mismatch");
    refused(mint(vc, null), 401, "vc_holder_mismatch");
    ApiResponse legacy =
        ProviderApi.answer(
            () ->
                api.mint(
                    Fixture.headers("x-vc-jwt", vc, "x-briefcase-pop-pub", holderKey.x),
                    new byte[0]));
    refused(legacy, 401, "vc_holder_mismatch");
  }

  @Test
  public void aVcOfAnotherIssuerIsRefused() throws Exception {
    Fixture.EdKey other = new Fixture.EdKey();
    JwsSigner signer = JwsSigner.of(DidKey.ed25519(other.pub), other::sign);
    String vc =
        VcJwt.issue(
            holderDid,
            "quote",
            "gold",
            f.clock.now,
            null,
            null,
            List.of(),
            holderKey.jkt(),
            signer);
    refused(mint(vc, holderKey), 401, "vc_issuer_mismatch");
  }

  @Test
  public void aVcSignedByOurKeyButNeverIssuedIsRefused() throws Exception {
    JwsSigner signer = JwsSigner.of(DidKey.ed25519(f.identity.pub), f.identity::sign);
    List<StatusEntry> status =
        List.of(
            StatusEntry.of(null, "revocation", 5, BASE + "/status/revocation", 1),
            StatusEntry.of(null, "suspension", 5, BASE + "/status/suspension", 1));
    String vc =
        VcJwt.issue(
            holderDid, "quote", "gold", f.clock.now, null, null, status, holderKey.jkt(), signer);
    refused(mint(vc, holderKey), 401, "invalid_vc");
    String unbound =
        VcJwt.issue(holderDid, "quote", "gold", f.clock.now, null, null, status, signer);
    refused(mint(unbound, holderKey), 401, "vc_holder_mismatch");
  }

  @Test
  public void anExpiredVcIsRefused() {
    String vc = issueVc(holderKey);
    f.clock.now = f.clock.now.plus(Duration.ofDays(31));
    refused(mint(vc, holderKey), 401, "vc_expired");
  }

  @Test
  public void aTamperedVcIsRefused() {
    String vc = issueVc(holderKey);
    String[] parts = vc.split("\\.");
    ObjectNode claims = (ObjectNode) Fixture.claims(vc);
    claims.putObject("cnf").put("jkt", new Fixture.EdKey().jkt());
    String tampered =
        parts[0] + "." + Fixture.B64.encodeToString(Json.bytes(claims)) + "." + parts[2];
    refused(mint(tampered, holderKey), 401, "vc_signature_invalid");
  }

  @Test
  public void noneAndHs256VcsAreRefused() throws Exception {
    String vc = issueVc(holderKey);
    String payload = vc.split("\\.")[1];
    String none =
        Fixture.B64.encodeToString("{\"alg\":\"none\",\"typ\":\"vc+jwt\"}".getBytes())
            + "."
            + payload
            + ".";
    refused(mint(none, holderKey), 401, "invalid_vc");
    String hsInput =
        Fixture.B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"vc+jwt\"}".getBytes())
            + "."
            + payload;
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    // the classic confusion: the public key as the HMAC secret
    mac.init(new javax.crypto.spec.SecretKeySpec(f.identity.pub, "HmacSHA256"));
    String hs =
        hsInput
            + "."
            + Fixture.B64.encodeToString(mac.doFinal(hsInput.getBytes(StandardCharsets.US_ASCII)));
    refused(mint(hs, holderKey), 401, "invalid_vc");
  }

  @Test
  public void anOversizedVcHeaderIsRefused() {
    refused(mint("e".repeat(ProviderApi.MAX_VC_CHARS + 1), holderKey), 400, "header_too_large");
  }

  @Test
  public void revokedAndSuspendedVcsMintNothing() throws Exception {
    String vc = issueVc(holderKey);
    String id = vcId(vc);
    String first = new String(status("revocation", null).body(), StandardCharsets.US_ASCII);
    assertEquals(0, bit(first, index(vc)));

    ApiResponse s = admin("suspend", "{\"id\":\"" + id + "\"}", SECRET);
    assertEquals(200, s.status());
    refused(mint(vc, holderKey), 401, "vc_suspended");
    String suspension = new String(status("suspension", null).body(), StandardCharsets.US_ASCII);
    assertEquals(1, bit(suspension, index(vc)));
    assertEquals(200, admin("unsuspend", "{\"id\":\"" + id + "\"}", SECRET).status());
    assertEquals(200, mint(vc, holderKey).status());

    ApiResponse r = admin("revoke", "{\"id\":\"" + id + "\"}", SECRET);
    assertEquals(200, r.status());
    assertEquals(id, json(r.body()).get("ids").get(0).asText());
    refused(mint(vc, holderKey), 401, "vc_revoked");
    String after = new String(status("revocation", null).body(), StandardCharsets.US_ASCII);
    assertNotEquals(first, after);
    assertEquals(1, bit(after, index(vc)));
    assertTrue(table.byId(id).orElseThrow().revokedAt() != null);
  }

  @Test
  public void revokingByHolderRevokesEveryVcOfThatHolder() {
    String a = issueVc(holderKey);
    String b = issueVc(holderKey);
    ApiResponse r = admin("revoke", "{\"holder_did\":\"" + holderDid + "\"}", SECRET);
    assertEquals(200, r.status());
    assertEquals(2, json(r.body()).get("ids").size());
    refused(mint(a, holderKey), 401, "vc_revoked");
    refused(mint(b, holderKey), 401, "vc_revoked");
  }

  @Test
  public void adminRoutesRefuseBadSecretsAndInputAndChangeNothing() {
    String vc = issueVc(holderKey);
    String id = vcId(vc);
    String body = "{\"id\":\"" + id + "\"}";
    refused(admin("revoke", body, "wrong"), 401, "invalid_admin_secret");
    refused(admin("revoke", body, null), 401, "invalid_admin_secret");
    refused(admin("suspend", body, "wrong"), 401, "invalid_admin_secret");
    f.adminSecret = null;
    refused(admin("revoke", body, SECRET), 503, "admin_secret_unset");
    f.adminSecret = SECRET.getBytes(StandardCharsets.UTF_8);
    refused(admin("revoke", "{\"id\":\"x\"}", SECRET), 400, "invalid_vc_id");
    refused(admin("revoke", "{\"holder_did\":\"did:web:x\"}", SECRET), 400, "invalid_did");
    refused(
        admin("revoke", "{\"id\":\"" + id + "\",\"holder_did\":\"" + holderDid + "\"}", SECRET),
        400,
        "invalid_request");
    refused(admin("revoke", "[]", SECRET), 400, "invalid_json");
    refused(
        admin("revoke", "{\"id\":\"urn:uuid:00000000-0000-4000-8000-000000000000\"}", SECRET),
        404,
        "vc_not_found");
    assertEquals(200, mint(vc, holderKey).status());
    assertNull(table.byId(id).orElseThrow().revokedAt());
  }

  // ---- status lists ----

  @Test
  public void statusListIsSignedCachedAndTaggedUntilABitChanges() throws Exception {
    String vc = issueVc(holderKey);
    ApiResponse r = status("revocation", null);
    assertEquals(200, r.status());
    assertEquals("application/vc+jwt", r.headers().get("Content-Type"));
    assertEquals("max-age=300", r.headers().get("Cache-Control"));
    String etag = r.headers().get("ETag");
    String body = new String(r.body(), StandardCharsets.US_ASCII);
    assertEquals(VcIssuer.etag(body), etag);
    String own = DidKey.ed25519(f.identity.pub).did();
    StatusListCredential.Verified list = StatusListCredential.verify(body, own, f.clock.now);
    assertEquals("revocation", list.statusPurpose());
    assertEquals(Long.valueOf(300_000), list.ttlMillis());
    assertEquals(BASE + "/status/revocation", list.id());
    assertEquals(131_072, list.list().bitLength());

    f.clock.now = f.clock.now.plusSeconds(60);
    ApiResponse again = status("revocation", null);
    assertEquals(
        "not re-signed without a change",
        body,
        new String(again.body(), StandardCharsets.US_ASCII));
    ApiResponse notModified = status("revocation", "\"other\", " + etag);
    assertEquals(304, notModified.status());
    assertEquals(0, notModified.body().length);
    assertEquals(etag, notModified.headers().get("ETag"));

    admin("revoke", "{\"id\":\"" + vcId(vc) + "\"}", SECRET);
    ApiResponse changed = status("revocation", etag);
    assertEquals(200, changed.status());
    assertNotEquals(etag, changed.headers().get("ETag"));
    assertEquals(1, bit(new String(changed.body(), StandardCharsets.US_ASCII), index(vc)));
    // the other list did not change
    assertEquals(
        0,
        bit(new String(status("suspension", null).body(), StandardCharsets.US_ASCII), index(vc)));
    refused(status("other", null), 404, "not_found");
  }

  @Test
  public void listsAreRebuiltFromTheTableAfterARestart() throws Exception {
    String revoked = issueVc(holderKey);
    String suspended = issueVc(holderKey);
    String fine = issueVc(holderKey);
    admin("revoke", "{\"id\":\"" + vcId(revoked) + "\"}", SECRET);
    admin("suspend", "{\"id\":\"" + vcId(suspended) + "\"}", SECRET);
    store.close();
    open();
    refused(mint(revoked, holderKey), 401, "vc_revoked");
    refused(mint(suspended, holderKey), 401, "vc_suspended");
    assertEquals(200, mint(fine, holderKey).status());
    String list = new String(status("revocation", null).body(), StandardCharsets.US_ASCII);
    assertEquals(1, bit(list, index(revoked)));
    assertEquals(0, bit(list, index(fine)));
    // a new credential never reuses an index in use
    Set<Long> used = Set.of(index(revoked), index(suspended), index(fine));
    for (int i = 0; i < 5; i++) {
      assertFalse(used.contains(index(issueVc(holderKey))));
    }
  }

  @Test
  public void aFullMintReplayCacheIs503AtTheVcIssueAndTheVcMint() {
    String vc = issueVc(holderKey);
    while (f.mintReplays.size() < 20_000) {
      f.mintReplays.firstUse(
          "flood",
          java.util.UUID.randomUUID().toString(),
          f.clock.now.plus(dev.briefcase.dpop.DpopVerifier.MAX_SKEW));
    }
    ApiResponse issued =
        issue(
            holderDid,
            "Authorization",
            "Bearer " + accessToken("vc", null),
            "DPoP",
            holderKey.proof("POST", ISSUE, f.clock.now, null, null));
    QuoteChecksTest.refused(issued, 503, "replay_cache_full");
    assertEquals("120", issued.headers().get("Retry-After"));
    ApiResponse minted = mint(vc, holderKey);
    QuoteChecksTest.refused(minted, 503, "replay_cache_full");
    assertEquals("120", minted.headers().get("Retry-After"));
    assertEquals(0, f.resourceReplays.size());
  }
}
