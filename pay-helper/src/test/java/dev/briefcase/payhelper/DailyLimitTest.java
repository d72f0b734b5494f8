package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The helper's own per-UTC-day caps: counted durably, once per key, across processes. */
public class DailyLimitTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final char[] pass = "correct horse battery staple".toCharArray();
  private Helpers helper;

  @Before
  public void setUp() throws Exception {
    helper = new Helpers(tmp.getRoot().toPath(), null).withKeys();
  }

  /** Sets the daily caps in the helper's config file (null leaves a cap out). */
  private void caps(String atomicPerDay, Long msatPerDay) throws Exception {
    ObjectNode cfg = (ObjectNode) Helpers.JSON.readTree(helper.config.toFile());
    ObjectNode limits = (ObjectNode) cfg.get("limits");
    if (atomicPerDay != null) {
      ((ObjectNode) limits.get("assets").get(0)).put("max_atomic_per_day", atomicPerDay);
    }
    if (msatPerDay != null) {
      limits.put("max_msat_per_day", msatPerDay);
    }
    Files.write(helper.config, Helpers.JSON.writeValueAsBytes(cfg));
  }

  private static ObjectNode pay(String amount, String key) throws Exception {
    return Helpers.x402Request(Helpers.offer(Helpers.NETWORK, Helpers.ASSET, amount), amount, key);
  }

  private static void assertError(Helpers.Result r, String code) throws Exception {
    assertNotEquals(0, r.exit());
    assertEquals(r.stdout(), code, r.json().path("error").asText());
  }

  private Path journal(String name) {
    return helper.dir.resolve("journal").resolve(name);
  }

  @Test
  public void theDailyCapHoldsAcrossRequestsEachUnderThePerPaymentLimit() throws Exception {
    caps("250", null);
    assertEquals(0, helper.serve(pay("100", "a1")).exit());
    assertEquals(0, helper.serve(pay("100", "a2")).exit());
    Helpers.Result third = helper.serve(pay("100", "a3"));
    assertError(third, "payment_limit_exceeded");
    assertFalse(third.stdout().contains("payment_signature"));
    assertFalse(Files.exists(journal("a3.json")));
    // what is left of the day is still signed
    assertEquals(0, helper.serve(pay("50", "a4")).exit());
    assertError(helper.serve(pay("1", "a5")), "payment_limit_exceeded");
  }

  @Test
  public void aJournaledResendIsNotCountedTwice() throws Exception {
    caps("200", null);
    Helpers.Result first = helper.serve(pay("100", "r1"));
    Helpers.Result resend = helper.serve(pay("100", "r1"));
    assertEquals(0, resend.exit());
    assertEquals(first.stdout(), resend.stdout());
    assertEquals(0, helper.serve(pay("100", "r2")).exit());
    assertError(helper.serve(pay("100", "r3")), "payment_limit_exceeded");
  }

  @Test
  public void aConflictingRequestUnderAUsedKeyCountsNothing() throws Exception {
    caps("200", null);
    assertEquals(0, helper.serve(pay("100", "c1")).exit());
    assertError(helper.serve(pay("99", "c1")), "payment_idempotency_conflict");
    assertEquals(0, helper.serve(pay("100", "c2")).exit());
  }

  @Test
  public void withoutADailyCapTheTotalIsStillRecorded() throws Exception {
    assertEquals(0, helper.serve(pay("100", "n1")).exit());
    assertEquals(0, helper.serve(pay("100", "n2")).exit());
    DailyLedger ledger = new DailyLedger(helper.dir.resolve("journal"));
    assertEquals(
        BigInteger.valueOf(200),
        ledger.spent(
            DailyLedger.day(Instant.now()),
            DailyLedger.x402Bucket(Helpers.NETWORK, Helpers.ASSET)));
  }

  @Test
  public void racingThreadsCannotExceedTheCap() throws Exception {
    caps("300", null);
    int n = 6;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Helpers.Result>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String key = "t" + i;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return helper.serve(pay("100", key));
                }));
      }
      start.countDown();
      int ok = 0;
      for (Future<Helpers.Result> f : results) {
        Helpers.Result r = f.get(120, TimeUnit.SECONDS);
        if (r.exit() == 0) {
          ok++;
        } else {
          assertError(r, "payment_limit_exceeded");
        }
      }
      assertEquals(3, ok);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void racingHelperProcessesCannotExceedTheCap() throws Exception {
    caps("200", null);
    int n = 4;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> procs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ProcessBuilder pb =
          new ProcessBuilder(
              java,
              "-cp",
              System.getProperty("java.class.path"),
              PayHelper.class.getName(),
              "--config",
              helper.config.toString());
      pb.environment().put(PayHelper.PASSPHRASE_ENV, helper.passphrase.toString());
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      Process p = pb.start();
      p.getOutputStream().write(Helpers.JSON.writeValueAsBytes(pay("100", "p" + i)));
      p.getOutputStream().close();
      procs.add(p);
    }
    int ok = 0;
    for (Process p : procs) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue("helper process did not finish", p.waitFor(120, TimeUnit.SECONDS));
      JsonNode json = Helpers.JSON.readTree(out);
      if (p.exitValue() == 0) {
        assertTrue(json.path("payment_signature_b64").isTextual());
        ok++;
      } else {
        assertEquals(out, "payment_limit_exceeded", json.path("error").asText());
      }
    }
    assertEquals(2, ok);
  }

  /** A clock the test moves. */
  private static final class MovableClock extends Clock {
    Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private Server server(MovableClock clock, LightningNode node, InvoiceDecoder decoder)
      throws Exception {
    HelperConfig cfg = HelperConfig.read(helper.config);
    return new Server(cfg, () -> KeyStoreFile.open(cfg.keyStore(), pass), node, decoder, clock);
  }

  private static String code(ThrowingRunnable r) throws Exception {
    try {
      r.run();
    } catch (HelperException e) {
      return e.code();
    }
    return "no error";
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  public void aNewUtcDayStartsFromZero() throws Exception {
    caps("200", null);
    MovableClock clock = new MovableClock(Instant.parse("2026-12-08T23:59:00Z"));
    Server s = server(clock, null, null);
    s.serve(pay("150", "d1"));
    assertEquals(HelperException.LIMIT_EXCEEDED, code(() -> s.serve(pay("100", "d2"))));
    clock.now = Instant.parse("2026-12-09T00:00:30Z");
    s.serve(pay("100", "d2"));
    s.serve(pay("100", "d3"));
    assertEquals(HelperException.LIMIT_EXCEEDED, code(() -> s.serve(pay("1", "d4"))));
  }

  // ---- L402, against a scripted node: the ledger logic on its own ----

  private final Map<String, InvoiceDecoder.Invoice> invoices = new HashMap<>();
  private final Map<String, String> preimages = new HashMap<>();

  private String invoice(long msat, MovableClock clock) throws Exception {
    byte[] preimage = Sealed.random(32);
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(preimage));
    String bolt11 = "lnbcrt" + hash;
    invoices.put(
        bolt11, new InvoiceDecoder.Invoice("bcrt", msat, hash, clock.now.getEpochSecond(), 86_400));
    preimages.put(hash, HexFormat.of().formatHex(preimage));
    return bolt11;
  }

  private static ObjectNode l402(String bolt11, String key) {
    ObjectNode r = Helpers.JSON.createObjectNode();
    r.put("rail", "l402");
    r.put("provider_base_url", "http://127.0.0.1:9099");
    r.put("invoice", bolt11);
    r.put("macaroon", "AGIAJEemVQUTEyNCR0exk7ek90Cg==");
    r.put("amount_microusd", 10);
    r.put("max_amount_msat", "100000");
    r.put("idempotency_key", key);
    return r;
  }

  /** Pays what it is told; refuses (definitely), or loses track of, the hashes in the sets. */
  private final class ScriptedNode implements LightningNode {
    final java.util.Set<String> refuse = new java.util.HashSet<>();
    final java.util.Set<String> lost = new java.util.HashSet<>();
    final java.util.Set<String> failed = new java.util.HashSet<>();
    int paid;

    @Override
    public Payment pay(String bolt11, String paymentHash) throws NodeException {
      if (refuse.contains(paymentHash)) {
        throw new NodeException("no route", true);
      }
      if (lost.contains(paymentHash)) {
        throw new NodeException("connection reset", false);
      }
      paid++;
      return new Payment(Status.SUCCEEDED, paymentHash, preimages.get(paymentHash));
    }

    @Override
    public Optional<Payment> lookup(String paymentHash) {
      if (failed.contains(paymentHash)) {
        return Optional.of(new Payment(Status.FAILED, paymentHash, null));
      }
      return Optional.empty();
    }
  }

  private InvoiceDecoder decoder() {
    return bolt11 -> {
      InvoiceDecoder.Invoice i = invoices.get(bolt11);
      if (i == null) {
        throw new HelperException(HelperException.INVOICE_INVALID, "unknown invoice");
      }
      return i;
    };
  }

  @Test
  public void theL402DailyCapHoldsAndAReplayIsNotCounted() throws Exception {
    caps(null, 25_000L);
    MovableClock clock = new MovableClock(Instant.parse("2026-12-08T12:00:00Z"));
    ScriptedNode node = new ScriptedNode();
    Server s = server(clock, node, decoder());
    ObjectNode first = l402(invoice(10_000, clock), "l1");
    s.serve(first);
    s.serve(first);
    s.serve(l402(invoice(10_000, clock), "l2"));
    String third = invoice(10_000, clock);
    assertEquals(HelperException.LIMIT_EXCEEDED, code(() -> s.serve(l402(third, "l3"))));
    assertEquals(2, node.paid);
    assertFalse(Files.exists(journal("l3.json")));
    s.serve(l402(invoice(5_000, clock), "l4"));
  }

  @Test
  public void anL402PaymentTheNodeCertainlyDidNotMakeIsSubtractedAgain() throws Exception {
    caps(null, 20_000L);
    MovableClock clock = new MovableClock(Instant.parse("2026-12-08T12:00:00Z"));
    ScriptedNode node = new ScriptedNode();
    Server s = server(clock, node, decoder());
    // refused outright: the key is freed at once
    String refused = invoice(10_000, clock);
    node.refuse.add(invoices.get(refused).paymentHash());
    assertEquals(HelperException.NODE_FAILED, code(() -> s.serve(l402(refused, "f1"))));
    // lost in flight: counted until the node reports the payment failed, on a later day
    String lost = invoice(10_000, clock);
    String lostHash = invoices.get(lost).paymentHash();
    node.lost.add(lostHash);
    assertEquals(HelperException.NODE_FAILED, code(() -> s.serve(l402(lost, "f2"))));
    DailyLedger ledger = new DailyLedger(helper.dir.resolve("journal"));
    assertEquals(
        BigInteger.valueOf(10_000),
        ledger.spent(DailyLedger.day(clock.now), DailyLedger.L402_BUCKET));
    clock.now = Instant.parse("2026-12-09T00:10:00Z");
    node.failed.add(lostHash);
    assertEquals(HelperException.NODE_FAILED, code(() -> s.serve(l402(lost, "f2"))));
    assertFalse(Files.exists(journal("f2.json")));
    assertEquals(
        BigInteger.ZERO,
        ledger.spent(
            DailyLedger.day(Instant.parse("2026-12-08T12:00:00Z")), DailyLedger.L402_BUCKET));
    assertEquals(0, node.paid);
  }

  @Test
  public void malformedDailyCapsAreRefusedInTheConfig() throws Exception {
    ObjectNode cfg = (ObjectNode) Helpers.JSON.readTree(helper.config.toFile());
    ((ObjectNode) cfg.get("limits").get("assets").get(0)).put("max_atomic_per_day", "-1");
    Files.write(helper.config, Helpers.JSON.writeValueAsBytes(cfg));
    assertError(helper.serve(pay("1", "m1")), "payment_request_invalid");
    ((ObjectNode) cfg.get("limits").get("assets").get(0)).remove("max_atomic_per_day");
    ((ObjectNode) cfg.get("limits")).put("max_msat_per_day", "lots");
    Files.write(helper.config, Helpers.JSON.writeValueAsBytes(cfg));
    assertError(helper.serve(pay("1", "m1")), "payment_request_invalid");
  }

  @Test
  public void aDamagedLedgerRefusesInsteadOfStartingFromZero() throws Exception {
    caps("200", null);
    assertEquals(0, helper.serve(pay("150", "g1")).exit());
    Path day = journal("spent-" + DailyLedger.day(Instant.now()) + ".ledger");
    Files.writeString(day, "{}");
    Helpers.Result r = helper.serve(pay("100", "g2"));
    assertNotEquals(0, r.exit());
    assertFalse(r.stdout().contains("payment_signature"));
    assertFalse(Files.exists(journal("g2.json")));
  }
}
