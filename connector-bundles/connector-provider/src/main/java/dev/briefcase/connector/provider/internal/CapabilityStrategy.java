package dev.briefcase.connector.provider.internal;

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
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
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
 *
 * <p>This class is the DS shell: it checks needs and wires plain package-private parts, {@link
 * CapabilityCache} (the per-provider cache and mint lock), {@link CapabilityMinter} (the §8.5 order
 * and the mint over egress with nonce retry), {@link VcStep} (the VC step and §8.4 status check),
 * {@link VcFetch} (the {@link EntitlementService} fetch), {@link ProviderUrls} (base URL, loopback
 * and origin rules) and {@link CapabilityReceipts}.
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

  private static final Logger LOG = LoggerFactory.getLogger(CapabilityStrategy.class);
  private final CredentialService credentials;
  private final VcVault vault;
  private final SecretStore secrets;
  private final CapabilityReceipts receipts;
  private final CapabilityCache cache;
  private final CapabilityMinter minter;
  private final VcStep vc;
  private final VcFetch fetch;
  private volatile boolean closed;
  private volatile PaymentService payments;

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
    this.secrets = secrets;
    this.vault = new VcVault(secrets);
    Set<String> hosts = new TreeSet<>();
    for (String h : statusHosts) {
      if (h != null && !h.isBlank()) {
        hosts.add(h.strip().toLowerCase(Locale.ROOT));
      }
    }
    this.receipts = new CapabilityReceipts(receipts, clock);
    this.cache = new CapabilityCache(this.receipts, clock);
    this.minter = new CapabilityMinter(credentials, keys, egress, loopbackAllowed);
    this.vc =
        new VcStep(
            vault,
            new StatusChecker(egress, clock, loopbackAllowed),
            Set.copyOf(hosts),
            mode.equals(MODE_DENY),
            keys,
            this.receipts,
            cache,
            clock);
    this.fetch =
        new VcFetch(credentials, egress, minter, vc, vault, this.receipts, loopbackAllowed, clock);
  }

  /** The kernel's payment step, when present: a mint answered 402 is paid and sent once more. */
  @Reference(
      cardinality = ReferenceCardinality.OPTIONAL,
      policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY)
  void bindPayments(PaymentService service) {
    payments = service;
    minter.payments(service);
  }

  void unbindPayments(PaymentService service) {
    if (payments == service) {
      payments = null;
      minter.payments(null);
    }
  }

  @Deactivate
  void deactivate() {
    closed = true;
    cache.clear();
    minter.clear();
    vc.clear();
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
    URI base = ProviderUrls.baseUrl(status);
    URI htu = ProviderUrls.htu(target);
    if (!ProviderUrls.sameOrigin(base, htu)) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED,
          "a capability of provider " + id + " is only sent to that provider");
    }
    if (method == null || !method.matches("[A-Z]{1,16}")) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED, "unsupported HTTP method");
    }
    Capability cap = cache.usable(status, base, vc, minter);
    Sensitive<String> proof;
    try {
      proof = minter.proof(id, cap, method, htu);
    } catch (CredentialException e) {
      if (!cap.oauthKey) {
        throw e;
      }
      // the OAuth grant (and with it the key the capability is bound to) was revoked or replaced
      // (SPEC §15: revoking OAuth drops cached capabilities): mint afresh, once
      cache.drop(id, cap);
      receipts.append(
          receipts.event("drop", id, "ok").put("reason", "oauth_key_gone").put("code", e.code()));
      cap = cache.usable(credentials.status(id), base, vc, minter);
      proof = minter.proof(id, cap, method, htu);
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
      if (minter.keepNonce(ProviderUrls.htu(target), rejection.dpopNonce())) {
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
        cache.drop(id);
        receipts.append(
            receipts
                .event("drop", id, "ok")
                .put("status", status)
                .put("reason", "oauth_key_rotated"));
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
      boolean had = cache.drop(id);
      LOG.debug("capability of provider {} dropped after HTTP {}", id, status);
      if (had) {
        receipts.append(
            receipts
                .event("drop", id, "ok")
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
    boolean had = cache.drop(id);
    LOG.info("capability of provider {} revoked locally (held: {})", id, had);
    receipts.append(receipts.event("revoke", id, "ok").put("had_capability", had));
    return had;
  }

  // --- internals ------------------------------------------------------------------------------

  /** What is cached for a provider, for tests: never the value. */
  Optional<Capability> cached(String providerId) {
    return Optional.ofNullable(cache.get(providerId));
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
    return fetch.fetch(providerId);
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
    boolean hadCap = cache.drop(id);
    vc.forget(id);
    LOG.info("VC of provider {} revoked locally (held: {})", id, had);
    receipts.append(
        receipts.vcEvent("revoke", id, "ok").put("had_vc", had).put("had_capability", hadCap));
    return had;
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

  private void open() {
    if (closed) {
      throw new CredentialException(
          CredentialException.BACKEND_UNAVAILABLE, "the capability strategy is stopped");
    }
  }
}
