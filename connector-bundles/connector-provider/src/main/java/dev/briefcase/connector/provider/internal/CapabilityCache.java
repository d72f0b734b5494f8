package dev.briefcase.connector.provider.internal;

import dev.briefcase.connector.provider.internal.Capability.MintedVia;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.ProviderStatus;
import java.net.URI;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-provider capability cache: capabilities in memory only, one mint at a time per provider,
 * a cached capability used only on the origin that minted it and, when minted with a VC, only while
 * that VC still holds.
 */
final class CapabilityCache {
  private final Map<String, Capability> cache = new ConcurrentHashMap<>();
  private final Map<String, Object> mintLocks = new ConcurrentHashMap<>();
  private final CapabilityReceipts receipts;
  private final Clock clock;

  CapabilityCache(CapabilityReceipts receipts, Clock clock) {
    this.receipts = receipts;
    this.clock = clock;
  }

  Capability get(String id) {
    return cache.get(id);
  }

  /** Drops the provider's capability; whether one was cached. */
  boolean drop(String id) {
    return cache.remove(id) != null;
  }

  /** Drops {@code cap} if it is still the provider's capability. */
  boolean drop(String id, Capability cap) {
    return cache.remove(id, cap);
  }

  void clear() {
    cache.clear();
  }

  /**
   * The provider's capability, cached or freshly minted by {@code minter} (one mint at a time per
   * provider), with one call taken.
   */
  Capability usable(ProviderStatus status, URI base, VcStep vc, CapabilityMinter minter)
      throws CredentialException {
    String id = status.provider().id();
    String origin = ProviderUrls.origin(base);
    Capability cap = cache.get(id);
    // SPEC §8.4 status pre-flight on every call: a capability minted with a VC is only used while
    // that VC is still stored, verifies and its status lists say valid (lists are cached for their
    // ttl, so this is usually no request)
    if (cap != null && cap.mintedVia == MintedVia.VC && !vc.vcStillValid(id, base)) {
      if (cache.remove(id, cap)) {
        receipts.append(receipts.event("drop", id, "ok").put("reason", "vc_not_valid"));
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
        fresh = minter.mint(status, base, vc);
      } catch (CredentialException e) {
        if (!CapabilityStrategy.RECEIPT_UNAVAILABLE.equals(e.code())) {
          receipts.append(receipts.event("mint", id, "failed").put("code", e.code()));
        }
        throw e;
      }
      receipts.append(
          receipts
              .event("mint", id, "ok")
              .put("minted_via", fresh.mintedVia.label())
              .put("max_calls", fresh.remaining())
              .put("expires_at", fresh.expiresAt.toString()));
      if (!fresh.takeFresh(clock.instant())) {
        throw new CredentialException(
            CapabilityStrategy.CAPABILITY_MINT_FAILED,
            "the provider minted a capability that is already expired");
      }
      cache.put(id, fresh);
      return fresh;
    }
  }
}
