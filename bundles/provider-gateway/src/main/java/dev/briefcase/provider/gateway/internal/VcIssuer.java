package dev.briefcase.provider.gateway.internal;

import dev.briefcase.vc.BitstringStatusList;
import dev.briefcase.vc.DidKey;
import dev.briefcase.vc.JwsSigner;
import dev.briefcase.vc.StatusEntry;
import dev.briefcase.vc.StatusListCredential;
import dev.briefcase.vc.VcException;
import dev.briefcase.vc.VcJwt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The provider's VC issuer (SPEC §8.4, §8.5): issues holder-bound entitlement credentials with a
 * {@code revocation} and a {@code suspension} {@link StatusEntry} at one random unused index,
 * serves both signed status lists (re-signed only after a bit changed or the key rotated), flips
 * bits for the admin, and checks a VC presented at the mint against the in-process lists. The lists
 * are rebuilt from {@link IssuedCredentials} at start. Thread-safe (one lock).
 */
final class VcIssuer implements VcMint {
  /** Entries per status list (the W3C minimum: herd privacy). */
  static final int LIST_ENTRIES = BitstringStatusList.MIN_ENTRIES;

  static final List<String> PURPOSES = List.of(StatusEntry.REVOCATION, StatusEntry.SUSPENSION);

  private static final int RANDOM_TRIES = 64;

  /** A signed status list and its entity tag. */
  record SignedList(String kid, String jwt, String etag) {}

  /** An issued credential. */
  record Issued(String id, String jwt, Instant expiresAt) {}

  private final Settings settings;
  private final Clock clock;
  private final TokenKey key;
  private final IssuedCredentials table;
  private final SecureRandom random;
  private final String tier;
  private final long statusTtlMillis;
  private final BitSet used = new BitSet(LIST_ENTRIES);
  private final Map<String, BitstringStatusList.Builder> lists = new HashMap<>();
  private final Map<String, SignedList> signed = new HashMap<>();

  VcIssuer(
      Settings settings,
      Clock clock,
      TokenKey key,
      IssuedCredentials table,
      SecureRandom random,
      String tier,
      long statusTtlMillis) {
    this.settings = settings;
    this.clock = clock;
    this.key = key;
    this.table = table;
    this.random = random;
    this.tier = tier;
    this.statusTtlMillis = statusTtlMillis;
    try {
      for (String purpose : PURPOSES) {
        lists.put(purpose, new BitstringStatusList.Builder(LIST_ENTRIES, 1));
      }
      for (IssuedCredentials.Row row : table.all()) {
        if (row.index() < 0 || row.index() >= LIST_ENTRIES) {
          continue;
        }
        used.set(row.index());
        lists.get(StatusEntry.REVOCATION).set(row.index(), row.revokedAt() != null ? 1 : 0);
        lists.get(StatusEntry.SUSPENSION).set(row.index(), row.suspended() ? 1 : 0);
      }
    } catch (VcException e) {
      throw new IllegalStateException("status lists cannot be built", e);
    }
  }

  // ---- issuing ----

  /** Issues a credential for {@code holderDid} bound to the key with thumbprint {@code jkt}. */
  Issued issue(String holderDid, String jkt) {
    String holder;
    try {
      holder = DidKey.parse(holderDid).did();
    } catch (VcException e) {
      throw new ProviderError(400, "invalid_did", "holder_did is not a did:key");
    }
    int index = allocate();
    boolean stored = false;
    try {
      Instant now = clock.instant();
      Instant until = now.plus(VcJwt.DEFAULT_VALIDITY);
      List<StatusEntry> status = new ArrayList<>();
      for (String purpose : PURPOSES) {
        status.add(StatusEntry.of(null, purpose, index, settings.statusUrl(purpose), 1));
      }
      String jwt =
          VcJwt.issue(holder, settings.scope(), tier, now, now, until, status, jkt, signer());
      String id = VcJwt.verify(jwt, holder, null, now).id();
      try {
        table.insert(
            new IssuedCredentials.Row(
                id, holder, index, now.toEpochMilli(), until.toEpochMilli(), null, false));
      } catch (RuntimeException e) {
        throw new ProviderError(503, "store_unavailable", "issued credential not stored");
      }
      stored = true;
      return new Issued(id, jwt, until);
    } catch (VcException e) {
      throw new ProviderError(500, "vc_issue_failed", "credential not issued: " + e.code());
    } finally {
      if (!stored) {
        release(index);
      }
    }
  }

  /**
   * A random unused index (W3C privacy note: not sequential), else 503 {@code status_list_full}.
   */
  private synchronized int allocate() {
    for (int i = 0; i < RANDOM_TRIES; i++) {
      int candidate = random.nextInt(LIST_ENTRIES);
      if (!used.get(candidate)) {
        used.set(candidate);
        return candidate;
      }
    }
    int start = random.nextInt(LIST_ENTRIES);
    int free = used.nextClearBit(start);
    if (free >= LIST_ENTRIES) {
      free = used.nextClearBit(0);
    }
    if (free >= LIST_ENTRIES) {
      throw new ProviderError(503, "status_list_full", "every status list index is in use");
    }
    used.set(free);
    return free;
  }

  private synchronized void release(int index) {
    used.clear(index);
  }

  private JwsSigner signer() {
    TokenKey.PublicKey pub = key.current();
    DidKey did;
    try {
      did = DidKey.ed25519(pub.raw());
    } catch (VcException e) {
      throw new ProviderError(503, "signing_key_unavailable", "identity key is no did:key");
    }
    return JwsSigner.of(did, key::sign);
  }

  private String ownDid() {
    try {
      return DidKey.ed25519(key.current().raw()).did();
    } catch (VcException e) {
      throw new ProviderError(503, "signing_key_unavailable", "identity key is no did:key");
    }
  }

  // ---- status lists ----

  /** The signed list of {@code purpose}: cached, re-signed after a change or a key rotation. */
  synchronized SignedList statusList(String purpose) {
    BitstringStatusList.Builder list = lists.get(purpose);
    if (list == null) {
      throw new ProviderError(404, "not_found", "no such status list");
    }
    String kid = key.current().kid();
    SignedList cached = signed.get(purpose);
    if (cached != null && cached.kid().equals(kid)) {
      return cached;
    }
    String jwt;
    try {
      jwt =
          StatusListCredential.issue(
              settings.statusUrl(purpose),
              purpose,
              list.encode(),
              statusTtlMillis,
              clock.instant(),
              null,
              signer());
    } catch (VcException e) {
      throw new ProviderError(503, "signing_key_unavailable", "status list not signed");
    }
    SignedList fresh = new SignedList(kid, jwt, etag(jwt));
    signed.put(purpose, fresh);
    return fresh;
  }

  long statusTtlMillis() {
    return statusTtlMillis;
  }

  static String etag(String body) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.US_ASCII));
      return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- admin: revoke, suspend, unsuspend ----

  /** The admin actions on a credential's status bits. */
  enum Action {
    REVOKE,
    SUSPEND,
    UNSUSPEND
  }

  /**
   * Applies {@code action} to the credentials named by {@code id} or {@code holderDid} (exactly one
   * not null): the row, then the bit, then the list is re-signed. The ids changed; 404 {@code
   * vc_not_found} when none matches.
   */
  synchronized List<String> apply(Action action, String id, String holderDid) {
    List<IssuedCredentials.Row> rows;
    try {
      if (id != null) {
        Optional<IssuedCredentials.Row> row = table.byId(id);
        rows = row.map(List::of).orElse(List.of());
      } else {
        rows = table.byHolder(holderDid);
      }
    } catch (RuntimeException e) {
      throw new ProviderError(503, "store_unavailable", "issued credentials unreadable");
    }
    if (rows.isEmpty()) {
      throw new ProviderError(404, "vc_not_found", "no credential issued so");
    }
    List<String> ids = rows.stream().map(IssuedCredentials.Row::id).toList();
    String purpose = action == Action.REVOKE ? StatusEntry.REVOCATION : StatusEntry.SUSPENSION;
    try {
      switch (action) {
        case REVOKE -> table.revoke(ids, clock.millis());
        case SUSPEND -> table.suspend(ids, true);
        case UNSUSPEND -> table.suspend(ids, false);
      }
    } catch (RuntimeException e) {
      throw new ProviderError(503, "store_unavailable", "status not stored");
    }
    BitstringStatusList.Builder list = lists.get(purpose);
    boolean changed = false;
    try {
      for (IssuedCredentials.Row row : rows) {
        long value = action == Action.UNSUSPEND ? 0 : 1;
        if (list.get(row.index()) != value) {
          list.set(row.index(), value);
          changed = true;
        }
      }
    } catch (VcException e) {
      throw new IllegalStateException("a stored index lies outside the list", e);
    }
    if (changed) {
      signed.remove(purpose);
      try {
        statusList(purpose);
      } catch (ProviderError e) {
        // the bit is set; the next GET /status signs the list
      }
    }
    return ids;
  }

  // ---- the mint's x-vc-jwt ----

  @Override
  public Grant verify(String vcJwt) {
    Instant now = clock.instant();
    VcJwt.Verified vc;
    try {
      vc = VcJwt.verify(vcJwt, null, ownDid(), now);
    } catch (VcException e) {
      throw new ProviderError(401, e.code(), "VC refused");
    }
    String jkt;
    try {
      jkt = VcJwt.confirmationJkt(vcJwt);
    } catch (VcException e) {
      throw new ProviderError(401, "invalid_vc", "malformed cnf");
    }
    if (jkt == null) {
      throw new ProviderError(401, "vc_holder_mismatch", "the VC is bound to no key");
    }
    if (vc.id() == null) {
      throw new ProviderError(401, "invalid_vc", "the VC has no id");
    }
    IssuedCredentials.Row row;
    try {
      row = table.byId(vc.id()).orElse(null);
    } catch (RuntimeException e) {
      throw new ProviderError(503, "store_unavailable", "issued credentials unreadable");
    }
    if (row == null || !row.holder().equals(vc.subject())) {
      throw new ProviderError(401, "invalid_vc", "not a credential this provider issued");
    }
    if (vc.status().size() != PURPOSES.size()) {
      throw new ProviderError(401, "invalid_vc", "the VC lacks its status entries");
    }
    for (StatusEntry entry : vc.status()) {
      String purpose = entry.statusPurpose();
      if (!PURPOSES.contains(purpose)
          || entry.statusListIndex() != row.index()
          || entry.statusSize() != 1
          || !settings.statusUrl(purpose).equals(entry.statusListCredential())) {
        throw new ProviderError(401, "invalid_vc", "status entries are not the issued ones");
      }
    }
    synchronized (this) {
      try {
        if (lists.get(StatusEntry.REVOCATION).get(row.index()) != 0) {
          throw new ProviderError(401, "vc_revoked", "the VC is revoked");
        }
        if (lists.get(StatusEntry.SUSPENSION).get(row.index()) != 0) {
          throw new ProviderError(401, "vc_suspended", "the VC is suspended");
        }
      } catch (VcException e) {
        throw new ProviderError(401, "invalid_vc", "status index out of range");
      }
    }
    String scope = vc.scope() == null ? "" : vc.scope();
    return new Grant(scope.split(" "), jkt);
  }
}
