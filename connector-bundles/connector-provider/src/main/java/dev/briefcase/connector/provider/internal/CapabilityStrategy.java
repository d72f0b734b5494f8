package dev.briefcase.connector.provider.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.credentials.AccessCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialRevoker;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.EntitlementService;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.edge.secrets.LazySecretStore;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.StatusOutcome;
import dev.briefcase.vc.VcException;
import dev.briefcase.vc.VcJwt;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code capability} credential strategy (SPEC §8.2, §8.5): a capability token minted by the
 * provider the need names, DPoP-bound, cached per provider in memory and spent on the provider's
 * own origin only. Also the {@code capability} kind of the unified revocation: {@link #revoke}
 * drops a provider's cached capability.
 *
 * <p>Mint order (§8.5): the provider's stored VC ({@code x-vc-jwt}) when it verifies and its status
 * lists say valid (any failure falls through, receipted; an unknown status asks for an approval or
 * denies, per {@code vc.status.unknown.mode}), then OAuth when the provider has a refresh token (an
 * access token from {@link CredentialService#accessCredential}; its errors end the call), then an
 * unauthenticated mint; a 402 is {@code payment_required}. Every mint carries a fresh DPoP proof;
 * the capability is bound ({@code cnf.jkt}) to the key of that proof, and every later proof for it
 * comes from the same key: the strategy's own key-directory role {@code dpop:cap.<provider>}, or,
 * after a mint with a DPoP-bound access token, the provider's OAuth DPoP key through {@link
 * CredentialService#dpopProof}.
 *
 * <p>Every mint (ok or failed, with {@code minted_via}), drop after a refusal and revoke is
 * receipted ({@code type: capability}) without a value. Capability values live in this component's
 * memory only; they leave as {@link RequestCredential} headers and nowhere else (no log line,
 * message or return value). Thread-safe: mints of one provider are serialized.
 */
@Component(
    configurationPid = CapabilityStrategy.PID,
    service = {
      CredentialStrategy.class,
      CredentialRevoker.class,
      EntitlementService.class,
      CapabilityStrategy.class
    },
    property = {
      CredentialStrategy.KIND + "=" + CredentialNeed.CAPABILITY,
      CredentialRevoker.KIND + "=" + CredentialNeed.CAPABILITY
    })
@Designate(ocd = CapabilityStrategy.Config.class)
public final class CapabilityStrategy
    implements CredentialStrategy, CredentialRevoker, EntitlementService {
  /** The configuration PID (features/connectors.json). */
  static final String PID = "dev.briefcase.connector.provider.capability";

  /** The VC step's status check found no answer and {@code vc.status.unknown.mode} denies. */
  static final String VC_STATUS_UNKNOWN = "vc_status_unknown";

  /** An unknown status asks for a local approval of the call (the default). */
  static final String MODE_REQUIRE_APPROVAL = "require_approval";

  /** An unknown status denies the call. */
  static final String MODE_DENY = "deny";

  /** An approval asked for an unknown status counts this long (an approval's lifetime). */
  static final Duration UNKNOWN_APPROVAL_WINDOW = Duration.ofMinutes(10);

  /** Configuration of the VC step (SPEC §8.4). */
  @ObjectClassDefinition(name = "Briefcase capability strategy")
  public @interface Config {
    @AttributeDefinition(
        description =
            "What an unknown VC status (list unreachable, bad signature, index out of range,"
                + " purpose mismatch) does: require_approval (a local approval of the call) or"
                + " deny (vc_status_unknown)")
    String vc_status_unknown_mode() default MODE_REQUIRE_APPROVAL;

    @AttributeDefinition(
        description =
            "Hosts status lists may be fetched from besides the provider's own host (lower case)")
    String[] vc_status_allowed_hosts() default {};
  }

  /**
   * The VC's status is unknown and the call may go on once a human approves it: the quote connector
   * turns this into a local approval ({@code ApprovalRequiredException}).
   */
  static final class StatusUnknownApproval extends CredentialException {
    private static final long serialVersionUID = 1L;
    final String providerId;

    StatusUnknownApproval(String providerId) {
      super(
          VC_STATUS_UNKNOWN,
          "the VC status of provider " + providerId + " is unknown; approval required");
      this.providerId = providerId;
    }
  }

  /** The mint answered 402: the tool has a price (SPEC §14 completes the payment). */
  static final String PAYMENT_REQUIRED = "payment_required";

  /** The mint failed or answered something that is not a capability. */
  static final String CAPABILITY_MINT_FAILED = "capability_mint_failed";

  /** The receipt log refused a mint, drop or revoke receipt; the step fails. */
  static final String RECEIPT_UNAVAILABLE = "receipt_unavailable";

  /** A capability counts as expired this long before its {@code expires_at}. */
  static final Duration EXPIRY_MARGIN = Duration.ofSeconds(30);

  /** The key-directory DPoP server (role {@code dpop:cap.<id>}) of a provider's own mints. */
  static String keyServer(String providerId) {
    return "cap." + providerId;
  }

  private static final Logger LOG = LoggerFactory.getLogger(CapabilityStrategy.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_TOKEN_CHARS = 8192;
  private static final String TOKEN_CHARS = "[A-Za-z0-9._~+/=-]+";
  private static final String NONCE_CHARS = "[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,512}";

  /** How a capability was minted, as receipts and status name it. */
  enum MintedVia {
    VC,
    OAUTH,
    UNAUTHENTICATED;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One cached capability. {@code remaining} is guarded by the instance. */
  static final class Capability {
    final Sensitive<String> token;
    final Instant expiresAt;
    final MintedVia mintedVia;
    final boolean oauthKey; // bound to the provider's OAuth DPoP key, not dpop:cap.<id>
    final String origin; // the provider origin that minted it; never sent anywhere else
    private int remaining;

    Capability(
        Sensitive<String> token,
        Instant expiresAt,
        int remaining,
        MintedVia mintedVia,
        boolean oauthKey,
        String origin) {
      this.origin = origin;
      this.token = token;
      this.expiresAt = expiresAt;
      this.remaining = remaining;
      this.mintedVia = mintedVia;
      this.oauthKey = oauthKey;
    }

    /** Takes one call if the capability is still valid at {@code now}. */
    synchronized boolean take(Instant now) {
      if (remaining <= 0 || !now.isBefore(expiresAt.minus(EXPIRY_MARGIN))) {
        return false;
      }
      remaining--;
      return true;
    }

    /**
     * Takes one call of a capability just minted: only what the provider said counts (an expiry
     * inside the margin still serves this call, which is being sent now; it is not reused).
     */
    synchronized boolean takeFresh(Instant now) {
      if (remaining <= 0 || !now.isBefore(expiresAt)) {
        return false;
      }
      remaining--;
      return true;
    }

    synchronized int remaining() {
      return remaining;
    }

    @Override
    public String toString() {
      return "Capability[[REDACTED], " + expiresAt + ", via=" + mintedVia.label() + "]";
    }
  }

  private final CredentialService credentials;
  private final KeyDirectory keys;
  private final EgressClient egress;
  private final ReceiptLog receipts;
  private final boolean loopbackAllowed;
  private final Clock clock;
  private final Map<String, Capability> cache = new ConcurrentHashMap<>();
  private final Map<String, Object> mintLocks = new ConcurrentHashMap<>();
  // origin (scheme://host:port) → the newest DPoP-Nonce it issued
  private final Map<String, String> nonces = new ConcurrentHashMap<>();
  // provider id → when an approval for its unknown VC status was last asked for
  private final Map<String, Instant> unknownAsked = new ConcurrentHashMap<>();
  private final VcVault vault;
  private final SecretStore secrets;
  private final StatusChecker status;
  private final boolean denyUnknown;
  private final Set<String> statusHosts;
  private volatile boolean closed;

  @Activate
  public CapabilityStrategy(
      BundleContext context,
      @Reference CredentialService credentials,
      @Reference KeyDirectory keys,
      @Reference EgressClient egress,
      @Reference ReceiptLog receipts,
      @Reference ComponentServiceObjects<SecretStore> secrets,
      Config config) {
    this(
        credentials,
        keys,
        egress,
        receipts,
        new LazySecretStore(secrets),
        config.vc_status_unknown_mode(),
        Set.of(config.vc_status_allowed_hosts()),
        !ProfileMode.isStrict(context.getProperty(ProfileMode.PROPERTY)),
        Clock.systemUTC());
  }

  CapabilityStrategy(
      CredentialService credentials,
      KeyDirectory keys,
      EgressClient egress,
      ReceiptLog receipts,
      SecretStore secrets,
      String unknownMode,
      Set<String> statusHosts,
      boolean loopbackAllowed,
      Clock clock) {
    String mode = unknownMode == null ? "" : unknownMode.strip().toLowerCase(Locale.ROOT);
    if (!mode.equals(MODE_REQUIRE_APPROVAL) && !mode.equals(MODE_DENY)) {
      throw new IllegalArgumentException("vc.status.unknown.mode must be require_approval or deny");
    }
    this.credentials = credentials;
    this.keys = keys;
    this.egress = egress;
    this.receipts = receipts;
    this.secrets = secrets;
    this.vault = new VcVault(secrets);
    this.denyUnknown = mode.equals(MODE_DENY);
    Set<String> hosts = new TreeSet<>();
    for (String h : statusHosts) {
      if (h != null && !h.isBlank()) {
        hosts.add(h.strip().toLowerCase(Locale.ROOT));
      }
    }
    this.statusHosts = Set.copyOf(hosts);
    this.loopbackAllowed = loopbackAllowed;
    this.clock = clock;
    this.status = new StatusChecker(egress, clock, loopbackAllowed);
  }

  @Deactivate
  void deactivate() {
    closed = true;
    cache.clear();
    nonces.clear();
    status.clear();
    if (secrets instanceof LazySecretStore lazy) {
      lazy.close();
    }
    LOG.info("capability strategy stopped; cached capabilities dropped");
  }

  // --- CredentialStrategy ---------------------------------------------------------------------

  /** No network: the need's shape and the registry entry. Whether a mint works is not known. */
  @Override
  public void preflight(CredentialNeed need) throws CredentialException {
    open();
    provider(need);
  }

  @Override
  public RequestCredential authorize(CredentialNeed need, String method, URI target)
      throws CredentialException {
    open();
    ProviderStatus status = provider(need);
    String id = status.provider().id();
    URI base = baseUrl(status);
    URI htu = htu(target);
    if (!sameOrigin(base, htu)) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED,
          "a capability of provider " + id + " is only sent to that provider");
    }
    if (method == null || !method.matches("[A-Z]{1,16}")) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED, "unsupported HTTP method");
    }
    Capability cap = usable(status, base);
    Sensitive<String> proof;
    try {
      proof = proof(id, cap, method, htu);
    } catch (CredentialException e) {
      if (!cap.oauthKey) {
        throw e;
      }
      // the OAuth grant (and with it the key the capability is bound to) was revoked or replaced
      // (SPEC §15: revoking OAuth drops cached capabilities): mint afresh, once
      cache.remove(id, cap);
      receipt(event("drop", id, "ok").put("reason", "oauth_key_gone").put("code", e.code()));
      cap = usable(credentials.status(id), base);
      proof = proof(id, cap, method, htu);
    }
    Map<String, Sensitive<String>> headers = new LinkedHashMap<>();
    headers.put("Authorization", Sensitive.of("DPoP " + cap.token.reveal()));
    headers.put("DPoP", proof);
    return new RequestCredential(headers, cap.expiresAt);
  }

  @Override
  public Retry rejected(CredentialNeed need, String method, URI target, Rejection rejection)
      throws CredentialException {
    open();
    String id = provider(need).provider().id();
    String error = rejection == null ? null : rejection.error();
    String detail = rejection == null ? null : rejection.errorDetail();
    int status = rejection == null ? 0 : rejection.status();
    if ("replay_detected".equals(detail)) {
      throw new CredentialException(
          CredentialException.REPLAY_DETECTED, "the provider saw this DPoP proof before");
    }
    if ("use_dpop_nonce".equals(error)) {
      if (keepNonce(htu(target), rejection.dpopNonce())) {
        return Retry.NONCE;
      }
      throw new CredentialException(
          CredentialException.DPOP_NONCE_REJECTED,
          "the provider asked for a DPoP nonce without a usable one");
    }
    if ("invalid_dpop_proof".equals(error)
        || "invalid_dpop".equals(error)
        || "missing_dpop".equals(error)
        || "invalid_dpop".equals(detail)
        || "missing_dpop".equals(detail)) {
      Capability cap = cache.get(id);
      if (cap != null && cap.oauthKey) {
        // bound to the OAuth key, which a re-login rotates: a capability minted now binds to the
        // current key (the kernel allows this once per call)
        cache.remove(id);
        receipt(event("drop", id, "ok").put("status", status).put("reason", "oauth_key_rotated"));
        return Retry.REFRESHED;
      }
      throw new CredentialException(
          CredentialException.INVALID_DPOP, "the provider refused the DPoP proof");
    }
    boolean revoked = status == 403 && "capability_revoked".equals(detail);
    if (status == 403 && !revoked) {
      throw new CredentialException(
          "insufficient_scope".equals(error)
              ? CredentialException.INSUFFICIENT_SCOPE
              : CredentialException.CREDENTIAL_REJECTED,
          "the provider refused the capability (HTTP 403)");
    }
    if (status == 401 || status == 429 || revoked) {
      // invalid_token (expired, unknown key), max_calls_exceeded, a revoked jti: mint a new one
      boolean had = cache.remove(id) != null;
      LOG.debug("capability of provider {} dropped after HTTP {}", id, status);
      if (had) {
        receipt(
            event("drop", id, "ok")
                .put("status", status)
                .put(
                    "reason",
                    revoked
                        ? "capability_revoked"
                        : status == 429 ? "max_calls" : "invalid_token"));
      }
      return Retry.REFRESHED;
    }
    throw new CredentialException(
        CredentialException.CREDENTIAL_REJECTED,
        "the provider refused the capability (HTTP " + status + ")");
  }

  // --- CredentialRevoker ----------------------------------------------------------------------

  @Override
  public boolean revoke(String id) throws CredentialException {
    open();
    if (id == null || !id.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new CredentialException(CredentialException.UNKNOWN_PROVIDER, "no such provider");
    }
    credentials.status(id); // unknown_provider; nothing changes then
    boolean had = cache.remove(id) != null;
    LOG.info("capability of provider {} revoked locally (held: {})", id, had);
    receipt(event("revoke", id, "ok").put("had_capability", had));
    return had;
  }

  // --- internals ------------------------------------------------------------------------------

  /** What is cached for a provider, for tests: never the value. */
  Optional<Capability> cached(String providerId) {
    return Optional.ofNullable(cache.get(providerId));
  }

  private Capability usable(ProviderStatus status, URI base) throws CredentialException {
    String id = status.provider().id();
    String origin = origin(base);
    Capability cap = cache.get(id);
    // SPEC §8.4 status pre-flight on every call: a capability minted with a VC is only used while
    // that VC is still stored, verifies and its status lists say valid (lists are cached for their
    // ttl, so this is usually no request)
    if (cap != null && cap.mintedVia == MintedVia.VC && !vcStillValid(id, base)) {
      if (cache.remove(id, cap)) {
        receipt(event("drop", id, "ok").put("reason", "vc_not_valid"));
      }
      cap = null;
    }
    // a provider removed and added again under its id with another base URL never gets the old
    // provider's capability
    if (cap != null && cap.origin.equals(origin) && cap.take(clock.instant())) {
      return cap;
    }
    synchronized (mintLocks.computeIfAbsent(id, k -> new Object())) {
      cap = cache.get(id);
      if (cap != null && cap.origin.equals(origin) && cap.take(clock.instant())) {
        return cap;
      }
      cache.remove(id);
      Capability fresh;
      try {
        fresh = mint(status, base);
      } catch (CredentialException e) {
        if (!RECEIPT_UNAVAILABLE.equals(e.code())) {
          receipt(event("mint", id, "failed").put("code", e.code()));
        }
        throw e;
      }
      receipt(
          event("mint", id, "ok")
              .put("minted_via", fresh.mintedVia.label())
              .put("max_calls", fresh.remaining())
              .put("expires_at", fresh.expiresAt.toString()));
      if (!fresh.takeFresh(clock.instant())) {
        throw new CredentialException(
            CAPABILITY_MINT_FAILED, "the provider minted a capability that is already expired");
      }
      cache.put(id, fresh);
      return fresh;
    }
  }

  /** SPEC §8.5: VC, then OAuth (terminal errors), then unauthenticated. */
  private Capability mint(ProviderStatus status, URI base) throws CredentialException {
    String id = status.provider().id();
    URI tokenUrl = base.resolve("/token");
    Optional<Capability> viaVc = mintWithVc(id, base, tokenUrl);
    if (viaVc.isPresent()) {
      return viaVc.get();
    }
    if (status.hasRefreshToken()) {
      return mintWithOAuth(id, base, tokenUrl);
    }
    return send(id, base, tokenUrl, MintedVia.UNAUTHENTICATED, null, null);
  }

  /**
   * Step 1 of SPEC §8.5: the stored VC, verified (holder = our identity did:key, issuer = the
   * pinned one), its status checked (§8.4), then a mint with {@code x-vc-jwt} and a proof by the
   * key the VC is bound to. Empty (receipted) when any of it fails, so the next strategy mints; an
   * unknown status asks for an approval or denies instead of falling through.
   */
  private Optional<Capability> mintWithVc(String id, URI base, URI tokenUrl)
      throws CredentialException {
    Optional<VcVault.Stored> stored = vault.load(id);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    VcJwt.Verified vc;
    try {
      String holder = holderDid();
      String issuer = vault.pinnedIssuer(id).orElse(null);
      if (issuer == null) {
        throw new VcException("vc_issuer_mismatch", "no issuer is pinned for the provider");
      }
      vc = VcJwt.verify(stored.get().jwt().reveal(), holder, issuer, clock.instant());
    } catch (VcException e) {
      receipt(vcEvent("mint", id, "fallthrough").put("step", "verify").put("code", e.code()));
      return Optional.empty();
    } catch (CredentialException e) {
      if (RECEIPT_UNAVAILABLE.equals(e.code())) {
        throw e;
      }
      receipt(vcEvent("mint", id, "fallthrough").put("step", "verify").put("code", e.code()));
      return Optional.empty();
    }
    if (!statusAllows(id, base, vc, stored.get())) {
      return Optional.empty();
    }
    try {
      return Optional.of(sendVc(id, base, tokenUrl, stored.get()));
    } catch (CredentialException e) {
      if (RECEIPT_UNAVAILABLE.equals(e.code())) {
        throw e;
      }
      receipt(vcEvent("mint", id, "fallthrough").put("step", "mint").put("code", e.code()));
      return Optional.empty();
    }
  }

  /**
   * The SPEC §8.4 status check of every entry, each receipted as {@code vc_status_check}. Valid (or
   * no entries) → true. Revoked → the VC is marked revoked, cached capabilities dropped, false.
   * Invalid (e.g. suspended) → false. Unknown → {@code vc_status_unknown} in {@code deny} mode; in
   * {@code require_approval} mode an approved call goes on, any other asks for the approval.
   */
  private boolean statusAllows(String id, URI base, VcJwt.Verified vc, VcVault.Stored stored)
      throws CredentialException {
    if (vc.status().isEmpty()) {
      return true;
    }
    Set<String> hosts = new TreeSet<>(statusHosts);
    hosts.add(base.getHost().toLowerCase(Locale.ROOT));
    List<StatusChecker.Check> checks = status.check(vc.status(), vc.issuer(), hosts);
    StatusOutcome outcome = StatusChecker.overall(checks);
    for (StatusChecker.Check c : checks) {
      ObjectNode r = JSON.createObjectNode();
      r.put("type", "vc_status_check");
      r.put("provider_id", id);
      r.put("list_url", c.entry().statusListCredential());
      r.put("purpose", c.entry().statusPurpose());
      r.put("index", c.entry().statusListIndex());
      r.put("size", c.entry().statusSize());
      if (c.value() != null) {
        r.put("value", c.value());
      } else {
        r.putNull("value");
      }
      r.put("decision", c.outcome().name().toLowerCase(Locale.ROOT));
      if (c.code() != null) {
        r.put("code", c.code());
      }
      r.put("ts", clock.instant().toString());
      receipt(r);
    }
    switch (outcome) {
      case VALID:
        return true;
      case REVOKED:
        vault.markRevoked(id, stored.jwt());
        boolean had = cache.remove(id) != null;
        receipt(
            vcEvent("mint", id, "fallthrough")
                .put("step", "status")
                .put("code", "vc_revoked")
                .put("had_capability", had));
        LOG.info("the VC of provider {} is revoked; falling through", id);
        return false;
      case INVALID:
        receipt(vcEvent("mint", id, "fallthrough").put("step", "status").put("code", "vc_invalid"));
        return false;
      default:
        break;
    }
    if (denyUnknown) {
      receipt(vcEvent("mint", id, "denied").put("step", "status").put("code", VC_STATUS_UNKNOWN));
      throw new CredentialException(
          VC_STATUS_UNKNOWN, "the VC status of provider " + id + " is unknown");
    }
    Instant asked = unknownAsked.get(id);
    if (ApprovedCall.approved()
        && asked != null
        && clock.instant().isBefore(asked.plus(UNKNOWN_APPROVAL_WINDOW))) {
      receipt(vcEvent("mint", id, "approved").put("step", "status").put("code", VC_STATUS_UNKNOWN));
      return true;
    }
    unknownAsked.put(id, clock.instant());
    receipt(
        vcEvent("mint", id, "approval_required")
            .put("step", "status")
            .put("code", VC_STATUS_UNKNOWN));
    throw new StatusUnknownApproval(id);
  }

  /** Whether the VC behind a cached capability still holds (see {@link #statusAllows}). */
  private boolean vcStillValid(String id, URI base) throws CredentialException {
    Optional<VcVault.Stored> stored = vault.load(id);
    if (stored.isEmpty()) {
      return false; // deleted (revoke vc) or marked revoked
    }
    Optional<String> issuer = vault.pinnedIssuer(id);
    if (issuer.isEmpty()) {
      return false;
    }
    VcJwt.Verified vc;
    try {
      vc = VcJwt.verify(stored.get().jwt().reveal(), holderDid(), issuer.get(), clock.instant());
    } catch (VcException e) {
      receipt(vcEvent("use", id, "fallthrough").put("step", "verify").put("code", e.code()));
      return false;
    }
    return statusAllows(id, base, vc, stored.get());
  }

  /** {@code POST {base}/token} with {@code x-vc-jwt}; one retry on {@code use_dpop_nonce}. */
  private Capability sendVc(String id, URI base, URI tokenUrl, VcVault.Stored vc)
      throws CredentialException {
    EgressPolicy policy = policy(base, "/token");
    String origin = origin(base);
    boolean oauthKey = vc.binding() == VcVault.Binding.OAUTH;
    for (int attempt = 1; ; attempt++) {
      String nonce = nonces.get(origin);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Accept", "application/json");
      headers.put("Content-Type", "application/json");
      headers.put("x-vc-jwt", vc.jwt().reveal());
      // the VC's cnf.jkt names the key of its issue proof; the mint proof comes from that key
      // (the OAuth key's proof carries an ath of the VC, which a mint without access token ignores)
      String proof =
          oauthKey
              ? credentials.dpopProof(id, "POST", tokenUrl, vc.jwt(), nonce).reveal()
              : ownProof(id, "POST", tokenUrl, null, nonce);
      headers.put("DPoP", proof);
      EgressResponse res;
      try {
        res =
            egress.send(
                new EgressRequest(
                    "POST", tokenUrl.toString(), headers, "{}".getBytes(StandardCharsets.UTF_8)),
                policy);
      } catch (EgressException e) {
        throw new CredentialException(e.code(), "the VC mint request failed: " + e.getMessage());
      }
      boolean nonceIssued = keepNonce(tokenUrl, res.header("dpop-nonce"));
      if (res.status() == 400 && "use_dpop_nonce".equals(bodyError(res))) {
        if (attempt == 1 && nonceIssued) {
          continue;
        }
        throw new CredentialException(
            CredentialException.DPOP_NONCE_REJECTED, "the provider refused the DPoP nonce");
      }
      if (res.status() != 200) {
        String error = bodyError(res);
        throw new CredentialException(
            error != null && error.matches("[a-z0-9_]{1,64}") ? error : CAPABILITY_MINT_FAILED,
            "provider " + id + " refused the VC mint (HTTP " + res.status() + ")");
      }
      Capability cap = parse(res, MintedVia.VC, oauthKey, origin, proof);
      LOG.info("capability minted for provider {} via vc", id);
      return cap;
    }
  }

  /** The holder DID: the did:key of the key directory's Ed25519 {@code identity} key. */
  private String holderDid() throws CredentialException, VcException {
    try {
      return DidKey.fromPublicJwk(keys.ensure("identity").publicJwk()).did();
    } catch (KeyException e) {
      throw new CredentialException(e.code(), "the identity key is not available");
    }
  }

  // --- EntitlementService ---------------------------------------------------------------------

  /**
   * {@code POST {base}/vc/issue?holder_did=} with an access token (SPEC §8.4) and a holder proof:
   * by this bundle's {@code dpop:cap.<id>} key with an unbound (Bearer) token, by the OAuth DPoP
   * key with a DPoP-bound one (its proof is also the token's); the provider binds the VC to that
   * key. The answer is verified (holder, issuer pinned at the first fetch, validity) and stored.
   */
  @Override
  public Entitlement fetchVc(String providerId) throws CredentialException {
    open();
    if (providerId == null || !providerId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new CredentialException(CredentialException.UNKNOWN_PROVIDER, "no such provider");
    }
    ProviderStatus st = credentials.status(providerId);
    String id = st.provider().id();
    URI base = baseUrl(st);
    URI issueUrl = base.resolve("/vc/issue");
    if (!st.hasRefreshToken()) {
      // SPEC §8.4: the issue needs an OAuth grant; no network without one
      throw new CredentialException(
          CredentialException.MISSING_REFRESH_TOKEN, "log in to provider " + id + " first");
    }
    try {
      Entitlement e = issue(id, base, issueUrl);
      receipt(
          vcEvent("fetch", id, "ok")
              .put("issuer", e.issuer())
              .put("expires_at", e.expiresAt().toString()));
      return e;
    } catch (CredentialException e) {
      if (!RECEIPT_UNAVAILABLE.equals(e.code())) {
        receipt(vcEvent("fetch", id, "failed").put("code", e.code()));
      }
      throw e;
    }
  }

  private Entitlement issue(String id, URI base, URI issueUrl) throws CredentialException {
    String holder;
    try {
      holder = holderDid();
    } catch (VcException e) {
      throw issueFailed(e.code(), "the identity key is not an Ed25519 did:key");
    }
    // missing_refresh_token / oauth_refresh_failed end the fetch with their own code
    AccessCredential access = credentials.accessCredential(id, "POST", issueUrl);
    String authorization = access.authorization().reveal();
    boolean bound = access.dpopProof() != null;
    Sensitive<String> accessToken = null;
    if (bound) {
      if (!authorization.regionMatches(true, 0, "DPoP ", 0, 5)) {
        throw issueFailed(CAPABILITY_MINT_FAILED, "the access credential is not a DPoP token");
      }
      accessToken = Sensitive.of(authorization.substring(5));
    }
    URI target =
        URI.create(issueUrl + "?holder_did=" + URLEncoder.encode(holder, StandardCharsets.UTF_8));
    EgressPolicy policy = policy(base, "/vc/issue").withMaxResponseBytes(VcJwt.MAX_CHARS + 4096);
    String origin = origin(base);
    EgressResponse res;
    for (int attempt = 1; ; attempt++) {
      String nonce = nonces.get(origin);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Accept", "application/json");
      headers.put("Authorization", authorization);
      headers.put(
          "DPoP",
          bound
              ? (attempt == 1 && nonce == null
                  ? access.dpopProof().reveal()
                  : credentials.dpopProof(id, "POST", issueUrl, accessToken, nonce).reveal())
              : ownProof(id, "POST", issueUrl, null, nonce));
      try {
        res =
            egress.send(new EgressRequest("POST", target.toString(), headers, new byte[0]), policy);
      } catch (EgressException e) {
        throw issueFailed(e.code(), "the VC issue request failed");
      }
      boolean nonceIssued = keepNonce(issueUrl, res.header("dpop-nonce"));
      String error = bodyError(res);
      if ((res.status() == 400 || res.status() == 401)
          && ("use_dpop_nonce".equals(error)
              || String.valueOf(res.header("www-authenticate")).contains("use_dpop_nonce"))
          && attempt == 1
          && nonceIssued) {
        continue;
      }
      break;
    }
    if (res.status() != 200) {
      String error = bodyError(res);
      throw issueFailed(
          error != null && error.matches("[a-z0-9_]{1,64}") ? error : "http_" + res.status(),
          "the provider refused to issue a VC (HTTP " + res.status() + ")");
    }
    String jwt;
    try {
      JsonNode body = JSON.readTree(res.body());
      JsonNode v = body == null ? null : body.get("vc_jwt");
      if (v == null || !v.isTextual()) {
        throw issueFailed("invalid_vc", "the issue answer has no vc_jwt");
      }
      jwt = v.asText();
    } catch (IOException e) {
      throw issueFailed("invalid_vc", "the issue answer is not JSON");
    }
    VcJwt.Verified vc;
    Optional<String> pinned = vault.pinnedIssuer(id);
    try {
      vc = VcJwt.verify(jwt, holder, pinned.orElse(null), clock.instant());
      // the issuer must be the key the provider signs with: a did:key is all a holder can pin
      DidKey.parse(vc.issuer());
    } catch (VcException e) {
      throw issueFailed(e.code(), "the issued VC does not verify");
    }
    if (pinned.isEmpty()) {
      vault.pinIssuer(id, vc.issuer());
      LOG.info("provider {}: VC issuer pinned at the first fetch", id);
    }
    vault.store(id, jwt, bound ? VcVault.Binding.OAUTH : VcVault.Binding.CAP);
    LOG.info("provider {}: VC fetched and stored", id);
    return new Entitlement(id, vc.issuer(), vc.validUntil(), vc.scope());
  }

  private static CredentialException issueFailed(String cause, String message) {
    return new CredentialException(VC_ISSUE_FAILED, message + " (cause: " + cause + ")");
  }

  /**
   * The {@code vc} revocation (through {@link VcRevoker}): deletes the provider's stored VC and
   * drops its cached capability. Whether a VC was stored.
   */
  boolean revokeVc(String id) throws CredentialException {
    open();
    if (id == null || !id.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new CredentialException(CredentialException.UNKNOWN_PROVIDER, "no such provider");
    }
    credentials.status(id); // unknown_provider; nothing changes then
    boolean had = vault.delete(id);
    boolean hadCap = cache.remove(id) != null;
    unknownAsked.remove(id);
    LOG.info("VC of provider {} revoked locally (held: {})", id, had);
    receipt(vcEvent("revoke", id, "ok").put("had_vc", had).put("had_capability", hadCap));
    return had;
  }

  private Capability mintWithOAuth(String id, URI base, URI tokenUrl) throws CredentialException {
    AccessCredential access = credentials.accessCredential(id, "POST", tokenUrl);
    String authorization = access.authorization().reveal();
    if (access.dpopProof() == null) {
      // an unbound access token: Bearer, and the capability binds to this bundle's own key
      return send(id, base, tokenUrl, MintedVia.OAUTH, authorization, null);
    }
    // a DPoP-bound access token needs a proof by its own key; the capability binds to that key
    if (!authorization.regionMatches(true, 0, "DPoP ", 0, 5)) {
      throw new CredentialException(
          CAPABILITY_MINT_FAILED, "the access credential is not a DPoP token");
    }
    Sensitive<String> accessToken = Sensitive.of(authorization.substring(5));
    return send(id, base, tokenUrl, MintedVia.OAUTH, authorization, accessToken);
  }

  /**
   * {@code POST {base}/token} with a fresh proof; one retry on {@code use_dpop_nonce}.
   *
   * @param authorization the Authorization header value of an OAuth mint, or null
   * @param boundAccessToken the DPoP-bound access token (proof by the OAuth key), or null
   */
  private Capability send(
      String id,
      URI base,
      URI tokenUrl,
      MintedVia via,
      String authorization,
      Sensitive<String> boundAccessToken)
      throws CredentialException {
    EgressPolicy policy = policy(base, "/token");
    String origin = origin(base);
    for (int attempt = 1; ; attempt++) {
      String nonce = nonces.get(origin);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Accept", "application/json");
      headers.put("Content-Type", "application/json");
      if (authorization != null) {
        headers.put("Authorization", authorization);
      }
      String proof =
          boundAccessToken != null
              ? credentials.dpopProof(id, "POST", tokenUrl, boundAccessToken, nonce).reveal()
              : ownProof(id, "POST", tokenUrl, null, nonce);
      headers.put("DPoP", proof);
      EgressResponse res;
      try {
        res =
            egress.send(
                new EgressRequest(
                    "POST",
                    tokenUrl.toString(),
                    headers,
                    "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                policy);
      } catch (EgressException e) {
        // egress messages carry neither header values nor bodies
        throw new CredentialException(e.code(), "the mint request failed: " + e.getMessage());
      }
      boolean nonceIssued = keepNonce(tokenUrl, res.header("dpop-nonce"));
      if (res.status() == 400 && "use_dpop_nonce".equals(bodyError(res))) {
        if (attempt == 1 && nonceIssued) {
          continue;
        }
        throw new CredentialException(
            CredentialException.DPOP_NONCE_REJECTED, "the provider refused the DPoP nonce");
      }
      if (res.status() == 402) {
        throw new CredentialException(
            PAYMENT_REQUIRED, "provider " + id + " asks for a payment to mint a capability");
      }
      if (res.status() != 200) {
        throw new CredentialException(
            CAPABILITY_MINT_FAILED,
            "provider " + id + " refused the mint (HTTP " + res.status() + ")");
      }
      Capability cap = parse(res, via, boundAccessToken != null, origin, proof);
      LOG.info("capability minted for provider {} via {}", id, via.label());
      return cap;
    }
  }

  /**
   * The mint answer as a capability; its token must be bound ({@code cnf.jkt}) to the key of the
   * mint proof that was sent, else a hostile provider or a MITM on loopback http could hand out an
   * unbound token that would then be sent as DPoP-bound.
   */
  private Capability parse(
      EgressResponse res, MintedVia via, boolean oauthKey, String origin, String sentProof)
      throws CredentialException {
    JsonNode body;
    try {
      body = JSON.readTree(res.body());
    } catch (IOException e) {
      throw new CredentialException(CAPABILITY_MINT_FAILED, "the mint answer is not JSON");
    }
    if (body == null || !body.isObject()) {
      throw new CredentialException(CAPABILITY_MINT_FAILED, "the mint answer is not an object");
    }
    JsonNode token = body.get("token");
    JsonNode expires = body.get("expires_at_rfc3339");
    JsonNode maxCalls = body.get("max_calls");
    // the token goes into a header: only token68-like characters, never a line break
    if (token == null
        || !token.isTextual()
        || token.asText().length() > MAX_TOKEN_CHARS
        || !token.asText().matches(TOKEN_CHARS)) {
      throw new CredentialException(CAPABILITY_MINT_FAILED, "the mint answer has no usable token");
    }
    String proofJkt = MintBinding.proofJkt(sentProof);
    if (proofJkt == null || !proofJkt.equals(MintBinding.tokenJkt(token.asText()))) {
      throw new CredentialException(
          CAPABILITY_MINT_FAILED, "the minted token is not bound to the key of the mint proof");
    }
    Instant expiresAt;
    try {
      expiresAt = OffsetDateTime.parse(expires == null ? "" : expires.asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw new CredentialException(CAPABILITY_MINT_FAILED, "the mint answer has no expiry");
    }
    if (maxCalls == null || !maxCalls.canConvertToInt() || maxCalls.asInt() < 1) {
      throw new CredentialException(CAPABILITY_MINT_FAILED, "the mint answer has no max_calls");
    }
    return new Capability(
        Sensitive.of(token.asText()), expiresAt, maxCalls.asInt(), via, oauthKey, origin);
  }

  private Sensitive<String> proof(String id, Capability cap, String method, URI htu)
      throws CredentialException {
    String nonce = nonces.get(origin(htu));
    if (cap.oauthKey) {
      return credentials.dpopProof(id, method, htu, cap.token, nonce);
    }
    return Sensitive.of(ownProof(id, method, htu, cap.token.reveal(), nonce));
  }

  private String ownProof(String id, String method, URI htu, String token, String nonce)
      throws CredentialException {
    try {
      return keys.dpopProof(keyServer(id), KeyAlgorithm.P256, method, htu.toString(), token, nonce);
    } catch (KeyException e) {
      throw new CredentialException(e.code(), "cannot sign a DPoP proof");
    }
  }

  private ObjectNode vcEvent(String action, String providerId, String outcome) {
    ObjectNode e = event(action, providerId, outcome);
    e.put("type", "vc");
    return e;
  }

  private ObjectNode event(String action, String providerId, String outcome) {
    ObjectNode e = JSON.createObjectNode();
    e.put("type", "capability");
    e.put("action", action);
    e.put("provider", providerId);
    e.put("outcome", outcome);
    e.put("ts", clock.instant().toString());
    return e;
  }

  /** Appends a receipt (never a value); one that cannot be written fails the step. */
  private void receipt(ObjectNode event) throws CredentialException {
    try {
      receipts.append(event);
    } catch (ReceiptException e) {
      throw new CredentialException(
          RECEIPT_UNAVAILABLE, "the receipt log refused the capability receipt");
    }
  }

  /** Keeps a usable nonce as the newest of its origin. */
  private boolean keepNonce(URI url, String nonce) {
    if (nonce == null || !nonce.matches(NONCE_CHARS)) {
      return false;
    }
    nonces.put(origin(url), nonce);
    return true;
  }

  private static String bodyError(EgressResponse res) {
    try {
      JsonNode body = JSON.readTree(res.body());
      JsonNode error = body == null ? null : body.get("error");
      return error != null && error.isTextual() ? error.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The provider a need names: {@code unknown_provider} when none is registered. */
  private ProviderStatus provider(CredentialNeed need) throws CredentialException {
    if (need == null || !CredentialNeed.CAPABILITY.equals(need.strategy())) {
      throw new CredentialException(
          CredentialException.INVALID_CREDENTIAL_NEED, "not a capability credential need");
    }
    if (!need.options().isEmpty()) {
      throw new CredentialException(
          CredentialException.INVALID_CREDENTIAL_NEED, "a capability need takes no options");
    }
    return credentials.status(need.reference());
  }

  /** The registered base URL, re-checked (SPEC §8.1): https, or loopback http when allowed. */
  private URI baseUrl(ProviderStatus status) throws CredentialException {
    URI base;
    try {
      base = new URI(status.provider().baseUrl());
    } catch (URISyntaxException | NullPointerException e) {
      throw new CredentialException(CredentialException.INVALID_BASE_URL, "invalid base URL");
    }
    String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
    boolean ok =
        base.getHost() != null
            && base.getRawUserInfo() == null
            && base.getRawQuery() == null
            && base.getRawFragment() == null
            && (base.getRawPath() == null || base.getRawPath().isEmpty())
            && (scheme.equals("https") || (scheme.equals("http") && loopback(base.getHost())));
    if (!ok) {
      throw new CredentialException(CredentialException.INVALID_BASE_URL, "invalid base URL");
    }
    return base;
  }

  private EgressPolicy policy(URI base, String pathPrefix) {
    return EgressPolicy.of(Set.of(base.getHost().toLowerCase(Locale.ROOT)), List.of(pathPrefix))
        .withDevLoopback(loopbackAllowed && loopback(base.getHost()))
        .withMaxResponseBytes(64 * 1024);
  }

  private static final java.util.regex.Pattern LOOPBACK_V4 =
      java.util.regex.Pattern.compile(
          "127\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
              + "(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){2}");

  /**
   * A loopback literal only: a dotted quad of ASCII digits in 127.0.0.0/8, {@code localhost}, or
   * {@code [::1]}/{@code ::1}. A name such as {@code 127.attacker.example} is not loopback.
   */
  static boolean loopback(String host) {
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    return h.equals("localhost")
        || h.equals("[::1]")
        || h.equals("::1")
        || LOOPBACK_V4.matcher(h).matches();
  }

  /** RFC 9449 {@code htu}: the target without query and fragment. */
  static URI htu(URI target) throws CredentialException {
    try {
      if (target == null || target.getScheme() == null || target.getRawAuthority() == null) {
        throw new URISyntaxException(String.valueOf(target), "not absolute");
      }
      return new URI(target.getScheme() + "://" + target.getRawAuthority() + rawPath(target));
    } catch (URISyntaxException e) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED, "the target is not an absolute URL");
    }
  }

  private static String rawPath(URI u) {
    return u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
  }

  static String origin(URI u) {
    int port = u.getPort();
    if (port < 0) {
      port = "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
    return u.getScheme().toLowerCase(Locale.ROOT)
        + "://"
        + u.getHost().toLowerCase(Locale.ROOT)
        + ":"
        + port;
  }

  private static boolean sameOrigin(URI base, URI target) {
    return target.getRawUserInfo() == null && origin(base).equals(origin(target));
  }

  private void open() {
    if (closed) {
      throw new CredentialException(
          CredentialException.BACKEND_UNAVAILABLE, "the capability strategy is stopped");
    }
  }
}
