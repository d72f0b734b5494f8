package dev.briefcase.policy.cedar.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.policy.ActivePolicy;
import dev.briefcase.policy.PolicyDecision;
import dev.briefcase.policy.PolicyDecision.Effect;
import dev.briefcase.policy.PolicyException;
import dev.briefcase.policy.PolicyQuery;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.ReceiptException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.receipts.VerifyResult;
import java.io.Writer;
import java.lang.annotation.Annotation;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class CedarPolicyEngineTest {

  /** SPEC §7 keyword compiler's {@code strict}: nothing runs without an approval. */
  static final String STRICT =
      """
      permit (principal, action == Action::"Call", resource)
      unless { resource.category == "admin" };
      permit (principal, action == Action::"CallWithoutSigner", resource)
      unless { resource.is_write && (resource.net_access || resource.fs_access) };
      """;

  private SqliteTestStore store;
  private CedarPolicyEngine engine;

  static CedarPolicyEngine.Config config(int cacheSize) {
    return new CedarPolicyEngine.Config() {
      @Override
      public int decision_cache_size() {
        return cacheSize;
      }

      @Override
      public Class<? extends Annotation> annotationType() {
        return CedarPolicyEngine.Config.class;
      }
    };
  }

  static PolicyQuery tool(String id, String category, long cost, boolean net, boolean fs) {
    return new PolicyQuery(
        "agent-1", "session-1", id, category, cost, "write".equals(category), net, fs, 10, 0);
  }

  @Before
  public void setUp() throws Exception {
    store = new SqliteTestStore();
    engine = new CedarPolicyEngine(store, config(64));
  }

  @After
  public void tearDown() throws Exception {
    store.close();
  }

  @Test
  public void defaultMatrix() {
    assertEquals(PolicyDecision.ALLOW, engine.decide(tool("echo", "read", 2_000, false, false)));
    assertEquals(
        PolicyDecision.requireApproval("local"),
        engine.decide(tool("search", "read", 20_000, false, false)));
    assertEquals(
        PolicyDecision.requireApproval("local"),
        engine.decide(tool("note", "write", 0, false, false)));
    assertEquals(
        PolicyDecision.requireApproval("mobile_signer"),
        engine.decide(tool("fs.write", "write", 0, false, true)));
    assertEquals(
        PolicyDecision.requireApproval("mobile_signer"),
        engine.decide(tool("http.post", "write", 0, true, false)));
    assertEquals(PolicyDecision.DENY, engine.decide(tool("rm", "admin", 0, false, false)));
    // remote tools are not reads: they need a local approval
    assertEquals(
        PolicyDecision.requireApproval("local"),
        engine.decide(tool("remote.x", "remote", 0, true, false)));
  }

  @Test
  public void cachedAndUncachedDecisionsAgree() throws Exception {
    CedarPolicyEngine uncached = new CedarPolicyEngine(store, config(0));
    List<PolicyQuery> queries =
        List.of(
            tool("echo", "read", 2_000, false, false),
            tool("search", "read", 20_000, false, false),
            tool("fs.write", "write", 0, false, true),
            tool("rm", "admin", 0, false, false));
    for (int round = 0; round < 2; round++) {
      for (PolicyQuery q : queries) {
        assertEquals(q.toolId(), uncached.decide(q), engine.decide(q));
      }
    }
  }

  @Test
  public void seedsTheDefaultPolicyOnce() throws Exception {
    ActivePolicy active = engine.active();
    assertEquals(CedarValidator.defaultPolicyText(), active.policyText());
    assertEquals(CompiledPolicy.sha256Hex(active.policyText()), active.policyHashHex());
    assertTrue(active.policyHashHex().matches("[0-9a-f]{64}"));
    assertEquals(active.policyHashHex(), storedHash());
    assertEquals(1, store.schemaVersion("policy"));

    int writes = store.writes;
    CedarPolicyEngine again = new CedarPolicyEngine(store, config(0));
    assertEquals(active, again.active());
    assertEquals("a second start reads, it does not seed again", writes + 1, store.writes);
  }

  @Test
  public void invalidCedarIsRejectedAndChangesNothing() {
    ActivePolicy before = engine.active();
    PolicyException e =
        expectInvalid(() -> engine.apply("permit (principal, action, resource", "test"));
    assertFalse(e.getMessage().contains("\n"));
    assertTrue(e.getMessage().length() <= 200);
    assertEquals(before, engine.active());
    assertEquals(before.policyHashHex(), storedHash());
    assertEquals(PolicyDecision.ALLOW, engine.decide(tool("echo", "read", 2_000, false, false)));
  }

  @Test
  public void schemaViolationsAreInvalidCedar() {
    ActivePolicy before = engine.active();
    PolicyException unknownAttribute =
        expectInvalid(
            () ->
                engine.validate(
                    "permit (principal, action == Action::\"Call\", resource)"
                        + " when { resource.owner == \"me\" };"));
    assertTrue(unknownAttribute.getMessage(), unknownAttribute.getMessage().contains("owner"));
    expectInvalid(
        () ->
            engine.apply(
                "permit (principal, action == Action::\"Call\", resource)"
                    + " when { resource.cost_microusd == \"cheap\" };",
                "test"));
    expectInvalid(
        () -> engine.validate("permit (principal, action == Action::\"Delete\", resource);"));
    expectInvalid(
        () ->
            engine.validate(
                "permit (principal, action == Action::\"Call\", resource)"
                    + " when { context.weekday == 3 };"));
    expectInvalid(() -> engine.apply(null, "test"));
    assertEquals(before, engine.active());
  }

  @Test
  public void validateAcceptsAValidPolicyWithoutApplyingIt() throws Exception {
    ActivePolicy before = engine.active();
    engine.validate(STRICT);
    engine.validate(
        "permit (principal, action == Action::\"Call\", resource)"
            + " when { context.hour_utc >= 8 && context.spent_today_microusd < 5000000"
            + " && principal.agent_id != \"\" };");
    assertEquals(before, engine.active());
  }

  @Test
  public void applySwapsPersistsAndSurvivesARestart() throws Exception {
    String before = engine.active().policyHashHex();
    assertEquals(PolicyDecision.ALLOW, engine.decide(tool("echo", "read", 0, false, false)));

    ActivePolicy applied = engine.apply(STRICT, "compile:strict");

    assertNotEquals(before, applied.policyHashHex());
    assertEquals(CompiledPolicy.sha256Hex(STRICT), applied.policyHashHex());
    assertEquals(applied, engine.active());
    assertEquals(applied.policyHashHex(), storedHash());
    // the cached Allow of the old policy must not survive the swap
    assertEquals(
        PolicyDecision.requireApproval("local"),
        engine.decide(tool("echo", "read", 0, false, false)));
    assertEquals(PolicyDecision.DENY, engine.decide(tool("rm", "admin", 0, false, false)));

    CedarPolicyEngine restarted = new CedarPolicyEngine(store, config(16));
    assertEquals(STRICT, restarted.active().policyText());
    assertEquals(
        PolicyDecision.requireApproval("local"),
        restarted.decide(tool("echo", "read", 0, false, false)));
  }

  @Test
  public void applyWritesAPolicyUpdateReceipt() throws Exception {
    RecordingReceiptLog receipts = new RecordingReceiptLog();
    engine.bindReceiptLog(receipts);
    String previous = engine.active().policyHashHex();

    ActivePolicy applied = engine.apply(STRICT, "admin-api");

    assertEquals(1, receipts.events.size());
    ObjectNode event = receipts.events.get(0);
    assertEquals("policy_update", event.get("type").asText());
    assertEquals(applied.policyHashHex(), event.get("policy_hash_hex").asText());
    assertEquals(previous, event.get("previous_policy_hash_hex").asText());
    assertEquals("admin-api", event.get("source").asText());
    assertEquals(applied.updatedAt(), Instant.parse(event.get("ts").asText()));
    assertEquals(5, event.size());

    engine.unbindReceiptLog(receipts);
    engine.apply(CedarValidator.defaultPolicyText(), "reset");
    assertEquals("unbound log gets nothing", 1, receipts.events.size());
  }

  @Test
  public void greedyReplacementKeepsTheNewReceiptLog() throws Exception {
    RecordingReceiptLog first = new RecordingReceiptLog();
    RecordingReceiptLog second = new RecordingReceiptLog();
    engine.bindReceiptLog(first);
    engine.bindReceiptLog(second);
    engine.unbindReceiptLog(first);
    engine.apply(STRICT, "test");
    assertEquals(0, first.events.size());
    assertEquals(1, second.events.size());
  }

  @Test
  public void appliesWithoutAReceiptLog() throws Exception {
    ActivePolicy applied = engine.apply(STRICT, null);
    assertEquals(applied, engine.active());
  }

  @Test
  public void failedReceiptRestoresThePreviousPolicy() throws Exception {
    ActivePolicy before = engine.active();
    RecordingReceiptLog receipts = new RecordingReceiptLog();
    receipts.fail = true;
    engine.bindReceiptLog(receipts);
    try {
      engine.apply(STRICT, "test");
      fail("expected ReceiptException");
    } catch (ReceiptException expected) {
      // no receipt, no change
    }
    assertEquals(before, engine.active());
    assertEquals(before.policyHashHex(), storedHash());
    assertEquals(PolicyDecision.ALLOW, engine.decide(tool("echo", "read", 0, false, false)));
  }

  @Test
  public void failedPersistenceKeepsTheOldPolicy() {
    ActivePolicy before = engine.active();
    store.failWrites = true;
    try {
      engine.apply(STRICT, "test");
      fail("expected a store failure");
    } catch (RuntimeException expected) {
      // a store failure, not a refusal of the policy text
      assertFalse(expected.getClass().getName(), expected instanceof PolicyException);
    }
    store.failWrites = false;
    assertEquals(before, engine.active());
  }

  @Test
  public void strictPolicyMakesEchoNeedApproval() throws Exception {
    engine.apply(STRICT, "compile:strict");
    PolicyDecision d = engine.decide(tool("echo", "read", 0, false, false));
    assertEquals(Effect.REQUIRE_APPROVAL, d.effect());
    assertEquals("local", d.approvalKind());
  }

  @Test
  public void evaluationErrorsFailClosed() throws Exception {
    // the forbid overflows for large costs; Cedar would skip it and allow, Briefcase denies
    engine.apply(
        """
        permit (principal, action, resource);
        forbid (principal, action == Action::"Call", resource)
        when { resource.cost_microusd * 1000000000000 > 0 };
        """,
        "test");
    assertEquals(PolicyDecision.ALLOW, engine.decide(tool("free", "read", 0, false, false)));
    assertEquals(PolicyDecision.DENY, engine.decide(tool("cheap", "read", 5, false, false)));
    assertEquals(
        PolicyDecision.DENY, engine.decide(tool("huge", "read", 1_000_000_000L, false, false)));
  }

  @Test
  public void malformedQueriesAreDenied() {
    assertEquals(PolicyDecision.DENY, engine.decide(null));
    assertEquals(PolicyDecision.DENY, engine.decide(tool(null, "read", 0, false, false)));
    // null agent, session and category become empty strings rather than errors
    assertEquals(
        PolicyDecision.requireApproval("local"),
        engine.decide(new PolicyQuery(null, null, "x", null, 0, false, false, false, 0, 0)));
  }

  @Test
  public void contextAndPrincipalReachThePolicy() throws Exception {
    engine.apply(
        """
        permit (principal, action == Action::"Call", resource)
        when { context.hour_utc >= 8 && context.spent_today_microusd < 1000 };
        permit (principal, action == Action::"CallWithoutApproval", resource)
        when { principal.agent_id == "trusted" && principal.session_id == "s" };
        """,
        "test");
    assertEquals(
        PolicyDecision.ALLOW,
        engine.decide(new PolicyQuery("trusted", "s", "t", "read", 0, false, false, false, 9, 0)));
    assertEquals(
        PolicyDecision.requireApproval("mobile_signer"),
        engine.decide(new PolicyQuery("other", "s", "t", "read", 0, false, false, false, 9, 0)));
    assertEquals(
        PolicyDecision.DENY,
        engine.decide(new PolicyQuery("trusted", "s", "t", "read", 0, false, false, false, 7, 0)));
    assertEquals(
        PolicyDecision.DENY,
        engine.decide(
            new PolicyQuery("trusted", "s", "t", "read", 0, false, false, false, 9, 1000)));
  }

  @Test
  public void aStoredPolicyThatNoLongerValidatesDeniesEverything() throws Exception {
    store.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("UPDATE policy_active SET policy_text = ? WHERE id = 1")) {
            ps.setString(1, "permit (principal, action, resource) when { resource.gone };");
            return ps.executeUpdate();
          }
        });
    CedarPolicyEngine broken = new CedarPolicyEngine(store, config(16));
    assertTrue(broken.active().policyText().contains("resource.gone"));
    assertEquals(PolicyDecision.DENY, broken.decide(tool("echo", "read", 0, false, false)));
    broken.apply(CedarValidator.defaultPolicyText(), "repair");
    assertEquals(PolicyDecision.ALLOW, broken.decide(tool("echo", "read", 0, false, false)));
  }

  @Test
  public void deactivatedEngineDenies() {
    engine.deactivate();
    assertEquals(PolicyDecision.DENY, engine.decide(tool("echo", "read", 0, false, false)));
    try {
      engine.apply(STRICT, "test");
      fail("expected IllegalStateException");
    } catch (IllegalStateException | PolicyException expected) {
      assertTrue(expected instanceof IllegalStateException);
    }
  }

  @Test
  public void decisionsNeverMixTwoPolicies() throws Exception {
    // A allows; B needs a local approval; a mix (Call, then B's CallWithoutApproval, then A's
    // CallWithoutSigner) would give mobile_signer, which neither policy can produce
    String a =
        """
        permit (principal, action == Action::"Call", resource);
        permit (principal, action == Action::"CallWithoutApproval", resource);
        """;
    String b =
        """
        permit (principal, action == Action::"Call", resource);
        permit (principal, action == Action::"CallWithoutSigner", resource);
        """;
    CedarPolicyEngine uncached = new CedarPolicyEngine(store, config(0));
    Set<PolicyDecision> seen = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread reader =
          new Thread(
              () -> {
                while (!stop.get()) {
                  seen.add(uncached.decide(tool("echo", "read", 0, false, false)));
                }
              });
      reader.start();
      readers.add(reader);
    }
    for (int i = 0; i < 20; i++) {
      uncached.apply(i % 2 == 0 ? a : b, "test");
    }
    stop.set(true);
    for (Thread reader : readers) {
      reader.join();
    }
    assertTrue(
        seen.toString(),
        Set.of(PolicyDecision.ALLOW, PolicyDecision.requireApproval("local")).containsAll(seen));
  }

  @Test
  public void cacheKeyDropsOnlyFieldsThePolicyNeverNames() throws Exception {
    CedarValidator validator = new CedarValidator();
    PolicyQuery q = new PolicyQuery("a", "s", "echo", "read", 5, false, false, false, 13, 700);
    PolicyQuery otherSession =
        new PolicyQuery("b", "t", "echo", "read", 5, false, false, false, 2, 900);

    CompiledPolicy byDefault =
        validator.compile(CedarValidator.defaultPolicyText(), Instant.now(), 8);
    assertEquals(byDefault.cacheKey(q), byDefault.cacheKey(otherSession));
    assertEquals(
        new PolicyQuery(null, null, "echo", "read", 5, false, false, false, 0, 0),
        byDefault.cacheKey(q));

    CompiledPolicy spending =
        validator.compile(
            "permit (principal, action, resource) when { context.spent_today_microusd < 800 };",
            Instant.now(),
            8);
    assertEquals(700, spending.cacheKey(q).spentTodayMicroUsd());
    assertNull(spending.cacheKey(q).agentId());
    assertEquals(PolicyDecision.ALLOW, spending.decide(q));
    assertEquals(PolicyDecision.DENY, spending.decide(otherSession));

    CompiledPolicy escaped =
        validator.compile(
            "permit (principal, action, resource) when { context[\"\\u{68}our_utc\"] > 3 };",
            Instant.now(),
            8);
    assertSame(q, escaped.cacheKey(q));
  }

  @Test
  public void oneLineMessages() {
    assertEquals("a b c", CedarValidator.oneLine(" a\n  b\tc "));
    assertEquals(200, CedarValidator.oneLine("x".repeat(500)).length());
    assertEquals("invalid policy", CedarValidator.oneLine(null));
    // a policy text is the operator's, its errors quote it: no forged log line, no hidden text
    assertEquals(
        "unexpected token forbid OK policy",
        CedarValidator.oneLine("unexpected token\r\nforbid\u202e OK\u0085policy"));
    assertTrue(CedarValidator.oneLine("y".repeat(500)).endsWith("..."));
  }

  private PolicyException expectInvalid(ThrowingRunnable action) {
    try {
      action.run();
    } catch (PolicyException e) {
      assertEquals("invalid_cedar", e.code());
      return e;
    }
    fail("expected PolicyException invalid_cedar");
    return null;
  }

  private String storedHash() {
    return store.read(
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT policy_hash_hex FROM policy_active WHERE id = 1");
              ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
          }
        });
  }

  interface ThrowingRunnable {
    void run() throws PolicyException;
  }

  static final class RecordingReceiptLog implements ReceiptLog {
    final List<ObjectNode> events = new ArrayList<>();
    boolean fail;

    @Override
    public synchronized Receipt append(ObjectNode event) {
      if (fail) {
        throw new ReceiptException("disk full", null);
      }
      events.add(event);
      return new Receipt(events.size(), Instant.now(), "0".repeat(64), "1".repeat(64), event);
    }

    @Override
    public List<Receipt> list(int limit, long offset) {
      return List.of();
    }

    @Override
    public VerifyResult verify() {
      throw new UnsupportedOperationException();
    }

    @Override
    public long export(long afterId, Writer out) {
      return 0;
    }
  }
}
