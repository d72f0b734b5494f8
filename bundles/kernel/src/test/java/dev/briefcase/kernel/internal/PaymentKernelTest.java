package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.payment.PaidRetry;
import dev.briefcase.payment.PaymentChallenge;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentProof;
import dev.briefcase.payment.PaymentQuote;
import dev.briefcase.payment.PaymentRail;
import dev.briefcase.payment.PaymentRecord;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.payment.PaymentSettlement;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.testing.Poll;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallOutcome.Status;
import dev.briefcase.tools.ToolSpec;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The kernel's payment step (SPEC §5, §14.5) with fake rails that count their pay calls: the gate
 * comes before any payment, an overrun asks a human and pays nothing, the approved retry pays once,
 * racing calls cannot overspend, a crashed attempt's key is re-sent, and receipts hold no secret.
 */
public class PaymentKernelTest {
  private static final long PRICE = 10_000;
  private static final String CANARY_SIG = "CANARY-SIGNATURE-0f0f0f0f";
  private static final String CANARY_PREIMAGE = "CANARY-PREIMAGE-e1e1e1e1";
  private static final String PROVIDER = "http://127.0.0.1:9099";

  private Fixture k;
  private PaymentKernel payments;
  private FakeRail x402;
  private PayingTool tool;
  private long serviceIds;

  @Before
  public void setUp() throws Exception {
    k = new Fixture();
    payments = kernel(k);
    x402 = new FakeRail("x402", PRICE);
    bind(payments, x402, 0);
    tool = new PayingTool();
    k.add(tool, "payer", 0);
  }

  @After
  public void tearDown() {
    x402.gate.countDown();
    k.close();
  }

  private PaymentKernel kernel(Fixture f) {
    return kernel(f, new String[0]);
  }

  private PaymentKernel kernel(Fixture f, String[] providerOrder) {
    return new PaymentKernel(
        f.store, f.receipts, f.budgets, f.pipeline.calls(), config(providerOrder), f.clock);
  }

  private void bind(PaymentKernel kernel, FakeRail rail, int ranking) {
    kernel.bindRail(new RailRef(rail.scheme, ranking, ++serviceIds), rail);
  }

  @Test
  public void theBudgetIsGatedBeforeTheRailPays() {
    k.budgets.set("read", PRICE);
    x402.onPay = () -> assertEquals(PRICE, k.budgets.reservedToday("read"));
    ToolCallOutcome r = k.call("pay_tool", "{}");
    assertEquals(r.toString(), Status.OK, r.status());
    assertEquals(1, x402.pays.get());
    assertEquals(PRICE, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
    List<PaymentRecord> list = payments.list(null, null, 10, 0);
    assertEquals(1, list.size());
    assertEquals("settled", list.get(0).state());
    assertEquals("0xtxhash", list.get(0).reference());
    assertEquals("x402", list.get(0).rail());
  }

  @Test
  public void anOverrunAsksForApprovalAndPaysNothing() throws Exception {
    k.budgets.set("read", PRICE - 1);
    ToolCallOutcome r = k.call("pay_tool", "{}");
    assertEquals(Status.APPROVAL_REQUIRED, r.status());
    assertEquals("budget_exceeded", r.approval().reason());
    assertEquals(0, x402.pays.get());
    assertEquals(0, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
    assertTrue(payments.list(null, null, 10, 0).isEmpty());
    assertTrue(k.receipts.ofType("payment").isEmpty());
  }

  @Test
  public void theApprovedRetryPaysExactlyOnce() throws Exception {
    k.budgets.set("read", PRICE - 1);
    ToolCallOutcome r = k.call("pay_tool", "{\"n\":1}");
    assertEquals(Status.APPROVAL_REQUIRED, r.status());
    String token = k.approvals.grant(r.approval().id(), "cli").token().reveal();
    ToolCallOutcome retried = k.call("pay_tool", "{\"n\":1}", token);
    assertEquals(retried.toString(), Status.OK, retried.status());
    assertEquals(1, x402.pays.get());
    // an approved payment still counts against the day
    assertEquals(PRICE, k.budgets.spentToday("read"));
  }

  @Test
  public void anApprovedOverrunCannotPayMoreThanTheHumanSaw() throws Exception {
    k.budgets.set("read", PRICE - 1);
    ToolCallOutcome r = k.call("pay_tool", "{\"n\":2}");
    assertEquals(Status.APPROVAL_REQUIRED, r.status());
    String token = k.approvals.grant(r.approval().id(), "cli").token().reveal();
    // the provider raises its price between the ask and the approved retry
    x402.price = 100 * PRICE;
    ToolCallOutcome retried = k.call("pay_tool", "{\"n\":2}", token);
    assertEquals(retried.toString(), Status.ERROR, retried.status());
    assertEquals(0, x402.pays.get());
    assertEquals(0, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
  }

  @Test
  public void anApprovalGivenForAnotherReasonDoesNotLiftThePaymentGate() throws Exception {
    k.budgets.set("read", PRICE - 1);
    tool.asksFirst = true;
    ToolCallOutcome r = k.call("pay_tool", "{\"n\":3}");
    assertEquals(Status.APPROVAL_REQUIRED, r.status());
    assertEquals("tool_requested_approval", r.approval().reason());
    String token = k.approvals.grant(r.approval().id(), "cli").token().reveal();
    // the human approved the tool's own question, never a payment over the budget
    ToolCallOutcome retried = k.call("pay_tool", "{\"n\":3}", token);
    assertEquals(retried.toString(), Status.ERROR, retried.status());
    assertEquals(0, x402.pays.get());
    assertEquals(0, k.budgets.spentToday("read"));
  }

  @Test
  public void aSecondCallCannotRaceAPaymentStillInFlight() throws Exception {
    k.budgets.set("read", 10 * PRICE);
    CountDownLatch release = new CountDownLatch(1);
    x402.hold = release;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<ToolCallOutcome> first = pool.submit(() -> k.call("pay_tool", "{\"n\":9}"));
      Poll.waitFor(() -> x402.pays.get() == 1, "the first payment", Duration.ofSeconds(20));
      // the same payment (same provider, tool, arguments, quote) while the first is unfinished
      Future<ToolCallOutcome> second = pool.submit(() -> k.call("pay_tool", "{\"n\":9}"));
      ToolCallOutcome r;
      try {
        r = second.get(10, TimeUnit.SECONDS);
      } finally {
        release.countDown();
      }
      assertEquals(r.toString(), Status.ERROR, r.status());
      assertTrue(r.toString(), r.toString().contains("payment_in_progress"));
      assertEquals(Status.OK, first.get(20, TimeUnit.SECONDS).status());
      assertEquals(1, x402.pays.get());
      List<PaymentRecord> rows = payments.list(null, null, 10, 0);
      assertEquals(1, rows.size());
      assertEquals("settled", rows.get(0).state());
      assertEquals(1, rows.get(0).attempts());
      assertEquals(PRICE, k.budgets.spentToday("read"));
      assertEquals(0, k.budgets.reservedToday("read"));
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  public void aCredentialAlreadyPaidForIsPresentedAtNoCost() throws Exception {
    // an L402 rail quotes 0 for a provider whose paid token it still holds (bLIP-0026 reuse)
    k.budgets.set("read", 0);
    x402.price = 0;
    ToolCallOutcome r = k.call("pay_tool", "{\"n\":4}");
    assertEquals(r.toString(), Status.OK, r.status());
    assertEquals(1, x402.pays.get());
    assertEquals(0, k.budgets.spentToday("read"));
    List<PaymentRecord> rows = payments.list(null, null, 10, 0);
    assertEquals(1, rows.size());
    assertEquals(0, rows.get(0).amountMicroUsd());
    assertEquals("settled", rows.get(0).state());
  }

  @Test
  public void racingCallsCannotOverspend() throws Exception {
    int allowed = 3;
    int callers = 24;
    k.budgets.set("read", allowed * PRICE);
    java.util.concurrent.atomic.AtomicLong maxHeld = new java.util.concurrent.atomic.AtomicLong();
    x402.onPay =
        () ->
            maxHeld.accumulateAndGet(
                k.budgets.spentToday("read") + k.budgets.reservedToday("read"), Math::max);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<ToolCallOutcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        String args = "{\"n\":" + i + "}";
        outcomes.add(
            pool.submit(
                () -> {
                  start.await();
                  return k.call("pay_tool", args);
                }));
      }
      start.countDown();
      int ok = 0;
      for (Future<ToolCallOutcome> f : outcomes) {
        ToolCallOutcome r = f.get(30, TimeUnit.SECONDS);
        if (r.status() == Status.OK) {
          ok++;
        } else {
          // an overrun asks a human; beyond the approval flood caps the ask itself is refused
          assertTrue(
              r.toString(),
              r.status() == Status.APPROVAL_REQUIRED
                  || "too_many_pending_approvals".equals(r.reason())
                  || "approval_rate_limited".equals(r.reason()));
        }
      }
      assertEquals(allowed, ok);
      assertEquals(allowed, x402.pays.get());
      assertEquals(allowed * PRICE, k.budgets.spentToday("read"));
      assertTrue(maxHeld.get() <= allowed * PRICE);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void aCrashedAttemptsKeyIsSentAgain() throws Exception {
    Path dir = Files.createTempDirectory("briefcase-pay-crash");
    Fixture first = Fixture.storedIn(dir);
    PaymentKernel firstKernel = kernel(first);
    FakeRail stuck = new FakeRail("x402", PRICE);
    stuck.block = true;
    bind(firstKernel, stuck, 0);
    PayingTool firstTool = new PayingTool(firstKernel);
    first.add(firstTool, "payer", 0);
    first.budgets.set("read", 10 * PRICE);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      pool.submit(() -> first.call("pay_tool", "{\"n\":7}"));
      Poll.waitFor(() -> stuck.pays.get() == 1, "the rail to be paying", Duration.ofSeconds(20));
      assertEquals("authorising", firstKernel.list(null, null, 10, 0).get(0).state());
      // the process dies here: the row stays authorising; a new kernel opens the same database
      Fixture second = Fixture.storedIn(dir);
      try {
        PaymentKernel secondKernel = kernel(second);
        FakeRail rail = new FakeRail("x402", PRICE);
        bind(secondKernel, rail, 0);
        second.add(new PayingTool(secondKernel), "payer", 0);
        second.budgets.set("read", 10 * PRICE);
        assertEquals(Status.OK, second.call("pay_tool", "{\"n\":7}").status());
        assertEquals(stuck.keys.get(0), rail.keys.get(0));
        List<PaymentRecord> rows = secondKernel.list(null, null, 10, 0);
        assertEquals(1, rows.size());
        assertEquals("settled", rows.get(0).state());
        assertEquals(2, rows.get(0).attempts());
        // a settled payment's key is never sent again: the next call gets a fresh one
        assertEquals(Status.OK, second.call("pay_tool", "{\"n\":7}").status());
        assertFalse(rail.keys.get(0).equals(rail.keys.get(1)));
      } finally {
        second.close();
      }
    } finally {
      stuck.gate.countDown();
      pool.shutdownNow();
      pool.awaitTermination(20, TimeUnit.SECONDS);
      first.close();
    }
  }

  @Test
  public void aFailedPaymentReleasesTheBudgetAndKeepsItsCode() {
    k.budgets.set("read", PRICE);
    x402.failWith = "payment_helper_timeout";
    ToolCallOutcome r = k.call("pay_tool", "{}");
    assertEquals(Status.ERROR, r.status());
    assertTrue(r.message(), r.message().contains("payment_helper_timeout"));
    assertEquals(0, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
    PaymentRecord row = payments.list(null, null, 10, 0).get(0);
    assertEquals("failed", row.state());
    assertEquals("payment_helper_timeout", row.code());
    assertEquals("failed", k.receipts.ofType("payment").get(0).get("result").asText());
  }

  @Test
  public void aRejectedRetryIsRecordedRejected() {
    k.budgets.set("read", PRICE);
    x402.rejectSettlement = true;
    ToolCallOutcome r = k.call("pay_tool", "{}");
    assertEquals(Status.ERROR, r.status());
    assertTrue(r.message(), r.message().contains("payment_rejected"));
    assertEquals("rejected", payments.list(null, null, 10, 0).get(0).state());
  }

  /**
   * A provider that settled and then failed (500) may have taken the money: the payment stays open,
   * and the retried call sends the same key (the same authorisation), never a new payment.
   */
  @Test
  public void aServerErrorAfterThePaidRetryKeepsThePaymentOpenForTheSameKey() {
    // exactly one payment's worth: re-sending the payment already made must not need a second
    k.budgets.set("read", PRICE);
    tool.retryStatus = 500;
    ToolCallOutcome failed = k.call("pay_tool", "{\"n\":1}");
    assertEquals(Status.ERROR, failed.status());
    assertTrue(failed.message(), failed.message().startsWith("payment_response_invalid"));
    assertEquals("paid", payments.list(null, null, 10, 0).get(0).state());
    assertEquals("unresolved", k.receipts.ofType("payment").get(1).get("result").asText());

    assertEquals(PRICE, k.budgets.spentToday("read"));

    tool.retryStatus = 200;
    assertEquals(Status.OK, k.call("pay_tool", "{\"n\":1}").status());
    assertEquals("the re-sent payment is counted once", PRICE, k.budgets.spentToday("read"));
    assertEquals(0, k.budgets.reservedToday("read"));
    assertEquals(2, x402.keys.size());
    assertEquals("the retry re-sends the same payment", x402.keys.get(0), x402.keys.get(1));
    List<PaymentRecord> rows = payments.list(null, null, 10, 0);
    assertEquals(1, rows.size());
    assertEquals("settled", rows.get(0).state());
  }

  @Test
  public void aPaidRetryThatTimesOutLeavesThePaymentOpenForTheSameKey() {
    k.budgets.set("read", PRICE);
    tool.retryTimesOut = true;
    assertEquals(Status.ERROR, k.call("pay_tool", "{\"n\":2}").status());
    assertEquals("paid", payments.list(null, null, 10, 0).get(0).state());

    tool.retryTimesOut = false;
    assertEquals(Status.OK, k.call("pay_tool", "{\"n\":2}").status());
    assertEquals(2, x402.keys.size());
    assertEquals("the timed-out payment is re-sent", x402.keys.get(0), x402.keys.get(1));
    assertEquals("counted once", PRICE, k.budgets.spentToday("read"));
    List<PaymentRecord> rows = payments.list(null, null, 10, 0);
    assertEquals(1, rows.size());
    assertEquals("settled", rows.get(0).state());
  }

  @Test
  public void aSecond402IsRejectedEvenWhenTheRailAcceptsIt() {
    k.budgets.set("read", PRICE);
    tool.retryStatus = 402;
    ToolCallOutcome r = k.call("pay_tool", "{}");
    assertEquals(Status.ERROR, r.status());
    assertTrue(r.message(), r.message().startsWith("payment_rejected"));
    PaymentRecord row = payments.list(null, null, 10, 0).get(0);
    assertEquals("rejected", row.state());
    assertEquals("payment_rejected", row.code());
    assertEquals("rejected", k.receipts.ofType("payment").get(1).get("result").asText());
  }

  @Test
  public void noRailIsPaymentRailUnavailableAndNoQuoteIsPaymentRequired() {
    PaymentKernel bare = kernel(k);
    PayingTool t = new PayingTool(bare);
    t.prefix = "bare_";
    k.add(t, "bare", 0);
    ToolCallOutcome r = k.call("bare_pay_tool", "{}");
    assertTrue(r.message(), r.message().startsWith(PaymentService.RAIL_UNAVAILABLE));
    x402.answers = false;
    r = k.call("pay_tool", "{}");
    assertTrue(r.message(), r.message().startsWith(PaymentService.PAYMENT_REQUIRED));
  }

  @Test
  public void x402IsAskedBeforeL402AndRankingDecidesWithinAScheme() {
    k.budgets.set("read", 10 * PRICE);
    FakeRail l402 = new FakeRail("l402", PRICE);
    bind(payments, l402, 100);
    FakeRail x402High = new FakeRail("x402", PRICE);
    bind(payments, x402High, 5);
    assertEquals(Status.OK, k.call("pay_tool", "{}").status());
    assertEquals(1, x402High.pays.get());
    assertEquals(0, x402.pays.get());
    assertEquals(0, l402.pays.get());
  }

  @Test
  public void aProviderCanPreferL402() {
    PaymentKernel preferring = kernel(k, new String[] {"http://127.0.0.1:9099/=l402,x402", "junk"});
    FakeRail l402 = new FakeRail("l402", PRICE);
    bind(preferring, x402, 0);
    bind(preferring, l402, 0);
    PayingTool t = new PayingTool(preferring);
    t.prefix = "pref_";
    k.add(t, "pref", 0);
    k.budgets.set("read", 10 * PRICE);
    assertEquals(Status.OK, k.call("pref_pay_tool", "{}").status());
    assertEquals(1, l402.pays.get());
    assertEquals(0, x402.pays.get());
  }

  @Test
  public void aRailThatLeavesMidCallFinishesTheCall() {
    k.budgets.set("read", 10 * PRICE);
    RailRef ref = new RailRef("x402", 0, ++serviceIds);
    FakeRail leaving = new FakeRail("x402", PRICE);
    PaymentKernel own = kernel(k);
    own.bindRail(ref, leaving);
    leaving.onPay = () -> own.unbindRail(ref);
    PayingTool t = new PayingTool(own);
    t.prefix = "leave_";
    k.add(t, "leave", 0);
    assertEquals(Status.OK, k.call("leave_pay_tool", "{}").status());
    assertEquals("settled", own.list(null, null, 10, 0).get(0).state());
    ToolCallOutcome next = k.call("leave_pay_tool", "{}");
    assertTrue(next.message(), next.message().startsWith(PaymentService.RAIL_UNAVAILABLE));
  }

  @Test
  public void aConnectorCannotPayOutsideARunningCall() {
    ToolInvocation forged =
        new ToolInvocation(
            "pay_tool",
            Map.of(),
            dev.briefcase.tools.ToolManifest.denyAll("pay_tool", "local"),
            ctx());
    try {
      payments.pay(forged, PROVIDER, 402, Map.of(), "{}");
      fail();
    } catch (PaymentException e) {
      assertEquals(PaymentService.CALL_UNKNOWN, e.code());
    }
    assertEquals(0, x402.pays.get());
  }

  @Test
  public void receiptsAndRowsCarryNoSecret() {
    k.budgets.set("read", PRICE);
    assertEquals(Status.OK, k.call("pay_tool", "{}").status());
    List<ObjectNode> events = k.receipts.ofType("payment");
    assertEquals(2, events.size());
    assertEquals("paid", events.get(0).get("result").asText());
    assertEquals("settled", events.get(1).get("result").asText());
    assertEquals(PRICE, events.get(0).get("amount_microusd").asLong());
    assertEquals("eip155:8453", events.get(0).get("network").asText());
    assertEquals("0xnonce", events.get(0).get("reference").asText());
    for (ObjectNode e : k.receipts.events) {
      String text = e.toString();
      assertFalse(text, text.contains(CANARY_SIG));
      assertFalse(text, text.contains(CANARY_PREIMAGE));
      assertFalse(text, text.contains("signature"));
    }
    String row = payments.list(null, null, 10, 0).toString();
    assertFalse(row, row.contains(CANARY_SIG));
    assertFalse(row, row.contains(CANARY_PREIMAGE));
  }

  @Test
  public void aRailThatPutsASignatureInItsReferenceGetsNoReferenceReceipted() {
    k.budgets.set("read", PRICE);
    String signature = "0x" + "ab".repeat(65); // 65 bytes r‖s‖v, longer than any hash or nonce
    x402.reference = signature;
    assertEquals(Status.OK, k.call("pay_tool", "{}").status());
    for (ObjectNode e : k.receipts.events) {
      assertFalse(e.toString(), e.toString().contains(signature));
    }
    assertFalse(payments.list(null, null, 10, 0).toString().contains(signature));
  }

  private static dev.briefcase.tools.CallContext ctx() {
    return new dev.briefcase.tools.CallContext("req-1", null, null, "test");
  }

  private static PaymentKernel.Config config(String[] providerOrder) {
    return new PaymentKernel.Config() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return PaymentKernel.Config.class;
      }

      @Override
      public String[] rail_order() {
        return new String[] {"x402", "l402"};
      }

      @Override
      public String[] provider_rail_order() {
        return providerOrder;
      }

      @Override
      public long max_amount_microusd() {
        return 5_000_000L;
      }
    };
  }

  /** A tool that meets a 402, pays through the kernel, retries once and reports the answer. */
  private final class PayingTool implements Connector {
    private final PaymentKernel kernel;
    String prefix = "";
    int retryStatus = 200;
    boolean asksFirst;
    boolean retryTimesOut;

    PayingTool() {
      this(null);
    }

    PayingTool(PaymentKernel kernel) {
      this.kernel = kernel;
    }

    @Override
    public List<ToolSpec> tools() {
      return List.of(
          new ToolSpec(
              prefix + "pay_tool",
              "pay",
              "pays a provider",
              Fixture.object(FakeConnector.OPEN),
              null,
              ToolSpec.READ,
              0,
              OutputFirewall.allowAll()));
    }

    @Override
    public ToolResult execute(ToolInvocation call) throws ToolException {
      PaymentKernel p = kernel != null ? kernel : payments;
      if (asksFirst && !call.approved()) {
        throw new dev.briefcase.connector.ApprovalRequiredException("may I call the provider?");
      }
      PaidRetry retry =
          p.pay(call, PROVIDER, 402, Map.of("PAYMENT-REQUIRED", List.of("e30=")), "{}");
      assertTrue(retry.retryHeaders().reveal().containsKey("PAYMENT-SIGNATURE"));
      if (retryTimesOut) {
        // what a connector does when the paid retry gets no answer: it never learns the outcome
        throw new ToolException("egress_timeout", "the paid retry timed out");
      }
      PaymentSettlement s =
          p.settled(retry, retryStatus, Map.of("PAYMENT-RESPONSE", List.of("e30=")));
      ObjectNode out = CanonicalJson.MAPPER.createObjectNode();
      out.put("paid", retry.amountMicroUsd());
      out.put("tx", s.reference());
      return ToolResult.of(PlainJson.object(out), "local:pay");
    }
  }

  /** A rail that counts its pay calls and records the idempotency keys it was given. */
  static final class FakeRail implements PaymentRail {
    final String scheme;
    volatile long price;
    final AtomicInteger pays = new AtomicInteger();
    final List<String> keys = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch gate = new CountDownLatch(1);
    volatile boolean block;
    volatile CountDownLatch hold;
    volatile boolean answers = true;
    volatile boolean rejectSettlement;
    volatile String failWith;
    volatile String reference = "0xnonce";
    volatile Runnable onPay = () -> {};

    FakeRail(String scheme, long price) {
      this.scheme = scheme;
      this.price = price;
    }

    @Override
    public PaymentQuote quote(PaymentChallenge challenge) {
      if (!answers) {
        return null;
      }
      return new PaymentQuote(
          price,
          price + " µUSD on eip155:8453",
          Map.of(
              "network",
              "eip155:8453",
              "asset",
              "0xasset",
              "amount_atomic",
              String.valueOf(price),
              "signature",
              CANARY_SIG,
              "preimage",
              CANARY_PREIMAGE));
    }

    @Override
    public PaymentProof pay(PaymentChallenge challenge, PaymentQuote quote)
        throws PaymentException {
      assertTrue(challenge.maxAmountMicroUsd() <= quote.amountMicroUsd());
      pays.incrementAndGet();
      keys.add(challenge.idempotencyKey());
      onPay.run();
      if (block) {
        try {
          gate.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new PaymentException("payment_helper_failed", "the process died");
      }
      CountDownLatch h = hold;
      if (h != null) {
        try {
          h.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (failWith != null) {
        throw new PaymentException(failWith, "the helper timed out");
      }
      return new PaymentProof(
          Sensitive.of(Map.of("PAYMENT-SIGNATURE", CANARY_SIG)), price, reference);
    }

    @Override
    public PaymentSettlement settled(
        PaymentChallenge challenge,
        PaymentProof proof,
        int status,
        Map<String, List<String>> headers)
        throws PaymentException {
      if (rejectSettlement) {
        throw new PaymentException("payment_rejected", "the provider refused the payment");
      }
      assertNotNull(headers.get("payment-response"));
      return new PaymentSettlement("0xtxhash", "0xpayer");
    }
  }

  private static final class RailRef implements ServiceReference<PaymentRail> {
    private final Map<String, Object> props;
    private final int ranking;
    private final long id;

    RailRef(String scheme, int ranking, long id) {
      this.ranking = ranking;
      this.id = id;
      props = Map.of(PaymentRail.SCHEME, scheme, "service.ranking", ranking, "service.id", id);
    }

    @Override
    public Object getProperty(String key) {
      return props.get(key);
    }

    @Override
    public String[] getPropertyKeys() {
      return props.keySet().toArray(new String[0]);
    }

    @Override
    public Bundle getBundle() {
      return null;
    }

    @Override
    public Bundle[] getUsingBundles() {
      return null;
    }

    @Override
    public boolean isAssignableTo(Bundle bundle, String className) {
      return true;
    }

    @Override
    public int compareTo(Object other) {
      RailRef o = (RailRef) other;
      int byRank = Integer.compare(ranking, o.ranking);
      return byRank != 0 ? byRank : Long.compare(o.id, id);
    }

    @Override
    public <A> A adapt(Class<A> type) {
      return null;
    }

    @Override
    public java.util.Dictionary<String, Object> getProperties() {
      return new java.util.Hashtable<>(props);
    }
  }
}
