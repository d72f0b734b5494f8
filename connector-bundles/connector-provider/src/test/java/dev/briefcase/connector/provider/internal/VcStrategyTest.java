package dev.briefcase.connector.provider.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.ApprovalRequiredException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.EntitlementService;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.MemoryReceiptLog;
import dev.briefcase.testing.Upstream;
import dev.briefcase.testing.Upstream.Answer;
import dev.briefcase.testing.Upstream.Seen;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.vc.BitstringStatusList;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.JwsSigner;
import dev.briefcase.vc.StatusEntry;
import dev.briefcase.vc.StatusListCredential;
import dev.briefcase.vc.VcJwt;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The VC step of the capability strategy (SPEC §8.4, §8.5) against an in-test provider that issues
 * VCs and serves signed status lists: fetch, pinning, status outcomes, caching with TTL and ETag,
 * hostile lists, unknown → approval / deny, revoked → OAuth fallback, the vc revocation.
 */
public class VcStrategyTest {
  static final CredentialNeed NEED = new CredentialNeed(CredentialNeed.CAPABILITY, "demo");
  static final int INDEX = 4242;

  /** An Ed25519 key behind a did:key and a {@link JwsSigner}. */
  static final class Ed {
    final Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(new SecureRandom());
    final DidKey did;
    final JwsSigner signer;

    Ed() throws Exception {
      did = DidKey.ed25519(priv.generatePublicKey().getEncoded());
      signer = JwsSigner.of(did, this::sign);
    }

    byte[] sign(byte[] input) {
      Ed25519Signer s = new Ed25519Signer();
      s.init(true, priv);
      s.update(input, 0, input.length);
      return s.generateSignature();
    }

    String publicJwk() {
      return "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\""
          + Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(priv.generatePublicKey().getEncoded())
          + "\"}";
    }
  }

  /** A settable clock. */
  static final class MutableClock extends Clock {
    volatile Instant now = Instant.now();

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /**
   * The provider: {@link ProviderPeer} for mints and quotes (a mint with {@code x-vc-jwt} is
   * counted), {@code POST /vc/issue} and {@code GET /status/revocation}.
   */
  final class VcProvider implements Upstream.Script {
    final ProviderPeer peer = new ProviderPeer();
    final AtomicInteger vcMints = new AtomicInteger();
    final AtomicInteger listGets = new AtomicInteger();
    final AtomicInteger notModified = new AtomicInteger();
    volatile Ed issuer;
    volatile String holderOverride; // issue for another holder
    volatile String statusUrl; // the entry's list URL (default: this provider's)
    volatile long index = INDEX;
    volatile boolean revoked;
    volatile Long ttlMillis = 60_000L;
    volatile String cacheControl;
    volatile boolean etags = true; // an ETag of the list's state
    volatile String listMode = "ok"; // ok, down, foreign, tampered, bomb, huge, suspension
    volatile String vcMintError; // e.g. vc_revoked: the mint refuses the VC

    @Override
    public Answer answer(Seen r, int i) {
      try {
        if (r.rawPath().equals("/vc/issue")) {
          return issue(r);
        }
        if (r.rawPath().equals("/status/revocation")) {
          return list(r);
        }
        if (r.rawPath().equals("/token") && r.header("x-vc-jwt") != null) {
          if (vcMintError != null) {
            return Answer.json(401, "{\"error\":\"" + vcMintError + "\"}");
          }
          vcMints.incrementAndGet();
        }
        return peer.answer(r, i);
      } catch (Exception e) {
        return Answer.json(500, "{\"error\":\"test\"}");
      }
    }

    private Answer issue(Seen r) throws Exception {
      String holder =
          holderOverride != null
              ? holderOverride
              : java.net.URLDecoder.decode(
                  r.rawQuery().substring("holder_did=".length()), StandardCharsets.UTF_8);
      String url = statusUrl != null ? statusUrl : upstream.base() + "/status/revocation";
      StatusEntry entry = StatusEntry.of(null, StatusEntry.REVOCATION, index, url, 1);
      String vc =
          VcJwt.issue(
              holder, "quote", "basic", Instant.now(), null, null, List.of(entry), issuer.signer);
      return Answer.json(
          200,
          "{\"vc_jwt\":\""
              + vc
              + "\",\"expires_at_rfc3339\":\""
              + Instant.now().plus(Duration.ofDays(30))
              + "\"}");
    }

    private Answer list(Seen r) throws Exception {
      listGets.incrementAndGet();
      if (listMode.equals("down")) {
        return Answer.json(503, "{\"error\":\"down\"}");
      }
      String etag = etags ? "\"" + listMode + "-" + (revoked ? 1 : 0) + "\"" : null;
      if (etag != null && etag.equals(r.header("If-None-Match"))) {
        notModified.incrementAndGet();
        return new Answer(304, Map.of("ETag", etag), new byte[0]);
      }
      BitstringStatusList.Builder bits = new BitstringStatusList.Builder(131_072, 1);
      if (revoked) {
        bits.set(INDEX, 1);
      }
      String encoded = bits.encode();
      if (listMode.equals("bomb")) {
        encoded = bomb();
      }
      String url = upstream.base() + "/status/revocation";
      Ed signer = listMode.equals("foreign") ? new Ed() : issuer;
      String purpose = listMode.equals("suspension") ? "suspension" : StatusEntry.REVOCATION;
      String jwt =
          StatusListCredential.issue(
              url, purpose, encoded, ttlMillis, Instant.now(), null, signer.signer);
      if (listMode.equals("tampered")) {
        int dot = jwt.lastIndexOf('.');
        char c = jwt.charAt(dot + 5);
        jwt = jwt.substring(0, dot + 5) + (c == 'A' ? 'B' : 'A') + jwt.substring(dot + 6);
      }
      byte[] body = jwt.getBytes(StandardCharsets.US_ASCII);
      if (listMode.equals("huge")) {
        body = new byte[StatusListCredential.MAX_CHARS + 10];
        java.util.Arrays.fill(body, (byte) 'a');
      }
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", "application/vc+jwt");
      if (etag != null) {
        headers.put("ETag", etag);
      }
      if (cacheControl != null) {
        headers.put("Cache-Control", cacheControl);
      }
      return new Answer(200, headers, body);
    }
  }

  /** 64 MiB of zeros, gzip: about 64 KiB encoded. */
  static String bomb() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz =
        new GZIPOutputStream(out) {
          {
            def.setLevel(Deflater.BEST_COMPRESSION);
          }
        }) {
      byte[] chunk = new byte[1 << 20];
      for (int i = 0; i < 64; i++) {
        gz.write(chunk);
      }
    }
    return "u" + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
  }

  private Upstream upstream;
  private VcProvider provider;
  private Fakes.Registry registry;
  private Fakes.Keys keys;
  private Fakes.Secrets secrets;
  private final MemoryReceiptLog receipts = new MemoryReceiptLog();
  private final MutableClock clock = new MutableClock();
  private CapabilityStrategy strategy;
  private URI quote;

  @Before
  public void setUp() throws Exception {
    upstream = new Upstream();
    provider = new VcProvider();
    provider.issuer = new Ed();
    upstream.script(provider);
    registry = new Fakes.Registry();
    registry.bases.put("demo", upstream.base());
    registry.refresh.put("demo", true);
    keys = new Fakes.Keys();
    keys.identityJwk = new Ed().publicJwk();
    secrets = new Fakes.Secrets();
    strategy = strategy("require_approval");
    quote = URI.create(upstream.base() + "/api/quote?symbol=ABC");
  }

  private CapabilityStrategy strategy(String mode) {
    return new CapabilityStrategy(
        registry,
        keys,
        CapabilityStrategyTest.EGRESS,
        receipts,
        secrets,
        mode,
        Set.of(),
        true,
        clock);
  }

  @After
  public void tearDown() {
    upstream.close();
  }

  private List<ObjectNode> receipts(String type) {
    return receipts.events().stream().filter(e -> type.equals(e.path("type").asText())).toList();
  }

  private String lastMintedVia() {
    List<ObjectNode> mints =
        receipts("capability").stream()
            .filter(e -> e.path("action").asText().equals("mint"))
            .filter(e -> e.path("outcome").asText().equals("ok"))
            .toList();
    return mints.get(mints.size() - 1).path("minted_via").asText();
  }

  private Seen lastMint() {
    List<Seen> mints = upstream.seen.stream().filter(s -> s.rawPath().equals("/token")).toList();
    return mints.get(mints.size() - 1);
  }

  // --- fetch ------------------------------------------------------------------------------------

  @Test
  public void fetchStoresTheVcPinsTheIssuerAndAnswersWithoutIt() throws Exception {
    EntitlementService.Entitlement e = strategy.fetchVc("demo");
    assertEquals("demo", e.providerId());
    assertEquals(provider.issuer.did.did(), e.issuer());
    assertEquals("quote", e.scope());
    assertTrue(e.expiresAt().isAfter(Instant.now().plus(Duration.ofDays(29))));
    String vc = secrets.text("vc.demo.jwt");
    assertNotNull(vc);
    assertEquals(provider.issuer.did.did(), secrets.text("vc.demo.issuer"));
    // the access token was DPoP-bound: its proof (the OAuth key) is the holder proof
    assertEquals("oauth", secrets.text("vc.demo.binding"));
    Seen issue = upstream.seen.get(0);
    assertEquals("/vc/issue", issue.rawPath());
    assertTrue(issue.rawQuery().startsWith("holder_did=did%3Akey%3Az"));
    assertEquals("DPoP " + Fakes.Registry.ACCESS_TOKEN, issue.header("Authorization"));
    assertTrue(Fakes.claims(issue.header("DPoP")).contains("\"key\":\"dpop:oauth.demo\""));
    // neither the VC nor the token is in a receipt or the answer
    assertFalse(receipts.events().toString().contains(vc.substring(0, 40)));
    assertFalse(e.toString().contains(vc.substring(0, 40)));
    assertEquals("ok", receipts("vc").get(0).path("outcome").asText());
  }

  @Test
  public void aBearerAccessTokenBindsTheVcToTheStrategysOwnKey() throws Exception {
    registry.bound = false;
    strategy.fetchVc("demo");
    assertEquals("cap", secrets.text("vc.demo.binding"));
    Seen issue = upstream.seen.get(0);
    assertEquals("Bearer " + Fakes.Registry.ACCESS_TOKEN, issue.header("Authorization"));
    assertTrue(Fakes.claims(issue.header("DPoP")).contains("\"key\":\"dpop:cap.demo\""));
    strategy.authorize(NEED, "GET", quote);
    assertEquals(1, provider.vcMints.get());
    assertTrue(Fakes.claims(lastMint().header("DPoP")).contains("\"key\":\"dpop:cap.demo\""));
  }

  @Test
  public void aChangedIssuerIsRefusedAndTheStoredVcStays() throws Exception {
    strategy.fetchVc("demo");
    String first = secrets.text("vc.demo.jwt");
    provider.issuer = new Ed(); // the provider now signs with another key
    CredentialException e = assertThrows(CredentialException.class, () -> strategy.fetchVc("demo"));
    assertEquals("vc_issue_failed", e.code());
    assertTrue(e.getMessage(), e.getMessage().contains("vc_issuer_mismatch"));
    assertEquals(first, secrets.text("vc.demo.jwt"));
  }

  @Test
  public void aVcForAnotherHolderIsRefused() throws Exception {
    provider.holderOverride = new Ed().did.did();
    CredentialException e = assertThrows(CredentialException.class, () -> strategy.fetchVc("demo"));
    assertEquals("vc_issue_failed", e.code());
    assertTrue(e.getMessage(), e.getMessage().contains("vc_subject_mismatch"));
    assertNull(secrets.text("vc.demo.jwt"));
    assertNull("nothing is pinned by a refused VC", secrets.text("vc.demo.issuer"));
  }

  @Test
  public void fetchKeepsTheOAuthErrorsAndNamesTheIssueCause() {
    registry.refresh.put("demo", false);
    assertEquals(
        "missing_refresh_token",
        assertThrows(CredentialException.class, () -> strategy.fetchVc("demo")).code());
    assertEquals("no request without a grant", 0, upstream.seen.size());
    registry.refresh.put("demo", true);
    registry.accessFailure =
        new CredentialException(CredentialException.MISSING_REFRESH_TOKEN, "none");
    assertEquals(
        "missing_refresh_token",
        assertThrows(CredentialException.class, () -> strategy.fetchVc("demo")).code());
    registry.accessFailure = null;
    provider.issuer = null; // the peer fails: 500
    CredentialException e = assertThrows(CredentialException.class, () -> strategy.fetchVc("demo"));
    assertEquals("vc_issue_failed", e.code());
    assertTrue(e.getMessage(), e.getMessage().contains("cause: test"));
    assertEquals(
        "unknown_provider",
        assertThrows(CredentialException.class, () -> strategy.fetchVc("nope")).code());
  }

  // --- the VC step ------------------------------------------------------------------------------

  @Test
  public void aValidVcMintsWithXVcJwtAndNoOAuth() throws Exception {
    strategy.fetchVc("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals(1, provider.vcMints.get());
    Seen mint = lastMint();
    assertEquals(secrets.text("vc.demo.jwt"), mint.header("x-vc-jwt"));
    assertNull("a VC mint carries no access token", mint.header("Authorization"));
    assertEquals("vc", lastMintedVia());
    ObjectNode check = receipts("vc_status_check").get(0);
    assertEquals("valid", check.path("decision").asText());
    assertEquals(INDEX, check.path("index").asLong());
    assertEquals(0, check.path("value").asLong());
    assertEquals("revocation", check.path("purpose").asText());
    assertEquals("demo", check.path("provider_id").asText());
  }

  @Test
  public void aRevokedVcIsMarkedAndTheMintFallsThroughToOAuth() throws Exception {
    strategy.fetchVc("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals("vc", lastMintedVia());
    provider.revoked = true;
    clock.now = clock.now.plusSeconds(61); // past the list's ttl
    strategy.revoke("demo"); // drop the capability: the next call mints
    strategy.authorize(NEED, "GET", quote);
    assertEquals("oauth", lastMintedVia());
    assertEquals(1, provider.vcMints.get());
    assertNull(lastMint().header("x-vc-jwt"));
    assertEquals("revoked", receipts("vc_status_check").get(1).path("decision").asText());
    assertEquals(1, receipts("vc_status_check").get(1).path("value").asLong());
    assertNotNull(secrets.text("vc.demo.revoked"));
    // a revoked VC is never tried again: no status fetch, no VC mint
    int gets = provider.listGets.get();
    strategy.revoke("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals(gets, provider.listGets.get());
    assertEquals("oauth", lastMintedVia());
    // a new fetch replaces it
    provider.revoked = false;
    strategy.fetchVc("demo");
    assertNull(secrets.text("vc.demo.revoked"));
  }

  @Test
  public void everyCallChecksTheStatusSoARevokedVcDropsItsCachedCapability() throws Exception {
    strategy.fetchVc("demo");
    strategy.authorize(NEED, "GET", quote);
    strategy.authorize(NEED, "GET", quote);
    assertEquals("one VC capability for both calls", 1, provider.vcMints.get());
    provider.revoked = true;
    clock.now = clock.now.plusSeconds(61); // the cached list is stale
    strategy.authorize(NEED, "GET", quote); // no revoke of the capability in between
    assertEquals("oauth", lastMintedVia());
    assertEquals(1, provider.vcMints.get());
    assertNotNull(secrets.text("vc.demo.revoked"));
  }

  @Test
  public void aRevokedVcLocallyDropsItsCapabilityOnTheNextCall() throws Exception {
    strategy.fetchVc("demo");
    strategy.authorize(NEED, "GET", quote);
    new VcRevoker(strategy).revoke("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals("oauth", lastMintedVia());
  }

  @Test
  public void aVcTheMintRefusesFallsThroughReceipted() throws Exception {
    strategy.fetchVc("demo");
    provider.vcMintError = "vc_suspended";
    strategy.authorize(NEED, "GET", quote);
    assertEquals("oauth", lastMintedVia());
    ObjectNode r = receipts("vc").get(receipts("vc").size() - 1);
    assertEquals("fallthrough", r.path("outcome").asText());
    assertEquals("vc_suspended", r.path("code").asText());
  }

  @Test
  public void aVcPastItsValidityFallsThrough() throws Exception {
    strategy.fetchVc("demo");
    provider.peer.lifetimeSeconds = Duration.ofDays(40).toSeconds();
    clock.now = clock.now.plus(Duration.ofDays(31));
    strategy.authorize(NEED, "GET", quote);
    assertEquals("oauth", lastMintedVia());
    assertEquals("vc_expired", receipts("vc").get(1).path("code").asText());
  }

  @Test
  public void theListIsCachedForItsTtlThenRevalidatedWithItsEtag() throws Exception {
    strategy.fetchVc("demo");
    strategy.authorize(NEED, "GET", quote);
    strategy.revoke("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals("cached within the ttl", 1, provider.listGets.get());
    clock.now = clock.now.plusSeconds(61);
    strategy.revoke("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals(2, provider.listGets.get());
    assertEquals("revalidated with If-None-Match", 1, provider.notModified.get());
    assertEquals(3, provider.vcMints.get());
    Seen revalidation =
        upstream.seen.stream().filter(s -> s.rawPath().startsWith("/status")).toList().get(1);
    assertEquals("\"ok-0\"", revalidation.header("If-None-Match"));
  }

  @Test
  public void withoutTtlMaxAgeGovernsAndEverythingIsCappedAt24Hours() throws Exception {
    provider.ttlMillis = null;
    provider.cacheControl = "public, max-age=5";
    strategy.fetchVc("demo");
    strategy.authorize(NEED, "GET", quote);
    clock.now = clock.now.plusSeconds(6);
    strategy.revoke("demo");
    strategy.authorize(NEED, "GET", quote);
    assertEquals(2, provider.listGets.get());
    StatusListCredential.Verified huge =
        new StatusListCredential.Verified(
            null, "d", "revocation", null, Duration.ofDays(30).toMillis(), null, null);
    assertEquals(
        StatusChecker.MAX_TTL,
        StatusChecker.ttl(
            huge, new dev.briefcase.egress.EgressResponse(200, Map.of(), new byte[0]), null));
    StatusListCredential.Verified none =
        new StatusListCredential.Verified(null, "d", "revocation", null, null, null, null);
    assertEquals(
        StatusChecker.DEFAULT_TTL,
        StatusChecker.ttl(
            none, new dev.briefcase.egress.EgressResponse(200, Map.of(), new byte[0]), null));
    assertEquals(
        StatusChecker.MAX_TTL,
        StatusChecker.ttl(
            none,
            new dev.briefcase.egress.EgressResponse(
                200, Map.of("cache-control", List.of("max-age=999999")), new byte[0]),
            null));
  }

  // --- unknown outcomes -------------------------------------------------------------------------

  private void assertUnknown(String expectedCode) {
    CapabilityStrategy deny = strategy("deny");
    CredentialException e =
        assertThrows(CredentialException.class, () -> deny.authorize(NEED, "GET", quote));
    assertEquals("vc_status_unknown", e.code());
    assertEquals("no mint at all", 0, provider.peer.mints.get());
    List<ObjectNode> checks = receipts("vc_status_check");
    ObjectNode check = checks.get(checks.size() - 1);
    assertEquals("unknown", check.path("decision").asText());
    assertEquals(expectedCode, check.path("code").asText());
  }

  @Test
  public void anUnreachableListIsUnknown() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "down";
    assertUnknown("status_list_unavailable");
  }

  @Test
  public void aListSignedByAnotherKeyIsUnknown() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "foreign";
    assertUnknown("vc_issuer_mismatch");
  }

  @Test
  public void aTamperedListSignatureIsUnknown() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "tampered";
    assertUnknown("vc_signature_invalid");
  }

  @Test
  public void aGzipBombListStopsAtTheCapAndIsUnknown() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "bomb";
    assertUnknown("status_list_too_large");
  }

  @Test
  public void aListOverOneMebibyteIsNotReadAndIsUnknown() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "huge";
    assertUnknown("status_list_too_large");
  }

  @Test
  public void anIndexOutOfRangeIsUnknown() throws Exception {
    provider.index = 131_072L * 8; // past the list's end
    strategy.fetchVc("demo");
    assertUnknown("status_index_out_of_range");
  }

  @Test
  public void aPurposeMismatchIsUnknown() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "suspension";
    assertUnknown("status_purpose_mismatch");
  }

  @Test
  public void aListOnAHostTheProviderDoesNotOwnIsNeverFetched() throws Exception {
    provider.statusUrl = "https://status.example/status/revocation";
    strategy.fetchVc("demo");
    assertUnknown("status_host_not_allowed");
    assertEquals(0, provider.listGets.get());
  }

  @Test
  public void unknownAsksForAnApprovalAndTheApprovedRetryMintsWithTheVc() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "down";
    QuoteConnector connector =
        new QuoteConnector(
            registry,
            CapabilityStrategyTest.EGRESS,
            Configs.of(
                QuoteConnector.Config.class, Map.of("connector_id", "prov", "provider_id", "demo")),
            true);
    ToolManifest manifest =
        new ToolManifest(
            "quote", "builtin", List.of("127.0.0.1"), List.of("/api/quote"), List.of(), 1 << 20);
    CredentialNeed need = connector.tools().get(0).credential();
    ApprovalRequiredException ask =
        assertThrows(
            ApprovalRequiredException.class,
            () -> connector.execute(invocation(connector, manifest, null, need)));
    assertTrue(ask.summary(), ask.summary().startsWith("vc_status_unknown"));
    assertEquals(0, provider.peer.mints.get());
    // the same call, approved: the VC is used despite the unknown status
    ToolResult r = connector.execute(invocation(connector, manifest, "appr-1", need));
    assertNotNull(r);
    assertEquals(1, provider.vcMints.get());
    assertEquals("vc", lastMintedVia());
    assertEquals(
        List.of("approval_required", "approved"),
        receipts("vc").stream()
            .filter(e -> e.path("step").asText().equals("status"))
            .map(e -> e.path("outcome").asText())
            .toList());
  }

  @Test
  public void anApprovalGivenBeforeTheStatusTurnedUnknownDoesNotCoverIt() throws Exception {
    strategy.fetchVc("demo");
    provider.listMode = "down";
    ApprovedCall.run(
        true,
        () -> {
          assertThrows(
              CapabilityStrategy.StatusUnknownApproval.class,
              () -> strategy.authorize(NEED, "GET", quote));
          return null;
        });
    assertEquals(0, provider.peer.mints.get());
  }

  private ToolInvocation invocation(
      QuoteConnector connector, ToolManifest manifest, String approvalId, CredentialNeed need) {
    return new ToolInvocation(
        connector.tools().get(0).id(),
        Map.of("symbol", "ABC"),
        manifest,
        new CallContext("req-1", "agent-1", null, "mcp"),
        approvalId,
        new KernelCredential(need, strategy, manifest));
  }

  // --- revocation -------------------------------------------------------------------------------

  @Test
  public void revokeVcDeletesTheVcAndDropsTheCapability() throws Exception {
    strategy.fetchVc("demo");
    strategy.authorize(NEED, "GET", quote);
    assertTrue(strategy.cached("demo").isPresent());
    VcRevoker revoker = new VcRevoker(strategy);
    assertTrue(revoker.revoke("demo"));
    assertNull(secrets.text("vc.demo.jwt"));
    assertFalse(strategy.cached("demo").isPresent());
    assertFalse("nothing left to revoke", revoker.revoke("demo"));
    assertEquals(
        "unknown_provider",
        assertThrows(CredentialException.class, () -> revoker.revoke("nope")).code());
    strategy.authorize(NEED, "GET", quote);
    assertEquals("oauth", lastMintedVia());
  }

  @Test
  public void aBrokenSecretStoreFailsTheFetchClosed() {
    secrets.broken = true;
    assertEquals(
        "secret_store_unavailable",
        assertThrows(CredentialException.class, () -> strategy.fetchVc("demo")).code());
  }
}
