package dev.briefcase.policy.cedar.internal;

import com.cedarpolicy.AuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.AuthorizationSuccessResponse;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimBool;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import dev.briefcase.policy.ActivePolicy;
import dev.briefcase.policy.PolicyDecision;
import dev.briefcase.policy.PolicyQuery;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One policy text, parsed and validated, ready to decide. Immutable apart from its decision cache,
 * which belongs to this policy alone: swapping in a new {@code CompiledPolicy} drops every cached
 * decision of the old one. Thread-safe.
 */
final class CompiledPolicy {

  static final String LOCAL = "local";
  static final String MOBILE_SIGNER = "mobile_signer";

  private static final EntityTypeName USER = EntityTypeName.parse("User").orElseThrow();
  private static final EntityTypeName TOOL = EntityTypeName.parse("Tool").orElseThrow();
  private static final EntityTypeName ACTION = EntityTypeName.parse("Action").orElseThrow();
  private static final EntityUID LOCAL_USER = USER.of("local-user");
  private static final EntityUID CALL = ACTION.of("Call");
  private static final EntityUID CALL_WITHOUT_APPROVAL = ACTION.of("CallWithoutApproval");
  private static final EntityUID CALL_WITHOUT_SIGNER = ACTION.of("CallWithoutSigner");

  private final ActivePolicy active;
  private final PolicySet policies; // null: the stored text no longer compiles, deny everything
  private final AuthorizationEngine engine;
  private final int cacheSize;
  private final ConcurrentHashMap<PolicyQuery, PolicyDecision> decisions;
  private final boolean seesAgent;
  private final boolean seesSession;
  private final boolean seesHour;
  private final boolean seesSpent;

  CompiledPolicy(
      String text,
      Instant updatedAt,
      PolicySet policies,
      AuthorizationEngine engine,
      int cacheSize) {
    this.active = new ActivePolicy(text, sha256Hex(text), updatedAt);
    this.policies = policies;
    this.engine = engine;
    this.cacheSize = Math.max(0, cacheSize);
    this.decisions = this.cacheSize == 0 ? null : new ConcurrentHashMap<>();
    // A policy can only depend on an attribute it names: `.name`, `["name"]`, `has name` and
    // record literals all spell it out. An escape sequence could spell it differently, so any
    // backslash keeps every field in the cache key.
    boolean escapes = text.indexOf('\\') >= 0;
    this.seesAgent = escapes || text.contains("agent_id");
    this.seesSession = escapes || text.contains("session_id");
    this.seesHour = escapes || text.contains("hour_utc");
    this.seesSpent = escapes || text.contains("spent_today_microusd");
  }

  /** A policy whose text is kept for display but which denies every call. */
  static CompiledPolicy denyAll(String text, Instant updatedAt) {
    return new CompiledPolicy(text, updatedAt, null, null, 0);
  }

  ActivePolicy active() {
    return active;
  }

  String hashHex() {
    return active.policyHashHex();
  }

  /** Derives the decision (SPEC §7); any evaluation problem is a Deny. */
  PolicyDecision decide(PolicyQuery query) {
    if (policies == null || query == null || query.toolId() == null) {
      return PolicyDecision.DENY;
    }
    PolicyQuery key = decisions == null ? null : cacheKey(query);
    if (key != null) {
      PolicyDecision cached = decisions.get(key);
      if (cached != null) {
        return cached;
      }
    }
    PolicyDecision decision;
    try {
      decision = evaluate(query);
    } catch (AuthException | RuntimeException | LinkageError e) {
      // fail closed, and do not remember it: the error may be transient
      return PolicyDecision.DENY;
    }
    if (key != null) {
      if (decisions.size() >= cacheSize) {
        // a crude bound; the working set of tools is small, so a full reset is rare and cheap
        decisions.clear();
      }
      decisions.put(key, decision);
    }
    return decision;
  }

  /**
   * The query with the fields this policy never reads blanked out, so that, e.g., a new session or
   * the next spend does not miss the cache under a policy that ignores them.
   */
  PolicyQuery cacheKey(PolicyQuery q) {
    if (seesAgent && seesSession && seesHour && seesSpent) {
      return q;
    }
    return new PolicyQuery(
        seesAgent ? q.agentId() : null,
        seesSession ? q.sessionId() : null,
        q.toolId(),
        q.category(),
        q.costMicroUsd(),
        q.isWrite(),
        q.netAccess(),
        q.fsAccess(),
        seesHour ? q.hourUtc() : 0,
        seesSpent ? q.spentTodayMicroUsd() : 0);
  }

  private PolicyDecision evaluate(PolicyQuery q) throws AuthException {
    EntityUID tool = TOOL.of(q.toolId());
    Set<Entity> entities =
        Set.of(
            new Entity(
                LOCAL_USER,
                Map.of(
                    "agent_id", new PrimString(orEmpty(q.agentId())),
                    "session_id", new PrimString(orEmpty(q.sessionId()))),
                Set.of()),
            new Entity(
                tool,
                Map.of(
                    "category", new PrimString(orEmpty(q.category())),
                    "cost_microusd", new PrimLong(q.costMicroUsd()),
                    "is_write", new PrimBool(q.isWrite()),
                    "net_access", new PrimBool(q.netAccess()),
                    "fs_access", new PrimBool(q.fsAccess())),
                Set.of()));
    Map<String, Value> context =
        Map.of(
            "hour_utc", new PrimLong(q.hourUtc()),
            "spent_today_microusd", new PrimLong(q.spentTodayMicroUsd()));
    if (!allowed(CALL, tool, context, entities)) {
      return PolicyDecision.DENY;
    }
    if (allowed(CALL_WITHOUT_APPROVAL, tool, context, entities)) {
      return PolicyDecision.ALLOW;
    }
    return PolicyDecision.requireApproval(
        allowed(CALL_WITHOUT_SIGNER, tool, context, entities) ? LOCAL : MOBILE_SIGNER);
  }

  private boolean allowed(
      EntityUID action, EntityUID tool, Map<String, Value> context, Set<Entity> entities)
      throws AuthException {
    AuthorizationResponse response =
        engine.isAuthorized(
            new AuthorizationRequest(LOCAL_USER, action, tool, context), policies, entities);
    AuthorizationSuccessResponse success =
        response.success.orElseThrow(() -> new IllegalStateException("authorization failed"));
    if (response.type != AuthorizationResponse.SuccessOrFailure.Success
        || !success.getErrors().isEmpty()) {
      // Cedar skips a policy that errors; a skipped forbid must not turn into an allow
      throw new IllegalStateException("policy evaluation error");
    }
    return success.isAllowed();
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** Lowercase hex SHA-256 of the UTF-8 text. */
  static String sha256Hex(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }
}
