package dev.briefcase.connector.http.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.fail;

import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.payment.PaidRetry;
import dev.briefcase.payment.PaymentApprovalRequiredException;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.payment.PaymentSettlement;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.testing.Upstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** An upstream 402: paid through the kernel's payment service, retried once, settled. */
public class HttpPaymentTest {
  private static final String CANARY = "CANARY-PAYMENT-SIGNATURE-7a7a";

  private Upstream upstream;
  private HttpConnector connector;
  private FakePayments payments;

  @Before
  public void start() throws Exception {
    upstream = new Upstream();
    Path dir = Files.createTempDirectory("http-connector-pay");
    String file =
        """
        { "base_url": "%s/v1",
          "tools": [ { "id": "paid_get", "method": "GET", "path": "/paid",
                       "input_schema": {"type": "object"}, "credential": null } ] }
        """
            .formatted(upstream.base());
    connector = Harness.connector(Harness.write(dir, "tools.json", file), true);
    payments = new FakePayments();
  }

  @After
  public void stop() {
    upstream.close();
  }

  private static Upstream.Answer challenge() {
    return new Upstream.Answer(
        402,
        Map.of("Content-Type", "application/json", "PAYMENT-REQUIRED", "eyJ4NDAyVmVyc2lvbiI6Mn0="),
        "{}".getBytes(StandardCharsets.UTF_8));
  }

  private ToolInvocation invocation() {
    return Harness.call(
        "paid_get", Map.of(), Harness.manifest("paid_get", 1 << 20, "/v1"), false, null);
  }

  @Test
  public void a402IsPaidRetriedOnceWithTheProofAndSettled() {
    connector.bindPayments(payments);
    upstream.script((r, i) -> i == 0 ? challenge() : Upstream.Answer.json(200, "{\"q\":1}"));
    ToolInvocation call = invocation();
    try (Harness.LogCapture log = new Harness.LogCapture()) {
      ToolResult r = connector.execute(call);
      assertEquals(200, ((Map<?, ?>) r.content()).get("status"));
      assertFalse(String.valueOf(r.content()).contains(CANARY));
      assertFalse(log.text().contains(CANARY));
    }
    assertEquals(2, upstream.seen.size());
    assertNull(upstream.seen.get(0).header("PAYMENT-SIGNATURE"));
    assertEquals(CANARY, upstream.seen.get(1).header("PAYMENT-SIGNATURE"));
    assertSame("the kernel gets the very invocation it handed out", call, payments.calls.get(0));
    assertEquals("http://127.0.0.1:" + upstream.base().replaceAll(".*:", ""), payments.origin);
    assertEquals(
        List.of("eyJ4NDAyVmVyc2lvbiI6Mn0="), payments.challengeHeaders.get("payment-required"));
    assertEquals(List.of(200), payments.settledStatuses);
  }

  @Test
  public void aSecond402IsPaymentRejectedAfterOnePaidRetry() {
    connector.bindPayments(payments);
    upstream.script((r, i) -> challenge());
    try {
      connector.execute(invocation());
      fail("expected payment_rejected");
    } catch (PaymentException e) {
      assertEquals("payment_rejected", e.code());
      assertFalse(e.getMessage().contains(CANARY));
    }
    assertEquals(2, upstream.seen.size());
    assertEquals(1, payments.calls.size());
  }

  @Test
  public void withoutAPaymentServiceA402IsTheAnswer() {
    upstream.script((r, i) -> challenge());
    ToolResult r = connector.execute(invocation());
    assertEquals(402, ((Map<?, ?>) r.content()).get("status"));
    assertEquals(1, upstream.seen.size());
    connector.bindPayments(payments);
    connector.unbindPayments(payments);
    connector.execute(invocation());
    assertEquals(2, upstream.seen.size());
    assertEquals(0, payments.calls.size());
  }

  @Test
  public void aPaymentOverTheBudgetAsksAHumanAndSendsNothingMore() {
    connector.bindPayments(payments);
    payments.overBudget = true;
    upstream.script((r, i) -> challenge());
    try {
      connector.execute(invocation());
      fail("expected an approval");
    } catch (PaymentApprovalRequiredException e) {
      assertEquals(1, upstream.seen.size());
    }
  }

  /** The kernel's payment service as a connector sees it: pays by returning canary headers. */
  static final class FakePayments implements PaymentService {
    final List<ToolInvocation> calls = new ArrayList<>();
    final List<Integer> settledStatuses = new ArrayList<>();
    Map<String, List<String>> challengeHeaders;
    String origin;
    boolean overBudget;

    @Override
    public PaidRetry pay(
        ToolInvocation call,
        String providerBaseUrl,
        int status,
        Map<String, List<String>> headers,
        String body) {
      calls.add(call);
      origin = providerBaseUrl;
      challengeHeaders = headers;
      if (overBudget) {
        throw new PaymentApprovalRequiredException("payment of 0.01 USD exceeds the read budget");
      }
      return new PaidRetry(
          "p-1", "x402", 10_000, Sensitive.of(Map.of("PAYMENT-SIGNATURE", CANARY)));
    }

    @Override
    public PaymentSettlement settled(
        PaidRetry retry, int status, Map<String, List<String>> headers) {
      settledStatuses.add(status);
      if (status == 402 || status == 401) {
        throw new PaymentException("payment_rejected", "the provider refused the payment");
      }
      return new PaymentSettlement("0xtx", null);
    }
  }
}
