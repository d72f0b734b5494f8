package dev.briefcase.policy.cedar.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.policy.ActivePolicy;
import dev.briefcase.policy.PolicyDecision;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.policy.PolicyException;
import dev.briefcase.policy.PolicyQuery;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
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
 * The Cedar {@link PolicyEngine} (SPEC §7). The policy in force lives in the store table {@code
 * policy_active} (seeded with the shipped default policy) and in memory as one immutable {@link
 * CompiledPolicy} behind a volatile reference, so a decision never mixes two policies. {@link
 * #apply} persists, swaps and writes a {@code policy_update} receipt; without a receipt log it
 * still applies and warns.
 */
@Component(service = PolicyEngine.class, configurationPid = CedarPolicyEngine.PID)
@Designate(ocd = CedarPolicyEngine.Config.class)
public final class CedarPolicyEngine implements PolicyEngine {

  static final String PID = "dev.briefcase.policy.cedar";
  static final String STORE_OWNER = "policy";
  static final List<String> MIGRATIONS =
      List.of(
          "CREATE TABLE policy_active ("
              + "id INTEGER PRIMARY KEY CHECK (id = 1), "
              + "policy_text TEXT NOT NULL, "
              + "policy_hash_hex TEXT NOT NULL, "
              + "updated_at TEXT NOT NULL)");

  private static final Logger LOG = LoggerFactory.getLogger(CedarPolicyEngine.class);

  /** Configuration of the Cedar policy engine. */
  @ObjectClassDefinition(
      name = "Briefcase Cedar policy",
      description = "Evaluates the active Cedar policy for every tool call.")
  public @interface Config {
    @AttributeDefinition(
        name = "Decision cache size",
        description =
            "How many decisions of the active policy are remembered, keyed by the whole query;"
                + " 0 evaluates every call. The cache is dropped whenever a policy is applied.",
        min = "0")
    int decision_cache_size() default 4096;
  }

  private final Store store;
  private final CedarValidator validator;
  private final int cacheSize;
  private final AtomicReference<ReceiptLog> receipts = new AtomicReference<>();
  private final Object applyLock = new Object();
  private volatile CompiledPolicy current;
  private volatile boolean closed;

  /** Loads the native library, brings the table up to date and loads (or seeds) the policy. */
  @Activate
  public CedarPolicyEngine(@Reference(name = "store") Store store, Config config) {
    this.store = store;
    this.cacheSize = Math.max(0, config.decision_cache_size());
    this.validator = new CedarValidator();
    store.migrate(STORE_OWNER, MIGRATIONS);
    this.current = loadOrSeed();
    LOG.info(
        "Cedar policy engine active, policy {} (decision cache {})", current.hashHex(), cacheSize);
  }

  @Reference(
      cardinality = ReferenceCardinality.OPTIONAL,
      policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY,
      unbind = "unbindReceiptLog")
  void bindReceiptLog(ReceiptLog log) {
    receipts.set(log);
  }

  void unbindReceiptLog(ReceiptLog log) {
    // with GREEDY the replacement is bound before the old one leaves: keep the replacement
    receipts.compareAndSet(log, null);
  }

  @Deactivate
  void deactivate() {
    closed = true;
    LOG.info("Cedar policy engine deactivated");
  }

  @Override
  public PolicyDecision decide(PolicyQuery query) {
    if (closed) {
      return PolicyDecision.DENY;
    }
    CompiledPolicy policy = current; // one policy for the whole decision
    PolicyDecision decision = policy.decide(query);
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "policy {} on tool {}: {}",
          policy.hashHex(),
          query == null ? null : query.toolId(),
          decision);
    }
    return decision;
  }

  @Override
  public ActivePolicy active() {
    return current.active();
  }

  @Override
  public void validate(String policyText) throws PolicyException {
    validator.parseAndValidate(policyText);
  }

  @Override
  public ActivePolicy apply(String policyText, String source) throws PolicyException {
    CompiledPolicy next =
        validator.compile(policyText, Instant.now().truncatedTo(ChronoUnit.MILLIS), cacheSize);
    synchronized (applyLock) {
      if (closed) {
        throw new IllegalStateException("policy engine is deactivated");
      }
      CompiledPolicy previous = current;
      persist(next.active());
      current = next;
      ReceiptLog log = receipts.get();
      if (log == null) {
        LOG.warn(
            "No receipt log bound: policy {} applied without a policy_update receipt",
            next.hashHex());
      } else {
        try {
          log.append(updateEvent(next.active(), previous.hashHex(), source));
        } catch (RuntimeException e) {
          // no receipt, no change: put the previous policy back before reporting the failure
          rollBack(previous, e);
          throw e;
        }
      }
      LOG.info(
          "Policy {} applied (previous {}, source {})",
          next.hashHex(),
          previous.hashHex(),
          sourceOf(source));
      return next.active();
    }
  }

  private void rollBack(CompiledPolicy previous, RuntimeException cause) {
    try {
      persist(previous.active());
      current = previous;
      LOG.error("policy_update receipt failed; previous policy {} restored", previous.hashHex());
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
      LOG.error("policy_update receipt failed and the previous policy could not be restored");
    }
  }

  private static ObjectNode updateEvent(ActivePolicy next, String previousHash, String source) {
    ObjectNode event = JsonNodeFactory.instance.objectNode();
    event.put("type", "policy_update");
    event.put("policy_hash_hex", next.policyHashHex());
    event.put("previous_policy_hash_hex", previousHash);
    event.put("source", sourceOf(source));
    event.put("ts", next.updatedAt().toString());
    return event;
  }

  private static String sourceOf(String source) {
    return source == null || source.isBlank() ? "unknown" : source;
  }

  private void persist(ActivePolicy policy) {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO policy_active (id, policy_text, policy_hash_hex, updated_at)"
                      + " VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                      + " policy_text = excluded.policy_text,"
                      + " policy_hash_hex = excluded.policy_hash_hex,"
                      + " updated_at = excluded.updated_at")) {
            ps.setString(1, policy.policyText());
            ps.setString(2, policy.policyHashHex());
            ps.setString(3, policy.updatedAt().toString());
            return ps.executeUpdate();
          }
        });
  }

  private CompiledPolicy loadOrSeed() {
    String defaultText = CedarValidator.defaultPolicyText();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    // read-or-insert in one write transaction so two starts cannot both seed
    String[] row =
        store.write(
            c -> {
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT policy_text, updated_at FROM policy_active WHERE id = 1");
                  ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                  return new String[] {rs.getString(1), rs.getString(2)};
                }
              }
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "INSERT INTO policy_active (id, policy_text, policy_hash_hex, updated_at)"
                          + " VALUES (1, ?, ?, ?)")) {
                ps.setString(1, defaultText);
                ps.setString(2, CompiledPolicy.sha256Hex(defaultText));
                ps.setString(3, now.toString());
                ps.executeUpdate();
              }
              LOG.info("Seeded the default policy");
              return new String[] {defaultText, now.toString()};
            });
    String text = row[0];
    Instant updatedAt = parseInstant(row[1], now);
    try {
      return validator.compile(text, updatedAt, cacheSize);
    } catch (PolicyException e) {
      // fail closed: keep the stored text visible so an operator can apply a fix
      LOG.error("Stored policy no longer validates ({}); every call is denied", e.getMessage());
      return CompiledPolicy.denyAll(text, updatedAt);
    }
  }

  private static Instant parseInstant(String text, Instant fallback) {
    try {
      return text == null ? fallback : Instant.parse(text);
    } catch (DateTimeParseException e) {
      return fallback;
    }
  }
}
