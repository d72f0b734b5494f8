package dev.briefcase.itests.payments;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * SPEC §14 end to end on one chain, one provider process and one agent process ({@link
 * PaymentWorld}): an unauthenticated quote pays its mint through the helper; a budget below the
 * price asks for approval first; a provider failing after settlement and an agent killed while its
 * payment is in flight move money at most once; the x402 rail updated under paid load loses no call
 * and pays no call twice; a paid mint whose answer outlasts the agent's egress timeout is served on
 * the repeated call by the same authorisation. Every assertion about money is on chain. The methods
 * run in name order on the shared processes; each compares the chain before and after itself.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class PaidQuoteIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static PaymentWorld w;

  @BeforeClass
  public static void startWorld() throws Exception {
    w = PaymentWorld.start();
  }

  @AfterClass
  public static void stopWorld() throws Exception {
    if (w != null) {
      w.close();
    }
  }

  @Test
  public void a_anUnauthenticatedQuotePaysItsMintOnceAndReceiptsItWithoutTheSignature()
      throws Exception {
    int before = w.transfers();
    java.math.BigInteger paidBefore = w.chain.balanceOf(w.chain.payTo().address());

    // the agent's own MCP call, no credential of any kind for the provider
    JsonNode r = AgentMcp.connect(w.agent.dataDir).quote("ACME");
    w.printed.add(r.toString());

    assertFalse(r.toString(), r.path("isError").asBoolean(true));
    assertEquals(r.toString(), "ACME", r.at("/structuredContent/symbol").asText());
    assertEquals("exactly one transfer", before + 1, w.transfers());
    assertEquals(paidBefore.add(w.chain.amount()), w.chain.balanceOf(w.chain.payTo().address()));
    assertEquals(1, w.proxy.paidAccepted.get());

    List<JsonNode> payments = w.receipts("payment");
    JsonNode settled =
        payments.stream()
            .filter(p -> "settled".equals(p.path("result").asText()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no settled payment receipt: " + payments));
    assertEquals("x402", settled.path("rail").asText());
    assertEquals(w.chain.amount().longValue(), settled.path("amount_microusd").asLong());
    assertEquals(w.chain.network(), settled.path("network").asText());
    assertTrue(settled.toString(), settled.path("reference").asText().length() > 0);

    Distribution.CliResult list = w.agent.cli("payments", "list", "--json");
    w.printed.add(list.stdout() + list.stderr());
    assertEquals(list.stderr(), 0, list.exit());
    assertTrue(list.stdout(), list.stdout().contains(settled.path("payment_id").asText()));

    assertNoSignatureAnywhere();
  }

  @Test
  public void b_aBudgetBelowThePriceAsksForApprovalAndPaysOnlyOnceApproved() throws Exception {
    int before = w.transfers();
    setReadBudget(0);
    try {
      JsonNode pending = w.quote("BUDGET", null);
      assertEquals(pending.toString(), "approval_required", pending.path("status").asText());
      assertEquals("budget_exceeded", pending.at("/approval/reason").asText());
      assertEquals("nothing paid before the approval", before, w.transfers());

      String id = pending.at("/approval/id").asText();
      Distribution.Answer approved = w.agent.post("/v1/approvals/" + id + "/approve", "");
      assertEquals(approved.body(), 200, approved.status());
      JsonNode r = w.quote("BUDGET", approved.json().path("approval_token").asText());

      assertEquals(r.toString(), "ok", r.path("status").asText());
      assertEquals("exactly one transfer once approved", before + 1, w.transfers());
    } finally {
      setReadBudget(3_000_000);
    }
  }

  @Test
  public void c1_aProviderFailingAfterSettlementServesTheRetryWithoutASecondPayment()
      throws Exception {
    int before = w.transfers();
    int authorizations = w.authorizations();
    int forwarded = w.proxy.paidForwarded.get();
    int settledBefore = settledPayments();
    w.proxy.failAfterSettle.set(1);

    JsonNode failed = w.quote("FAULT", null);
    System.out.println("[payments-itest] the call whose paid mint got a 500: " + failed);
    assertEquals(forwarded + 1, w.proxy.paidForwarded.get());
    assertEquals("the provider settled the first payment", before + 1, w.transfers());

    JsonNode retried = w.quote("FAULT", null);
    System.out.println("[payments-itest] its retry: " + retried);

    // the same authorisation again, from the same mint key: the provider re-issues the paid
    // capability instead of refusing a replay
    assertEquals(retried.toString(), "ok", retried.path("status").asText());
    assertEquals("the retry moved no more money", before + 1, w.transfers());
    assertEquals("one authorisation used", authorizations + 1, w.authorizations());
    assertEquals("the agent's book settles the one payment", settledBefore + 1, settledPayments());
    assertTrue(
        "the first call's payment is receipted unresolved, not rejected",
        w.receipts("payment").stream()
            .anyMatch(p -> "unresolved".equals(p.path("result").asText())));
    assertNoSignatureAnywhere();
  }

  @Test
  public void c2_anAgentKilledWhileItsPaymentIsInFlightIsServedOnceRestartedAndPaysOnce()
      throws Exception {
    int before = w.transfers();
    int authorizations = w.authorizations();
    int settledBefore = settledPayments();
    w.proxy.holdNextPaidMint();
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      caller.submit(
          () -> {
            try {
              return w.quote("CRASH", null);
            } catch (Exception e) {
              return null; // the agent dies under this call
            }
          });
      assertTrue(
          "the signed payment reached the provider side",
          w.proxy.awaitHeld(Duration.ofSeconds(60)));
      w.agent.kill9();
      w.proxy.release();
      Poll.await(
          () -> w.transfers() > before ? Boolean.TRUE : null,
          "the released payment settles",
          Duration.ofSeconds(30));

      w.startAgent();
      JsonNode again = w.quote("CRASH", null);
      System.out.println("[payments-itest] the call repeated after the restart: " + again);

      assertEquals(again.toString(), "ok", again.path("status").asText());
      assertEquals("at most one transfer in total", before + 1, w.transfers());
      assertEquals("one authorisation used", authorizations + 1, w.authorizations());
      assertEquals(
          "the agent's book settles the one payment", settledBefore + 1, settledPayments());
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  public void d_theRailUpdatedUnderPaidLoadFailsNoCallAndPaysNoCallTwice() throws Exception {
    int before = w.transfers();
    int authorizations = w.authorizations();
    int paymentsBefore = settledPayments();
    long bundle = w.railBundle;
    Path jar = PaymentWorld.railJar();

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService load = Executors.newFixedThreadPool(2);
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    String[] letters = {"A", "B"};
    for (String letter : letters) {
      loops.add(
          CompletableFuture.runAsync(
              () -> {
                int i = 0;
                while (running.get()) {
                  String symbol = "SWAP" + letter + (char) ('A' + i++ % 26);
                  try {
                    JsonNode r = w.quote(symbol, null);
                    if ("ok".equals(r.path("status").asText())) {
                      ok.incrementAndGet();
                    } else {
                      failures.add(symbol + " " + r);
                    }
                  } catch (Exception e) {
                    failures.add(symbol + " " + e);
                  }
                }
              },
              load));
    }
    try {
      Poll.await(
          () -> ok.get() >= 2 ? Boolean.TRUE : null, "paid calls flow", Duration.ofSeconds(60));
      for (int v = 1; v <= 2; v++) {
        Path updated = withVersion(jar, w.work.resolve("rail-x402-v" + v + ".jar"), "0.1." + v);
        Distribution.Answer a =
            w.agent.postBytes(
                "/v1/plugins/" + bundle + "/update",
                Files.readAllBytes(updated),
                "application/java-archive");
        assertEquals(a.body(), 200, a.status());
        int mark = ok.get();
        Poll.await(
            () -> ok.get() >= mark + 2 ? Boolean.TRUE : null,
            "paid calls after update " + v,
            Duration.ofSeconds(60));
      }
    } finally {
      running.set(false);
      CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
      load.shutdownNow();
    }
    int recorded = settledPayments() - paymentsBefore;
    int moved = w.transfers() - before;
    System.out.printf(
        "[payments-itest] rail swap under load: %d calls ok, %d failed, %d payments recorded,"
            + " %d transfers%n",
        ok.get(), failures.size(), recorded, moved);
    assertEquals(failures.toString(), 0, failures.size());
    assertEquals("transfers = recorded payments", recorded, moved);
    assertEquals("one payment per call", ok.get(), moved);
    assertEquals("one authorisation per transfer", moved, w.authorizations() - authorizations);
    assertNoSignatureAnywhere();
  }

  @Test
  public void e_aPaidMintWhoseAnswerOutlastsTheEgressTimeoutIsServedOnRepeatWithoutASecondPayment()
      throws Exception {
    // the agent runs with a lowered egress ceiling (PaymentWorld), so the held answer below
    // outlasts it in seconds instead of the connector's 10 s default
    assertTrue(
        "the agent's egress runs with the lowered ceiling",
        Files.readString(w.agent.logFile)
            .contains("overall timeout ceiling " + PaymentWorld.EGRESS_TIMEOUT_MS + " ms"));
    int before = w.transfers();
    int authorizations = w.authorizations();
    int forwarded = w.proxy.paidForwarded.get();
    int settledBefore = settledPayments();
    w.proxy.holdNextPaidAnswer();
    try {
      JsonNode timedOut = w.quote("SLOW", null);
      System.out.println("[payments-itest] the call whose paid answer was held: " + timedOut);

      assertFalse(timedOut.toString(), "ok".equals(timedOut.path("status").asText()));
      assertTrue(timedOut.toString(), timedOut.toString().contains("egress_timeout"));
      assertTrue("the paid mint's answer was held", w.proxy.awaitHeld(Duration.ZERO));
      assertEquals(forwarded + 1, w.proxy.paidForwarded.get());
      assertEquals("the provider settled the payment", before + 1, w.transfers());
    } finally {
      // the held answer goes to a caller that has given up
      w.proxy.release();
    }

    JsonNode repeated = w.quote("SLOW", null);
    System.out.println("[payments-itest] the call repeated after the timeout: " + repeated);

    assertEquals(repeated.toString(), "ok", repeated.path("status").asText());
    assertEquals("one transfer for the whole scenario", before + 1, w.transfers());
    assertEquals("one authorisation used", authorizations + 1, w.authorizations());
    assertEquals("the agent's book settles the one payment", settledBefore + 1, settledPayments());
    Distribution.CliResult list = w.agent.cli("payments", "list", "--json", "--limit", "500");
    w.printed.add(list.stdout() + list.stderr());
    assertEquals(list.stderr(), 0, list.exit());
    assertEquals(
        "payments list shows the one payment settled",
        settledBefore + 1,
        settledIn(JSON.readTree(list.stdout())));
    assertNoSignatureAnywhere();
  }

  private static void setReadBudget(long microUsd) throws Exception {
    Distribution.Answer a =
        w.agent.post("/v1/budgets/read", "{\"daily_limit_microusd\":" + microUsd + "}");
    assertEquals(a.body(), 200, a.status());
  }

  /** Payments the agent recorded as settled (the admin API behind {@code payments list}). */
  private static int settledPayments() throws Exception {
    Distribution.Answer a = w.agent.get("/v1/payments?limit=500");
    assertEquals(a.body(), 200, a.status());
    int n = 0;
    for (JsonNode p : a.json().path("payments")) {
      if ("settled".equals(p.path("state").asText())) {
        n++;
      }
    }
    return n;
  }

  /** Settled payments in {@code payments list --json} output (an array, or {@code {payments}}). */
  private static int settledIn(JsonNode list) {
    JsonNode rows = list.isArray() ? list : list.path("payments");
    int n = 0;
    for (JsonNode p : rows) {
      if ("settled".equals(p.path("state").asText())) {
        n++;
      }
    }
    return n;
  }

  /** The same bundle with another Bundle-Version: an updated build as far as OSGi can tell. */
  private static Path withVersion(Path jar, Path out, String version) throws Exception {
    try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
      Manifest m = new Manifest(in.getManifest());
      m.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
      try (JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), m)) {
        JarEntry e;
        while ((e = in.getNextJarEntry()) != null) {
          o.putNextEntry(new JarEntry(e.getName()));
          in.transferTo(o);
          o.closeEntry();
        }
      }
    }
    return out;
  }

  /**
   * The canary: no PAYMENT-SIGNATURE value the proxy saw, nor the EIP-3009 signature inside it, in
   * the agent's receipts, either process's log, the agent's data directory, the helper's files, or
   * anything the operator and the helper's set-up printed.
   */
  private static void assertNoSignatureAnywhere() throws Exception {
    List<String> canaries = new ArrayList<>();
    for (String header : w.proxy.signatures) {
      canaries.add(header);
      JsonNode payload = JSON.readTree(Base64.getDecoder().decode(header));
      canaries.add(payload.at("/payload/signature").asText());
    }
    assertFalse("no signature went through the proxy", canaries.isEmpty());
    List<String> places = new ArrayList<>(w.printed);
    places.add("receipts " + w.agent.get("/v1/receipts/export?after_id=0").body());
    places.add("agent log " + Files.readString(w.agent.logFile));
    places.add("provider log " + Files.readString(w.provider.logFile));
    for (Path root : List.of(w.agent.dataDir, w.work.resolve("pay"))) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f :
            files
                .filter(Files::isRegularFile)
                .filter(p -> !p.startsWith(w.agent.dataDir.resolve("felix-cache")))
                .toList()) {
          places.add(f + " " + Files.readString(f, StandardCharsets.ISO_8859_1));
        }
      }
    }
    for (String place : places) {
      for (String c : canaries) {
        assertFalse(
            "a payment signature in " + place.substring(0, Math.min(80, place.length())),
            place.contains(c));
      }
    }
  }
}
