package dev.briefcase.connector.provider.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.StatusOutcome;
import dev.briefcase.vc.VcException;
import dev.briefcase.vc.VcJwt;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 1 of the SPEC §8.5 mint order and the §8.4 status pre-flight: the provider's stored VC,
 * verified (holder = the identity did:key, issuer = the pinned one), its status lists checked
 * (signed, cached for their ttl), an unknown status asking for an approval or denying per {@code
 * vc.status.unknown.mode}.
 */
final class VcStep {
  private static final Logger LOG = LoggerFactory.getLogger(CapabilityStrategy.class);
  private final VcVault vault;
  private final StatusChecker status;
  private final Set<String> statusHosts;
  private final boolean denyUnknown;
  private final KeyDirectory keys;
  private final CapabilityReceipts receipts;
  private final CapabilityCache cache;
  private final Clock clock;
  // provider id → when an approval for its unknown VC status was last asked for
  private final Map<String, Instant> unknownAsked = new ConcurrentHashMap<>();

  VcStep(
      VcVault vault,
      StatusChecker status,
      Set<String> statusHosts,
      boolean denyUnknown,
      KeyDirectory keys,
      CapabilityReceipts receipts,
      CapabilityCache cache,
      Clock clock) {
    this.vault = vault;
    this.status = status;
    this.statusHosts = statusHosts;
    this.denyUnknown = denyUnknown;
    this.keys = keys;
    this.receipts = receipts;
    this.cache = cache;
    this.clock = clock;
  }

  /** Forgets when an approval for the provider's unknown status was asked for. */
  void forget(String id) {
    unknownAsked.remove(id);
  }

  void clear() {
    status.clear();
  }

  /**
   * Step 1 of SPEC §8.5: the stored VC, verified (holder = our identity did:key, issuer = the
   * pinned one), its status checked (§8.4), then a mint with {@code x-vc-jwt} and a proof by the
   * key the VC is bound to. Empty (receipted) when any of it fails, so the next strategy mints; an
   * unknown status asks for an approval or denies instead of falling through.
   */
  Optional<Capability> mintWithVc(String id, URI base, URI tokenUrl, CapabilityMinter minter)
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
      receipts.append(
          receipts.vcEvent("mint", id, "fallthrough").put("step", "verify").put("code", e.code()));
      return Optional.empty();
    } catch (CredentialException e) {
      if (CapabilityStrategy.RECEIPT_UNAVAILABLE.equals(e.code())) {
        throw e;
      }
      receipts.append(
          receipts.vcEvent("mint", id, "fallthrough").put("step", "verify").put("code", e.code()));
      return Optional.empty();
    }
    if (!statusAllows(id, base, vc, stored.get())) {
      return Optional.empty();
    }
    try {
      return Optional.of(minter.sendVc(id, base, tokenUrl, stored.get()));
    } catch (CredentialException e) {
      if (CapabilityStrategy.RECEIPT_UNAVAILABLE.equals(e.code())) {
        throw e;
      }
      receipts.append(
          receipts.vcEvent("mint", id, "fallthrough").put("step", "mint").put("code", e.code()));
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
      ObjectNode r = receipts.node();
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
      receipts.append(r);
    }
    switch (outcome) {
      case VALID:
        return true;
      case REVOKED:
        vault.markRevoked(id, stored.jwt());
        boolean had = cache.drop(id);
        receipts.append(
            receipts
                .vcEvent("mint", id, "fallthrough")
                .put("step", "status")
                .put("code", "vc_revoked")
                .put("had_capability", had));
        LOG.info("the VC of provider {} is revoked; falling through", id);
        return false;
      case INVALID:
        receipts.append(
            receipts
                .vcEvent("mint", id, "fallthrough")
                .put("step", "status")
                .put("code", "vc_invalid"));
        return false;
      default:
        break;
    }
    if (denyUnknown) {
      receipts.append(
          receipts
              .vcEvent("mint", id, "denied")
              .put("step", "status")
              .put("code", CapabilityStrategy.VC_STATUS_UNKNOWN));
      throw new CredentialException(
          CapabilityStrategy.VC_STATUS_UNKNOWN, "the VC status of provider " + id + " is unknown");
    }
    Instant asked = unknownAsked.get(id);
    if (ApprovedCall.approved()
        && asked != null
        && clock.instant().isBefore(asked.plus(CapabilityStrategy.UNKNOWN_APPROVAL_WINDOW))) {
      receipts.append(
          receipts
              .vcEvent("mint", id, "approved")
              .put("step", "status")
              .put("code", CapabilityStrategy.VC_STATUS_UNKNOWN));
      return true;
    }
    unknownAsked.put(id, clock.instant());
    receipts.append(
        receipts
            .vcEvent("mint", id, "approval_required")
            .put("step", "status")
            .put("code", CapabilityStrategy.VC_STATUS_UNKNOWN));
    throw new CapabilityStrategy.StatusUnknownApproval(id);
  }

  /** Whether the VC behind a cached capability still holds (see {@link #statusAllows}). */
  boolean vcStillValid(String id, URI base) throws CredentialException {
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
      receipts.append(
          receipts.vcEvent("use", id, "fallthrough").put("step", "verify").put("code", e.code()));
      return false;
    }
    return statusAllows(id, base, vc, stored.get());
  }

  /** The holder DID: the did:key of the key directory's Ed25519 {@code identity} key. */
  String holderDid() throws CredentialException, VcException {
    try {
      return DidKey.fromPublicJwk(keys.ensure("identity").publicJwk()).did();
    } catch (KeyException e) {
      throw new CredentialException(e.code(), "the identity key is not available");
    }
  }
}
