package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.approvals.ApprovalEvent;
import dev.briefcase.approvals.ApprovalException;
import dev.briefcase.approvals.ApprovalGrant;
import dev.briefcase.approvals.ApprovalListener;
import dev.briefcase.approvals.ApprovalService;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.store.Store;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.ApprovalWatch;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approval requests (SPEC §4), kept in the store so an approval survives a restart. A request binds
 * one tool id and call hash; it is approved or rejected once, and an approved request is consumed
 * by exactly one call before it expires. Every decision writes one {@code approval_decision}
 * receipt (approval id, tool id, decision, call hash, actor), whichever surface made it; a decision
 * whose receipt cannot be written is undone and refused ({@code receipt_failed}).
 *
 * <p>Flood control (SPEC §4 Δ 2026-12): an identical pending request from the same principal (same
 * call hash and kind) is returned instead of a new one; a principal holds at most {@code
 * max_pending_per_principal} pending requests ({@code too_many_pending_approvals}) and creates them
 * from a token bucket ({@code approval_rate_limited}). Because every MCP session is its own
 * principal, the same two limits also hold per door (the principal's first segment: {@code mcp},
 * {@code admin-api}, ...): {@code max_pending_per_door} and a door token bucket, so opening many
 * sessions cannot flood the humans' list either. {@link #pending} lists up to the sum of the door
 * caps, so everything the caps let in is shown.
 *
 * <p>Tokens: {@link #grant} issues a random token bound to the requesting principal; only its
 * SHA-256 is stored. The approval id is never a token.
 */
@Component(
    service = {ApprovalService.class, ApprovalWatch.class, ApprovalBook.class},
    configurationPid = ApprovalBook.PID)
@Designate(ocd = ApprovalBook.Config.class)
public final class ApprovalBook implements ApprovalService, ApprovalWatch {
  private static final Logger LOG = LoggerFactory.getLogger(ApprovalBook.class);
  static final String PID = "dev.briefcase.kernel.approvals";
  private static final int EVENT_HISTORY = 1000;
  private static final int PENDING_LIMIT = 100;
  private static final int TOKEN_BYTES = 32;
  private static final int MAX_TOKEN_CHARS = 128;
  private static final int MAX_BUCKETS = 10_000;

  @ObjectClassDefinition(
      name = "Briefcase approvals",
      description = "How long a human has to approve a tool call.")
  public @interface Config {
    @AttributeDefinition(
        name = "Approval TTL (seconds)",
        description = "An approval request expires this long after it was created (SPEC: 600).")
    long ttl_seconds() default 600;

    @AttributeDefinition(
        name = "Pending approvals per principal",
        description =
            "At most this many pending approvals per principal (an MCP session, an agent, an admin"
                + " API caller); beyond it a call is denied with too_many_pending_approvals.")
    int max_pending_per_principal() default 20;

    @AttributeDefinition(
        name = "Approval requests per minute per principal",
        description =
            "Refill rate of the per-principal token bucket for new approval requests; an empty"
                + " bucket denies the call with approval_rate_limited.")
    int creations_per_minute() default 30;

    @AttributeDefinition(
        name = "Approval request burst per principal",
        description = "Size of the per-principal token bucket for new approval requests.")
    int creation_burst() default 20;

    @AttributeDefinition(
        name = "Pending approvals per door",
        description =
            "At most this many pending approvals per door (the principal's first segment: mcp,"
                + " admin-api, ...), summed over all its sessions and agents; beyond it a call is"
                + " denied with too_many_pending_approvals.")
    int max_pending_per_door() default 100;

    @AttributeDefinition(
        name = "Approval requests per minute per door",
        description =
            "Refill rate of the per-door token bucket for new approval requests; an empty bucket"
                + " denies the call with approval_rate_limited.")
    int door_creations_per_minute() default 60;

    @AttributeDefinition(
        name = "Approval request burst per door",
        description = "Size of the per-door token bucket for new approval requests.")
    int door_creation_burst() default 40;
  }

  /** The flood limits of one book: per principal, then per door. */
  record Limits(
      int maxPendingPerPrincipal,
      int creationsPerMinute,
      int creationBurst,
      int maxPendingPerDoor,
      int doorCreationsPerMinute,
      int doorCreationBurst) {
    static final Limits DEFAULT = new Limits(20, 30, 20, 100, 60, 40);

    Limits(int maxPendingPerPrincipal, int creationsPerMinute, int creationBurst) {
      this(
          maxPendingPerPrincipal,
          creationsPerMinute,
          creationBurst,
          DEFAULT.maxPendingPerDoor,
          DEFAULT.doorCreationsPerMinute,
          DEFAULT.doorCreationBurst);
    }

    Limits {
      if (maxPendingPerPrincipal < 1
          || creationsPerMinute < 1
          || creationBurst < 1
          || maxPendingPerDoor < 1
          || doorCreationsPerMinute < 1
          || doorCreationBurst < 1) {
        throw new IllegalArgumentException("approval limits must be at least 1");
      }
    }
  }

  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE approvals (id TEXT PRIMARY KEY, created_at_ms INTEGER NOT NULL,"
              + " expires_at_ms INTEGER NOT NULL, tool_id TEXT NOT NULL, reason TEXT NOT NULL,"
              + " kind TEXT NOT NULL, state TEXT NOT NULL, call_hash TEXT NOT NULL,"
              + " summary_json TEXT NOT NULL, decided_by TEXT, decided_at_ms INTEGER);"
              + " CREATE INDEX approvals_state ON approvals(state, created_at_ms)",
          // who asked: a retry from the same principal may use an approval without its token
          "ALTER TABLE approvals ADD COLUMN principal TEXT;"
              + " CREATE INDEX approvals_match ON approvals(call_hash, principal, state)",
          // the approval token's SHA-256 (the token itself is never stored)
          "ALTER TABLE approvals ADD COLUMN token_hash TEXT;"
              + " CREATE INDEX approvals_token ON approvals(token_hash);"
              + " CREATE INDEX approvals_principal ON approvals(principal, state, expires_at_ms)");

  private final Store store;
  private final ReceiptLog receipts;
  private final Duration ttl;
  private final Clock clock;
  private final Limits limits;
  private final SecureRandom random = new SecureRandom();
  private final Object createLock = new Object();

  /** Token buckets per principal, least recently used first; guarded by {@link #createLock}. */
  private final Map<String, double[]> buckets = new LinkedHashMap<>(64, 0.75f, true);

  /** Token buckets per door, same bound; guarded by {@link #createLock}. */
  private final Map<String, double[]> doorBuckets = new LinkedHashMap<>(8, 0.75f, true);

  private final List<ApprovalListener> listeners = new CopyOnWriteArrayList<>();
  private final Deque<ApprovalEvent> history = new ArrayDeque<>();

  /**
   * principal + call hash of every approval that may still be approved and unused: lets the
   * per-call retry match skip the database on the common path where there is nothing to find. A
   * superset is harmless (the query decides); a key is dropped only when the query finds nothing.
   */
  private final Set<String> approvedKeys = ConcurrentHashMap.newKeySet();

  private long seq;

  @Activate
  public ApprovalBook(@Reference Store store, @Reference ReceiptLog receipts, Config config) {
    this(
        store,
        receipts,
        Duration.ofSeconds(config.ttl_seconds()),
        Clock.systemUTC(),
        new Limits(
            config.max_pending_per_principal(),
            config.creations_per_minute(),
            config.creation_burst(),
            config.max_pending_per_door(),
            config.door_creations_per_minute(),
            config.door_creation_burst()));
  }

  ApprovalBook(Store store, ReceiptLog receipts, Duration ttl, Clock clock) {
    this(store, receipts, ttl, clock, Limits.DEFAULT);
  }

  ApprovalBook(Store store, ReceiptLog receipts, Duration ttl, Clock clock, Limits limits) {
    this.store = store;
    this.receipts = receipts;
    this.ttl = ttl;
    this.clock = clock;
    this.limits = limits;
    store.migrate("approvals", MIGRATIONS);
    store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT principal, call_hash FROM approvals WHERE state = 'approved' AND"
                          + " principal IS NOT NULL");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              approvedKeys.add(matchKey(rs.getString(1), rs.getString(2)));
            }
          }
          return null;
        });
  }

  /** Records a new pending request and announces it. */
  ApprovalRequest create(
      String toolId, String callHash, String reason, String kind, ObjectNode summary)
      throws ApprovalException {
    return create(toolId, callHash, reason, kind, summary, null);
  }

  /**
   * Records a new pending request and announces it, or returns the pending request the same
   * principal already has for exactly this call (call hash and kind): no new row, no event.
   *
   * @param principal who asked ({@link ToolCallPipeline#principal}), or {@code null}; the approval
   *     token is bound to it, and only it may use the approval
   * @throws ApprovalException {@code too_many_pending_approvals} when the principal already holds
   *     the maximum of pending requests, {@code approval_rate_limited} when it creates them too
   *     fast; nothing is recorded then
   */
  ApprovalRequest create(
      String toolId,
      String callHash,
      String reason,
      String kind,
      ObjectNode summary,
      String principal)
      throws ApprovalException {
    if (principal == null) {
      return insert(toolId, callHash, reason, kind, summary, null);
    }
    // one principal's check-then-insert must not interleave with its own concurrent calls
    synchronized (createLock) {
      long nowMs = clock.millis();
      List<ApprovalRequest> same =
          query(
              "SELECT * FROM approvals WHERE principal = ? AND call_hash = ? AND tool_id = ? AND"
                  + " kind = ? AND state = 'pending' AND expires_at_ms > ? ORDER BY created_at_ms"
                  + " LIMIT 1",
              principal,
              callHash,
              toolId,
              kind,
              nowMs);
      if (!same.isEmpty()) {
        return same.get(0);
      }
      if (pendingCount(principal, nowMs) >= limits.maxPendingPerPrincipal()) {
        LOG.debug("approval refused: too many pending for one principal");
        throw new ApprovalException(
            ApprovalException.TOO_MANY_PENDING,
            "too many pending approvals for this caller; wait for a decision");
      }
      String door = door(principal);
      if (doorPendingCount(door, nowMs) >= limits.maxPendingPerDoor()) {
        LOG.debug("approval refused: too many pending for one door");
        throw new ApprovalException(
            ApprovalException.TOO_MANY_PENDING,
            "too many pending approvals for this door; wait for a decision");
      }
      // both buckets are refilled and checked before either is charged, so a refusal costs none
      double[] mine =
          bucket(buckets, principal, limits.creationBurst(), limits.creationsPerMinute(), nowMs);
      double[] theirs =
          bucket(
              doorBuckets,
              door,
              limits.doorCreationBurst(),
              limits.doorCreationsPerMinute(),
              nowMs);
      if (mine[0] < 1) {
        LOG.debug("approval refused: creation rate limit for one principal");
        throw new ApprovalException(
            ApprovalException.RATE_LIMITED, "approval requests are coming too fast");
      }
      if (theirs[0] < 1) {
        LOG.debug("approval refused: creation rate limit for one door");
        throw new ApprovalException(
            ApprovalException.RATE_LIMITED, "approval requests are coming too fast");
      }
      mine[0] -= 1;
      theirs[0] -= 1;
      return insert(toolId, callHash, reason, kind, summary, principal);
    }
  }

  /** The door a principal came through: its first segment ({@code mcp}, {@code admin-api}). */
  static String door(String principal) {
    int colon = principal.indexOf(':');
    return colon < 0 ? principal : principal.substring(0, colon);
  }

  private long pendingCount(String principal, long nowMs) {
    return count(
        "SELECT COUNT(*) FROM approvals WHERE principal = ? AND state = 'pending' AND"
            + " expires_at_ms > ?",
        principal,
        nowMs);
  }

  /**
   * Pending, unexpired requests of every principal of one door ({@code door} or {@code door:…}).
   */
  private long doorPendingCount(String door, long nowMs) {
    return count(
        "SELECT COUNT(*) FROM approvals WHERE state = 'pending' AND expires_at_ms > ? AND"
            + " (principal = ? OR substr(principal, 1, ?) = ?)",
        nowMs,
        door,
        door.length() + 1,
        door + ":");
  }

  private long count(String sql, Object... params) {
    return store.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
              ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getLong(1) : 0L;
            }
          }
        });
  }

  /**
   * The key's bucket ({tokens, last refill ms}), refilled to now; caller holds {@link #createLock}.
   * At most {@link #MAX_BUCKETS} are kept, the least recently used dropped.
   */
  private static double[] bucket(
      Map<String, double[]> all, String key, int burst, int perMinute, long nowMs) {
    double[] b = all.get(key);
    if (b == null) {
      if (all.size() >= MAX_BUCKETS) {
        Iterator<String> eldest = all.keySet().iterator();
        eldest.next();
        eldest.remove();
      }
      b = new double[] {burst, nowMs};
      all.put(key, b);
    }
    double refill = Math.max(0, nowMs - (long) b[1]) * perMinute / 60_000.0;
    b[0] = Math.min(burst, b[0] + refill);
    b[1] = nowMs;
    return b;
  }

  private ApprovalRequest insert(
      String toolId,
      String callHash,
      String reason,
      String kind,
      ObjectNode summary,
      String principal) {
    Instant now = clock.instant();
    ApprovalRequest r =
        new ApprovalRequest(
            UUID.randomUUID().toString(),
            now,
            now.plus(ttl),
            toolId,
            reason,
            kind,
            ApprovalRequest.PENDING,
            callHash,
            summary,
            null);
    String summaryJson;
    try {
      summaryJson = CanonicalJson.MAPPER.writeValueAsString(summary);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("summary is not serialisable", e);
    }
    update(
        "INSERT INTO approvals (id, created_at_ms, expires_at_ms, tool_id, reason, kind, state,"
            + " call_hash, summary_json, principal) VALUES (?,?,?,?,?,?,?,?,?,?)",
        r.id(),
        r.createdAt().toEpochMilli(),
        r.expiresAt().toEpochMilli(),
        toolId,
        reason,
        kind,
        r.state(),
        callHash,
        summaryJson,
        principal);
    publish("approval.created", r);
    return r;
  }

  /**
   * The approved, unexpired request this token was issued for, if it binds exactly this tool and
   * call hash and was asked for by this principal; otherwise {@code null}. An approval id is never
   * a token. Does not consume it.
   */
  ApprovalRequest usableToken(String token, String toolId, String callHash, String principal) {
    if (token == null
        || principal == null
        || token.isEmpty()
        || token.length() > MAX_TOKEN_CHARS
        || isUuid(token)) {
      return null;
    }
    List<ApprovalRequest> rows =
        query(
            "SELECT * FROM approvals WHERE token_hash = ? AND principal = ?",
            tokenHash(token),
            principal);
    if (rows.isEmpty()) {
      return null;
    }
    ApprovalRequest r = rows.get(0);
    if (!ApprovalRequest.APPROVED.equals(r.state())
        || !r.expiresAt().isAfter(clock.instant())
        || !r.toolId().equals(toolId)
        || !r.callHash().equals(callHash)) {
      return null;
    }
    return r;
  }

  /**
   * An approved, unexpired, unused request that the same principal made for exactly this call, the
   * oldest first; {@code null} when there is none. SPEC §10: ordinary MCP clients cannot send a
   * token, so a retry of the same call by the same principal finds its approval this way.
   */
  ApprovalRequest approvedFor(String toolId, String callHash, String principal) {
    String key = matchKey(principal, callHash);
    if (principal == null || !approvedKeys.contains(key)) {
      return null;
    }
    synchronized (approvedKeys) {
      List<ApprovalRequest> rows =
          query(
              "SELECT * FROM approvals WHERE call_hash = ? AND principal = ? AND tool_id = ? AND"
                  + " state = 'approved' AND expires_at_ms > ? ORDER BY created_at_ms LIMIT 1",
              callHash,
              principal,
              toolId,
              clock.millis());
      if (rows.isEmpty()) {
        approvedKeys.remove(key);
        return null;
      }
      return rows.get(0);
    }
  }

  @Override
  public Optional<ApprovalRequest> await(String approvalId, Duration timeout)
      throws InterruptedException {
    java.util.concurrent.CountDownLatch decided = new java.util.concurrent.CountDownLatch(1);
    ApprovalListener listener =
        e -> {
          if (e.request().id().equals(approvalId)
              && !ApprovalRequest.PENDING.equals(e.request().state())) {
            decided.countDown();
          }
        };
    listeners.add(listener);
    try {
      Optional<ApprovalRequest> now = get(approvalId);
      if (now.isEmpty() || !ApprovalRequest.PENDING.equals(now.get().state())) {
        return now;
      }
      // wake at the expiry at the latest, so an expired approval is reported as expired
      Duration untilExpiry = Duration.between(clock.instant(), now.get().expiresAt());
      Duration wait = timeout.compareTo(untilExpiry) < 0 ? timeout : untilExpiry;
      decided.await(Math.max(0, wait.toMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
      return get(approvalId);
    } finally {
      listeners.remove(listener);
    }
  }

  /** Marks an approved request used; true for exactly one caller, and only before expiry. */
  boolean consume(String id) {
    long now = clock.millis();
    synchronized (approvedKeys) { // never between a decision and its receipt
      return update(
              "UPDATE approvals SET state = 'consumed' WHERE id = ? AND state = 'approved' AND"
                  + " expires_at_ms > ?",
              id,
              now)
          == 1;
    }
  }

  /**
   * Pending requests, newest first. The list holds up to the sum of the door caps (the door cap
   * times the number of doors with a pending request, at least {@value #PENDING_LIMIT}), so
   * whatever the flood limits let in is listed in full: a flood through one door can no longer push
   * another door's requests out of the list.
   */
  @Override
  public List<ApprovalRequest> pending() {
    expireStale();
    long doors =
        count(
            "SELECT COUNT(DISTINCT CASE WHEN principal IS NULL THEN '' WHEN instr(principal, ':') ="
                + " 0 THEN principal ELSE substr(principal, 1, instr(principal, ':') - 1) END)"
                + " FROM approvals WHERE state = 'pending'");
    long limit = Math.max(PENDING_LIMIT, doors * limits.maxPendingPerDoor());
    return query(
        "SELECT * FROM approvals WHERE state = 'pending' ORDER BY created_at_ms DESC, rowid DESC"
            + " LIMIT "
            + limit);
  }

  @Override
  public Optional<ApprovalRequest> get(String id) {
    if (!isUuid(id)) {
      return Optional.empty();
    }
    List<ApprovalRequest> rows = query("SELECT * FROM approvals WHERE id = ?", id);
    return rows.isEmpty() ? Optional.empty() : Optional.of(withExpiry(rows.get(0)));
  }

  @Override
  public ApprovalRequest approve(String id, String surface) throws ApprovalException {
    ApprovalRequest r = decidable(id);
    if (ApprovalRequest.APPROVED.equals(r.state())) {
      return r; // idempotent
    }
    if (ApprovalRequest.MOBILE_SIGNER.equals(r.kind())) {
      throw new ApprovalException(
          ApprovalException.SIGNER_REQUIRED, "this approval must be granted on the paired signer");
    }
    return decide(r, ApprovalRequest.APPROVED, surface, "approval.approved", null);
  }

  @Override
  public ApprovalGrant grant(String id, String surface) throws ApprovalException {
    ApprovalRequest r = decidable(id);
    if (ApprovalRequest.MOBILE_SIGNER.equals(r.kind())) {
      throw new ApprovalException(
          ApprovalException.SIGNER_REQUIRED, "this approval must be granted on the paired signer");
    }
    String token = newToken();
    if (ApprovalRequest.APPROVED.equals(r.state())) {
      // idempotent decision; a fresh token replaces the previous one
      int rows;
      synchronized (approvedKeys) {
        rows =
            update(
                "UPDATE approvals SET token_hash = ? WHERE id = ? AND state = 'approved' AND"
                    + " expires_at_ms > ?",
                tokenHash(token),
                r.id(),
                clock.millis());
      }
      if (rows != 1) {
        throw new ApprovalException(
            ApprovalException.ALREADY_DECIDED, "this approval was used or has expired");
      }
      return new ApprovalGrant(r, Sensitive.of(token));
    }
    ApprovalRequest decided =
        decide(r, ApprovalRequest.APPROVED, surface, "approval.approved", tokenHash(token));
    return new ApprovalGrant(decided, Sensitive.of(token));
  }

  private String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String tokenHash(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
  }

  @Override
  public ApprovalRequest deny(String id, String surface) throws ApprovalException {
    ApprovalRequest r = decidable(id);
    if (ApprovalRequest.REJECTED.equals(r.state())) {
      return r;
    }
    return decide(r, ApprovalRequest.REJECTED, surface, "approval.rejected", null);
  }

  private ApprovalRequest decidable(String id) throws ApprovalException {
    ApprovalRequest r = get(id).orElse(null);
    if (r == null || ApprovalRequest.EXPIRED.equals(r.state())) {
      throw new ApprovalException(
          ApprovalException.NOT_FOUND, "no such approval, or it has expired");
    }
    if (ApprovalRequest.CONSUMED.equals(r.state())) {
      throw new ApprovalException(
          ApprovalException.ALREADY_DECIDED, "this approval has already been used");
    }
    return r;
  }

  private ApprovalRequest decide(
      ApprovalRequest r, String state, String actor, String event, String tokenHash)
      throws ApprovalException {
    if (actor == null || actor.isBlank() || actor.length() > 128) {
      throw new ApprovalException(ApprovalException.INVALID_REQUEST, "an actor is required");
    }
    long now = clock.millis();
    int rows;
    // under the same lock as the retry match, so a fresh approval's key is never dropped by a
    // match that looked just before it
    synchronized (approvedKeys) {
      rows =
          update(
              "UPDATE approvals SET state = ?, decided_by = ?, decided_at_ms = ?, token_hash = ?"
                  + " WHERE id = ? AND state = 'pending' AND expires_at_ms > ?",
              state,
              actor,
              now,
              tokenHash,
              r.id(),
              now);
      if (rows != 1) {
        throw new ApprovalException(
            ApprovalException.ALREADY_DECIDED, "this approval was decided or has expired");
      }
      // receipted before anyone can learn of the decision; without its receipt it is undone
      // (the retry match and consume run under this lock, so nothing uses it meanwhile)
      receipt(r, state, actor, now);
      if (ApprovalRequest.APPROVED.equals(state)) {
        String principal = principalOf(r.id());
        if (principal != null) {
          approvedKeys.add(matchKey(principal, r.callHash()));
        }
      }
    }
    ApprovalRequest decided = get(r.id()).orElseThrow();
    LOG.info("approval {} for {} {} by {}", r.id(), r.toolId(), state, actor);
    publish(event, decided);
    return decided;
  }

  private void receipt(ApprovalRequest r, String state, String actor, long nowMs)
      throws ApprovalException {
    ObjectNode e = CanonicalJson.MAPPER.createObjectNode();
    e.put("type", "approval_decision");
    e.put("approval_id", r.id());
    e.put("tool_id", r.toolId());
    e.put("decision", ApprovalRequest.APPROVED.equals(state) ? "approved" : "denied");
    e.put("approval_kind", r.kind());
    e.put("call_hash", r.callHash());
    e.put("actor", actor);
    e.put("ts", Instant.ofEpochMilli(nowMs).toString());
    try {
      receipts.append(e);
    } catch (RuntimeException ex) { // ReceiptException or a failing log
      update(
          "UPDATE approvals SET state = 'pending', decided_by = NULL, decided_at_ms = NULL,"
              + " token_hash = NULL WHERE id = ? AND state = ?",
          r.id(),
          state);
      LOG.error("approval {} not decided: its receipt could not be written", r.id());
      throw new ApprovalException(
          ApprovalException.RECEIPT_FAILED,
          "the decision was not recorded: its receipt could not be written");
    }
  }

  private void expireStale() {
    long now = clock.millis();
    List<ApprovalRequest> stale =
        query(
            "SELECT * FROM approvals WHERE state IN ('pending','approved') AND expires_at_ms <= ?",
            now);
    if (stale.isEmpty()) {
      return;
    }
    update(
        "UPDATE approvals SET state = 'expired' WHERE state IN ('pending','approved') AND"
            + " expires_at_ms <= ?",
        now);
    for (ApprovalRequest r : stale) {
      publish("approval.expired", withState(r, ApprovalRequest.EXPIRED));
    }
  }

  @Override
  public synchronized List<ApprovalEvent> eventsAfter(long afterSeq) {
    List<ApprovalEvent> out = new ArrayList<>();
    for (ApprovalEvent e : history) {
      if (e.seq() > afterSeq) {
        out.add(e);
      }
    }
    return out;
  }

  @Override
  public AutoCloseable subscribe(ApprovalListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  private void publish(String type, ApprovalRequest r) {
    ApprovalEvent event;
    synchronized (this) {
      event = new ApprovalEvent(++seq, type, r);
      history.addLast(event);
      if (history.size() > EVENT_HISTORY) {
        history.removeFirst();
      }
    }
    for (ApprovalListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn("approval listener failed", e);
      }
    }
  }

  private ApprovalRequest withExpiry(ApprovalRequest r) {
    boolean open =
        ApprovalRequest.PENDING.equals(r.state()) || ApprovalRequest.APPROVED.equals(r.state());
    return open && !r.expiresAt().isAfter(clock.instant())
        ? withState(r, ApprovalRequest.EXPIRED)
        : r;
  }

  private static ApprovalRequest withState(ApprovalRequest r, String state) {
    return new ApprovalRequest(
        r.id(),
        r.createdAt(),
        r.expiresAt(),
        r.toolId(),
        r.reason(),
        r.kind(),
        state,
        r.callHash(),
        r.summary(),
        r.decidedBy());
  }

  private int update(String sql, Object... params) {
    return store.write(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return ps.executeUpdate();
          }
        });
  }

  private List<ApprovalRequest> query(String sql, Object... params) {
    return store.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return readAll(ps);
          }
        });
  }

  private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      ps.setObject(i + 1, params[i]);
    }
  }

  private static List<ApprovalRequest> readAll(PreparedStatement ps) throws SQLException {
    List<ApprovalRequest> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ObjectNode summary;
        try {
          summary = (ObjectNode) CanonicalJson.MAPPER.readTree(rs.getString("summary_json"));
        } catch (JsonProcessingException e) {
          throw new SQLException("corrupt approval summary", e);
        }
        out.add(
            new ApprovalRequest(
                rs.getString("id"),
                Instant.ofEpochMilli(rs.getLong("created_at_ms")),
                Instant.ofEpochMilli(rs.getLong("expires_at_ms")),
                rs.getString("tool_id"),
                rs.getString("reason"),
                rs.getString("kind"),
                rs.getString("state"),
                rs.getString("call_hash"),
                summary,
                rs.getString("decided_by")));
      }
    }
    return out;
  }

  private String principalOf(String id) {
    return store.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT principal FROM approvals WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getString(1) : null;
            }
          }
        });
  }

  private static String matchKey(String principal, String callHash) {
    return principal + "\n" + callHash;
  }

  static boolean isUuid(String s) {
    if (s == null || s.length() != 36) {
      return false;
    }
    try {
      return UUID.fromString(s).toString().equalsIgnoreCase(s);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
