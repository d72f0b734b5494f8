package dev.briefcase.connector.provider.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.egress.internal.HttpEgressClient;
import dev.briefcase.payment.PaidRetry;
import dev.briefcase.payment.PaymentApprovalRequiredException;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.payment.PaymentSettlement;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.MemoryReceiptLog;
import dev.briefcase.testing.Upstream;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * A mint answered 402 (SPEC §8.5, §14.5): the kernel's payment service pays, the mint is sent once
 * more with the payment headers and a fresh DPoP proof, and the answer is reported back.
 */
public class MintPaymentTest {
  static final HttpEgressClient EGRESS =
      new HttpEgressClient(Configs.defaults(HttpEgressClient.Config.class), null);
  static final CredentialNeed NEED = new CredentialNeed(CredentialNeed.CAPABILITY, "demo");
  private static final String CANARY = "CANARY-MINT-PAYMENT-SIGNATURE-3c3c";

  private Upstream upstream;
  private ProviderPeer peer;
  private final MemoryReceiptLog receipts = new MemoryReceiptLog();
  private CapabilityStrategy strategy;
  private FakePayments payments;
  private URI quote;
  private ToolInvocation call;

  @Before
  public void setUp() throws Exception {
    upstream = new Upstream();
    peer = new ProviderPeer();
    peer.paid = true;
    peer.acceptPayment = CANARY;
    upstream.script(peer);
    Fakes.Registry registry = new Fakes.Registry();
    registry.bases.put("demo", upstream.base());
    strategy =
        new CapabilityStrategy(
            registry,
            new Fakes.Keys(),
            EGRESS,
            receipts,
            new Fakes.Secrets(),
            "require_approval",
            Set.of(),
            true,
            Clock.systemUTC());
    payments = new FakePayments();
    quote = URI.create(upstream.base() + "/api/quote?symbol=ABC");
    call =
        new ToolInvocation(
            "quote",
            Map.of("symbol", "ABC"),
            ToolManifest.denyAll("quote", "builtin"),
            new CallContext("req-1", null, null, "test"));
  }

  @After
  public void tearDown() {
    upstream.close();
  }

  private RequestCredential authorizeInCall() {
    return ApprovedCall.run(call, () -> strategy.authorize(NEED, "GET", quote));
  }

  @Test
  public void a402MintIsPaidAndSentOnceMoreWithAFreshProof() {
    strategy.bindPayments(payments);
    RequestCredential c = authorizeInCall();
    assertEquals("DPoP " + peer.minted.get(0), c.headers().get("Authorization").reveal());
    assertEquals(2, upstream.seen.size());
    assertNull(upstream.seen.get(0).header("PAYMENT-SIGNATURE"));
    assertEquals(CANARY, upstream.seen.get(1).header("PAYMENT-SIGNATURE"));
    assertNotEquals(upstream.seen.get(0).header("DPoP"), upstream.seen.get(1).header("DPoP"));
    assertSame(call, payments.calls.get(0));
    assertEquals(upstream.base(), payments.origin);
    assertEquals(List.of(200), payments.settled);
    assertFalse(receipts.events().toString().contains(CANARY));
  }

  /**
   * The reference provider answers an unpaid mint 402 before it checks the proof, so the paid mint
   * is the first to meet its DPoP nonce; that refusal comes before the payment is looked at, so the
   * same payment goes once more with the nonce (not settled as a failure, not paid again).
   */
  @Test
  public void aNonceAskedOfThePaidMintIsAnsweredWithTheSamePayment() {
    strategy.bindPayments(payments);
    peer.paymentFirst = true;
    peer.mintNonce = "nonce-after-402";
    RequestCredential c = authorizeInCall();
    assertEquals("DPoP " + peer.minted.get(0), c.headers().get("Authorization").reveal());
    assertEquals(3, upstream.seen.size());
    assertEquals(CANARY, upstream.seen.get(1).header("PAYMENT-SIGNATURE"));
    assertEquals(CANARY, upstream.seen.get(2).header("PAYMENT-SIGNATURE"));
    assertTrue(Fakes.claims(upstream.seen.get(2).header("DPoP")).contains("nonce-after-402"));
    assertEquals("paid once", 1, payments.calls.size());
    assertEquals(List.of(200), payments.settled);
  }

  @Test
  public void aSecond402IsPaymentRejected() {
    strategy.bindPayments(payments);
    peer.acceptPayment = "something else";
    try {
      authorizeInCall();
      fail("expected payment_rejected");
    } catch (PaymentException e) {
      assertEquals("payment_rejected", e.code());
      assertFalse(e.getMessage().contains(CANARY));
    }
    assertEquals("one paid retry", 2, upstream.seen.size());
    assertEquals(1, payments.calls.size());
    assertEquals(List.of(402), payments.settled);
    assertFalse(strategy.cached("demo").isPresent());
  }

  /**
   * An L402 token paid for earlier is presented again at no cost; a provider whose tokens are
   * single-use answers 402 with a fresh challenge, which is paid in the same call instead of
   * failing it (the refused reuse is reported, so the rail drops the token).
   */
  @Test
  public void aRefusedReuseOfAPaidCredentialIsFollowedByOnePayment() {
    strategy.bindPayments(payments);
    payments.next.add(
        new PaidRetry("p-0", "l402", 0, Sensitive.of(Map.of("PAYMENT-SIGNATURE", "spent-token"))));
    RequestCredential c = authorizeInCall();
    assertEquals("DPoP " + peer.minted.get(0), c.headers().get("Authorization").reveal());
    assertEquals(3, upstream.seen.size());
    assertEquals("spent-token", upstream.seen.get(1).header("PAYMENT-SIGNATURE"));
    assertEquals(CANARY, upstream.seen.get(2).header("PAYMENT-SIGNATURE"));
    assertEquals(2, payments.calls.size());
    assertEquals(
        "the reuse was reported refused, then the payment held",
        List.of(402, 200),
        payments.settled);
  }

  @Test
  public void aPaymentRefusedAfterARefusedReuseIsPaymentRejected() {
    strategy.bindPayments(payments);
    peer.acceptPayment = "something else";
    payments.next.add(
        new PaidRetry("p-0", "l402", 0, Sensitive.of(Map.of("PAYMENT-SIGNATURE", "spent-token"))));
    try {
      authorizeInCall();
      fail("expected payment_rejected");
    } catch (PaymentException e) {
      assertEquals("payment_rejected", e.code());
    }
    assertEquals("one refused reuse, one paid retry", 3, upstream.seen.size());
    assertEquals(2, payments.calls.size());
    assertEquals(List.of(402, 402), payments.settled);
  }

  /** A 402 no rail answers (no offer, no rail for its scheme) is the mint's payment_required. */
  @Test
  public void a402NoRailAnswersIsTheMintsPaymentRequired() {
    strategy.bindPayments(payments);
    payments.noRailAnswers = true;
    try {
      authorizeInCall();
      fail();
    } catch (CredentialException e) {
      assertEquals(CapabilityStrategy.PAYMENT_REQUIRED, e.code());
    }
    assertEquals(1, upstream.seen.size());
    assertTrue(
        receipts.events().toString(), receipts.events().toString().contains("payment_required"));
  }

  @Test
  public void withoutAPaymentServiceOrOutsideACallIt402sAsBefore() {
    try {
      authorizeInCall();
      fail();
    } catch (CredentialException e) {
      assertEquals(CapabilityStrategy.PAYMENT_REQUIRED, e.code());
    }
    strategy.bindPayments(payments);
    try {
      strategy.authorize(NEED, "GET", quote); // no invocation on this thread: nothing to pay for
      fail();
    } catch (CredentialException e) {
      assertEquals(CapabilityStrategy.PAYMENT_REQUIRED, e.code());
    }
    strategy.unbindPayments(payments);
    assertEquals(0, payments.calls.size());
  }

  @Test
  public void aPaymentOverBudgetAsksAHumanAndMintsNothing() {
    strategy.bindPayments(payments);
    payments.overBudget = true;
    try {
      authorizeInCall();
      fail();
    } catch (PaymentApprovalRequiredException e) {
      assertEquals(1, upstream.seen.size());
    }
    assertFalse(strategy.cached("demo").isPresent());
  }

  /** The kernel's payment service as the mint sees it. */
  static final class FakePayments implements PaymentService {
    final List<ToolInvocation> calls = new ArrayList<>();
    final List<Integer> settled = new ArrayList<>();
    final java.util.ArrayDeque<PaidRetry> next = new java.util.ArrayDeque<>();
    String origin;
    boolean overBudget;
    boolean noRailAnswers;

    @Override
    public PaidRetry pay(
        ToolInvocation call,
        String providerBaseUrl,
        int status,
        Map<String, List<String>> headers,
        String body) {
      calls.add(call);
      origin = providerBaseUrl;
      if (overBudget) {
        throw new PaymentApprovalRequiredException("payment exceeds the read budget");
      }
      if (noRailAnswers) {
        throw new PaymentException(PaymentService.PAYMENT_REQUIRED, "no payment rail answers");
      }
      if (!next.isEmpty()) {
        return next.poll();
      }
      return new PaidRetry("p-1", "x402", 1000, Sensitive.of(Map.of("PAYMENT-SIGNATURE", CANARY)));
    }

    @Override
    public PaymentSettlement settled(
        PaidRetry retry, int status, Map<String, List<String>> headers) {
      settled.add(status);
      if (status == 402) {
        throw new PaymentException("payment_rejected", "refused");
      }
      return new PaymentSettlement("0xtx", null);
    }
  }
}
