package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.testing.Poll;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallOutcome.Status;
import dev.briefcase.tools.ToolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Budget reservations (SPEC §5 Δ 2026-12): atomic gate, settle or release, crash recovery. */
public class BudgetLedgerTest {
  private static final long COST = 1000;

  private Fixture k;
  private PaidTools paid;

  @Before
  public void setUp() throws Exception {
    k = new Fixture();
    paid = new PaidTools();
    k.add(paid, "paid", 0);
  }

  @After
  public void tearDown() {
    paid.gate.countDown();
    k.close();
  }

  @Test
  public void racingCallsNeverSpendPastTheLimit() throws Exception {
    int allowed = 3;
    int callers = 32;
    long limit = allowed * COST;
    k.budgets.set("read", limit);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      AtomicInteger done = new AtomicInteger();
      List<Future<ToolCallOutcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        outcomes.add(
            pool.submit(
                () -> {
                  start.await();
                  try {
                    return k.call("paid_slow", "{}");
                  } finally {
                    done.incrementAndGet();
                  }
                }));
      }
      start.countDown();
      // every caller has either been answered or is inside the tool, holding its reservation
      Poll.waitFor(
          () -> done.get() + paid.inFlight.get() >= callers,
          "every caller to be answered or inside the tool",
          Duration.ofSeconds(20));
      assertTrue("too many calls ran: " + paid.inFlight.get(), paid.inFlight.get() <= allowed);
      assertTrue(k.budgets.spentToday("read") + k.budgets.reservedToday("read") <= limit);
      paid.gate.countDown();
      int ok = 0;
      for (Future<ToolCallOutcome> f : outcomes) {
        ToolCallOutcome r = f.get(20, TimeUnit.SECONDS);
        if (r.status() == Status.OK) {
          ok++;
        } else {
          assertEquals(Status.APPROVAL_REQUIRED, r.status());
          assertEquals("budget_exceeded", r.approval().reason());
        }
      }
      assertEquals(allowed, ok);
      assertEquals(allowed, paid.executions.get());
      assertEquals(limit, k.budgets.spentToday("read"));
      assertEquals(0, k.budgets.reservedToday("read"));
      assertTrue(paid.maxSeen.get() <= limit);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void everyEndingAfterTheToolRanIsCharged() {
    paid.gate.countDown();
    k.budgets.set("read", 10 * COST);
    long spent = 0;
    for (String tool :
        List.of("paid_fails", "paid_crashes", "paid_errors", "paid_empty", "paid_escapes")) {
      ToolCallOutcome r = k.call(tool, "{}");
      assertTrue(tool + ": " + r.status(), r.status() != Status.OK);
      spent += COST;
      // the tool ran and may have paid upstream: the estimate is charged, nothing stays held
      assertEquals(tool, 0, k.budgets.reservedToday("read"));
      assertEquals(tool, spent, k.budgets.spentToday("read"));
    }
  }

  @Test
  public void aFailedCallWithAnActualCostIsChargedThatCost() {
    paid.gate.countDown();
    k.budgets.set("read", 10 * COST);
    assertEquals(Status.ERROR, k.call("paid_cheaper_empty", "{}").status());
    assertEquals(COST / 4, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
  }

  @Test
  public void aToolThatAsksForApprovalInsteadOfRunningIsNotCharged() {
    paid.gate.countDown();
    k.budgets.set("read", COST);
    ToolCallOutcome r = k.call("paid_asks", "{}");
    assertEquals(Status.APPROVAL_REQUIRED, r.status());
    assertEquals(0, k.budgets.reservedToday("read"));
    assertEquals(0, k.budgets.spentToday("read"));
    // the whole limit is still there for a call that succeeds
    assertEquals(Status.OK, k.call("paid_slow", "{}").status());
    assertEquals(COST, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
  }

  @Test
  public void actualCostIsWhatSettles() {
    paid.gate.countDown();
    k.budgets.set("read", 10 * COST);
    assertEquals(Status.OK, k.call("paid_cheaper", "{}").status());
    assertEquals(COST / 4, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
  }

  @Test
  public void reservationOrphanedByACrashIsReleasedAndReceiptedAtStart() {
    k.budgets.set("read", COST);
    BudgetLedger.Reservation held = k.budgets.reserve("read", COST, false, "paid_slow", "req-1");
    assertNotNull(held);
    assertNull(k.budgets.reserve("read", 1, false, "paid_slow", "req-2"));
    int before = k.receipts.ofType("budget_reservation_released").size();

    // a new ledger over the same database is the kernel after kill -9
    BudgetLedger restarted = new BudgetLedger(k.store, k.receipts, k.clock);
    assertEquals(0, restarted.reservedToday("read"));
    assertEquals(0, restarted.spentToday("read"));
    List<ObjectNode> released = k.receipts.ofType("budget_reservation_released");
    assertEquals(before + 1, released.size());
    ObjectNode e = released.get(released.size() - 1);
    assertEquals("orphaned_at_start", e.get("reason").asText());
    assertEquals("read", e.get("category").asText());
    assertEquals(COST, e.get("amount_microusd").asLong());
    assertEquals("paid_slow", e.get("tool_id").asText());
    assertEquals("req-1", e.get("request_id").asText());
    assertNotNull(restarted.reserve("read", COST, false, "paid_slow", "req-3"));

    // released once: the next start finds only the reservation just taken
    new BudgetLedger(k.store, k.receipts, k.clock);
    assertEquals(before + 2, k.receipts.ofType("budget_reservation_released").size());
  }

  @Test
  public void settledReservationIsNotReleasedAgainAtStart() {
    k.budgets.set("read", COST);
    BudgetLedger.Reservation r = k.budgets.reserve("read", COST, false, "paid_slow", "req-1");
    k.budgets.settle(r, COST);
    k.budgets.release(r); // a no-op once settled
    BudgetLedger restarted = new BudgetLedger(k.store, k.receipts, k.clock);
    assertEquals(COST, restarted.spentToday("read"));
    assertEquals(0, k.receipts.ofType("budget_reservation_released").size());
  }

  @Test
  public void forcedReservationCountsPastTheLimit() {
    k.budgets.set("read", COST);
    assertNotNull(k.budgets.reserve("read", 2 * COST, true, "paid_slow", "req-1"));
    assertEquals(2 * COST, k.budgets.reservedToday("read"));
    assertNull(k.budgets.reserve("read", 1, false, "paid_slow", "req-2"));
  }

  /** Costed tools whose execution the test holds, and ones that fail in every way. */
  private final class PaidTools implements Connector {
    final CountDownLatch gate = new CountDownLatch(1);
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger executions = new AtomicInteger();
    final AtomicLong maxSeen = new AtomicLong();

    @Override
    public List<ToolSpec> tools() {
      List<ToolSpec> out = new ArrayList<>();
      for (String id :
          List.of(
              "paid_slow",
              "paid_fails",
              "paid_crashes",
              "paid_errors",
              "paid_empty",
              "paid_escapes",
              "paid_asks",
              "paid_cheaper_empty")) {
        out.add(spec(id));
      }
      out.add(spec("paid_cheaper"));
      return out;
    }

    private ToolSpec spec(String id) {
      return new ToolSpec(
          id,
          id,
          "costed test tool",
          Fixture.object(FakeConnector.OPEN),
          null,
          ToolSpec.READ,
          COST,
          OutputFirewall.allowAll());
    }

    @Override
    public ToolResult execute(ToolInvocation call) throws ToolException {
      inFlight.incrementAndGet();
      try {
        maxSeen.accumulateAndGet(
            k.budgets.spentToday("read") + k.budgets.reservedToday("read"), Math::max);
        if (!gate.await(20, TimeUnit.SECONDS)) {
          throw new ToolException("timeout", "test gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ToolException("interrupted", "interrupted");
      } finally {
        inFlight.decrementAndGet();
      }
      ObjectNode out = CanonicalJson.MAPPER.createObjectNode();
      out.put("ok", true);
      switch (call.toolId()) {
        case "paid_fails" -> throw new ToolException("upstream_failed", "upstream said no");
        case "paid_crashes" -> throw new IllegalStateException("crash");
        case "paid_errors" -> throw new AssertionError("an Error from a plugin");
        case "paid_empty" -> {
          return null;
        }
        case "paid_escapes" ->
            throw new dev.briefcase.connector.SandboxViolationException("egress refused");
        case "paid_asks" ->
            throw new dev.briefcase.connector.ApprovalRequiredException("ask a human first");
        case "paid_cheaper_empty" -> {
          return new ToolResult(null, "local:paid", COST / 4);
        }
        case "paid_cheaper" -> {
          return new ToolResult(PlainJson.object(out), "local:paid", COST / 4);
        }
        default -> {
          executions.incrementAndGet();
          return ToolResult.of(PlainJson.object(out), "local:paid");
        }
      }
    }
  }
}
