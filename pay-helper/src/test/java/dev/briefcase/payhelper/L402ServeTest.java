package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.testing.LightningNodes;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * L402 requests served exactly once against the Lightning test nodes. The invoices are real signed
 * BOLT11 from the nodes; their decoded fields come from a table filled when each is minted, so the
 * journal and limit logic is tested on its own.
 */
public class L402ServeTest {
  @ClassRule public static TemporaryFolder shared = new TemporaryFolder();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static LightningNodes nodes;
  private final Map<String, InvoiceDecoder.Invoice> table = new HashMap<>();
  private final char[] pass = "correct horse battery staple".toCharArray();
  private HelperConfig config;

  @BeforeClass
  public static void start() throws Exception {
    nodes = LightningNodes.start(shared.newFolder("ln").toPath());
  }

  @AfterClass
  public static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  @Before
  public void setUp() throws Exception {
    Helpers h = new Helpers(tmp.getRoot().toPath(), null).withKeys();
    config = HelperConfig.read(h.config);
  }

  private Server server(LightningNode node) {
    InvoiceDecoder decoder =
        bolt11 -> {
          InvoiceDecoder.Invoice i = table.get(bolt11);
          if (i == null) {
            throw new HelperException(HelperException.INVOICE_INVALID, "unknown invoice");
          }
          return i;
        };
    return new Server(
        config, () -> KeyStoreFile.open(config.keyStore(), pass), node, decoder, Clock.systemUTC());
  }

  private LightningNode lnd() throws Exception {
    return new LndRestNode(
        nodes.lndUrl(), nodes.lndCert(), nodes.lndMacaroon(), Duration.ofSeconds(20));
  }

  private LightningNodes.Invoice invoice(long msat, String network, long expiry) throws Exception {
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.CLN, msat, expiry, network);
    table.put(
        inv.paymentRequest(),
        new InvoiceDecoder.Invoice(
            network, msat, inv.paymentHash(), Instant.now().getEpochSecond(), expiry));
    return inv;
  }

  private static ObjectNode request(String bolt11, String max, String key) {
    ObjectNode r = Helpers.JSON.createObjectNode();
    r.put("rail", "l402").put("provider_base_url", "http://127.0.0.1:9099");
    r.put("invoice", bolt11).put("macaroon", "AgEEbHNhdA");
    r.put("amount_microusd", 10).put("max_amount_msat", max).put("idempotency_key", key);
    return r;
  }

  @Test
  public void paysOnceAndAnswersARetryFromTheJournal() throws Exception {
    LightningNodes.Invoice inv = invoice(10_000, "bcrt", 3600);
    int before = nodes.payments(LightningNodes.LND);
    Server s = server(lnd());
    ObjectNode first = s.serve(request(inv.paymentRequest(), "10000", "l1"));
    assertEquals(inv.paymentHash(), first.get("payment_hash").asText());
    assertTrue(L402Payer.matches(first.get("preimage").asText(), inv.paymentHash()));
    ObjectNode second = s.serve(request(inv.paymentRequest(), "10000", "l1"));
    assertEquals(first, second);
    assertEquals(before + 1, nodes.payments(LightningNodes.LND));
    String journal = Files.readString(config.journalDir().resolve("l1.json"));
    assertFalse(journal.contains(first.get("preimage").asText()));
  }

  @Test
  public void aCrashMidPaymentIsResolvedByAskingTheNodeNotByPayingAgain() throws Exception {
    LightningNodes.Invoice inv = invoice(7_000, "bcrt", 3600);
    ObjectNode request = request(inv.paymentRequest(), "7000", "crashed");
    // the helper journaled "paying" and died; the node completed the payment meanwhile
    new Journal(config.journalDir(), KeyStoreFile.open(config.keyStore(), pass).dataKey())
        .write(
            "crashed",
            "l402",
            Server.digest(request),
            "paying",
            inv.paymentHash(),
            Instant.now(),
            null);
    assertTrue(nodes.pay(LightningNodes.LND, inv.paymentRequest()));
    int before = nodes.payments(LightningNodes.LND);
    ObjectNode answer = server(lnd()).serve(request);
    assertTrue(L402Payer.matches(answer.get("preimage").asText(), inv.paymentHash()));
    assertEquals(before, nodes.payments(LightningNodes.LND));
  }

  @Test
  public void aPayingKeyTheNodeNeverSawIsNotPaid() throws Exception {
    LightningNodes.Invoice inv = invoice(7_000, "bcrt", 3600);
    ObjectNode request = request(inv.paymentRequest(), "7000", "unresolved");
    new Journal(config.journalDir(), KeyStoreFile.open(config.keyStore(), pass).dataKey())
        .write(
            "unresolved",
            "l402",
            Server.digest(request),
            "paying",
            inv.paymentHash(),
            Instant.now(),
            null);
    int before = nodes.payments(LightningNodes.LND);
    HelperException e = assertThrows(HelperException.class, () -> server(lnd()).serve(request));
    assertEquals("payment_node_failed", e.code());
    assertEquals(before, nodes.payments(LightningNodes.LND));
  }

  @Test
  public void clnPaysThroughTheServerToo() throws Exception {
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.LND, 3_000, 3600, "bcrt");
    table.put(
        inv.paymentRequest(),
        new InvoiceDecoder.Invoice(
            "bcrt", 3_000L, inv.paymentHash(), Instant.now().getEpochSecond(), 3600));
    int before = nodes.payments(LightningNodes.CLN);
    Server s = server(new ClnRpcNode(nodes.clnSocket(), Duration.ofSeconds(5)));
    ObjectNode a = s.serve(request(inv.paymentRequest(), "3000", "c1"));
    ObjectNode b = s.serve(request(inv.paymentRequest(), "3000", "c1"));
    assertEquals(a, b);
    assertEquals(before + 1, nodes.payments(LightningNodes.CLN));
  }

  @Test
  public void theSameKeyForAnotherInvoiceIsAConflict() throws Exception {
    LightningNodes.Invoice one = invoice(1_000, "bcrt", 3600);
    LightningNodes.Invoice two = invoice(1_000, "bcrt", 3600);
    Server s = server(lnd());
    s.serve(request(one.paymentRequest(), "1000", "same"));
    int before = nodes.payments(LightningNodes.LND);
    assertEquals(
        "payment_idempotency_conflict",
        assertThrows(
                HelperException.class, () -> s.serve(request(two.paymentRequest(), "1000", "same")))
            .code());
    assertEquals(before, nodes.payments(LightningNodes.LND));
  }

  @Test
  public void limitsNetworkAndExpiryAreCheckedBeforePaying() throws Exception {
    Server s = server(lnd());
    int before = nodes.payments(LightningNodes.LND);
    LightningNodes.Invoice big = invoice(200_000, "bcrt", 3600);
    assertEquals(
        "payment_limit_exceeded",
        assertThrows(
                HelperException.class, () -> s.serve(request(big.paymentRequest(), "999999", "a")))
            .code());
    LightningNodes.Invoice aboveMax = invoice(5_000, "bcrt", 3600);
    assertEquals(
        "payment_limit_exceeded",
        assertThrows(
                HelperException.class,
                () -> s.serve(request(aboveMax.paymentRequest(), "4999", "b")))
            .code());
    LightningNodes.Invoice mainnet = invoice(1_000, "bc", 3600);
    assertEquals(
        "payment_invoice_network",
        assertThrows(
                HelperException.class,
                () -> s.serve(request(mainnet.paymentRequest(), "1000", "c")))
            .code());
    LightningNodes.Invoice expired = invoice(1_000, "bcrt", 0);
    assertEquals(
        "payment_invoice_expired",
        assertThrows(
                HelperException.class,
                () -> s.serve(request(expired.paymentRequest(), "1000", "d")))
            .code());
    assertEquals(before, nodes.payments(LightningNodes.LND));
    assertFalse(Files.exists(config.journalDir().resolve("a.json")));
  }

  @Test
  public void anUnreachableNodePaysNothingAndLeavesTheKeyFreeForARetry() throws Exception {
    LightningNodes.Invoice inv = invoice(2_000, "bcrt", 3600);
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    LightningNode down =
        new LndRestNode(
            "https://127.0.0.1:" + port,
            nodes.lndCert(),
            nodes.lndMacaroon(),
            Duration.ofSeconds(5));
    assertEquals(
        "payment_node_failed",
        assertThrows(
                HelperException.class,
                () -> server(down).serve(request(inv.paymentRequest(), "2000", "retry")))
            .code());
    assertFalse(Files.exists(config.journalDir().resolve("retry.json")));
    int before = nodes.payments(LightningNodes.LND);
    ObjectNode paid = server(lnd()).serve(request(inv.paymentRequest(), "2000", "retry"));
    assertTrue(L402Payer.matches(paid.get("preimage").asText(), inv.paymentHash()));
    assertEquals(before + 1, nodes.payments(LightningNodes.LND));
  }

  @Test
  public void theCommandDecodesTheNodesInvoicesAndPaysOnceThroughLnd() throws Exception {
    ObjectNode extra = Helpers.JSON.createObjectNode();
    extra
        .putObject("lnd")
        .put("url", nodes.lndUrl())
        .put("tls_cert_file", nodes.lndCert().toString())
        .put("macaroon_file", nodes.lndMacaroon().toString());
    Helpers h = new Helpers(tmp.newFolder().toPath(), extra).withKeys();
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.CLN, 9_000);
    int before = nodes.payments(LightningNodes.LND);
    ObjectNode request = request(inv.paymentRequest(), "9000", "cli-1");
    Helpers.Result first = h.serve(request);
    assertEquals(first.stdout(), 0, first.exit());
    assertEquals(inv.paymentHash(), first.json().get("payment_hash").asText());
    Helpers.Result second = h.serve(request);
    assertEquals(first.stdout(), second.stdout());
    assertEquals(before + 1, nodes.payments(LightningNodes.LND));
    String preimage = first.json().get("preimage").asText();
    assertFalse(first.stderr().contains(preimage));
    assertFalse(h.allFiles().contains(preimage));
    // the macaroon of the node never leaves the helper
    String macaroonHex =
        java.util.HexFormat.of().formatHex(Files.readAllBytes(nodes.lndMacaroon()));
    assertFalse(first.stdout().contains(macaroonHex) || first.stderr().contains(macaroonHex));

    // the real decoder refuses what the table cannot fake: another network, a damaged invoice
    LightningNodes.Invoice mainnet = nodes.invoice(LightningNodes.CLN, 1_000, 3600, "bc");
    assertEquals(
        "payment_invoice_network",
        h.serve(request(mainnet.paymentRequest(), "1000", "cli-2")).json().path("error").asText());
    String pr = inv.paymentRequest();
    String damaged = pr.substring(0, 20) + (pr.charAt(20) == 'q' ? 'p' : 'q') + pr.substring(21);
    assertEquals(
        "payment_invoice_invalid",
        h.serve(request(damaged, "9000", "cli-3")).json().path("error").asText());
    assertEquals(before + 1, nodes.payments(LightningNodes.LND));
  }

  @Test
  public void aPreimageThatDoesNotHashToTheInvoiceIsNeverAnswered() throws Exception {
    LightningNodes.Invoice inv = invoice(1_000, "bcrt", 3600);
    String wrong = "11".repeat(32);
    LightningNode lying =
        new LightningNode() {
          @Override
          public Payment pay(String bolt11, String paymentHash) {
            return new Payment(Status.SUCCEEDED, paymentHash, wrong);
          }

          @Override
          public java.util.Optional<Payment> lookup(String paymentHash) {
            return java.util.Optional.of(new Payment(Status.SUCCEEDED, paymentHash, wrong));
          }
        };
    Server s = server(lying);
    ObjectNode request = request(inv.paymentRequest(), "1000", "liar");
    assertEquals(
        "payment_preimage_mismatch",
        assertThrows(HelperException.class, () -> s.serve(request)).code());
    // the key stays "paying": a retry asks the node again and still answers nothing
    assertEquals(
        "payment_preimage_mismatch",
        assertThrows(HelperException.class, () -> s.serve(request)).code());
    assertEquals(
        "paying", new Journal(config.journalDir(), new byte[32]).read("liar").get().state());
  }

  @Test
  public void withoutANodeNothingIsJournaled() throws Exception {
    LightningNodes.Invoice inv = invoice(1_000, "bcrt", 3600);
    assertEquals(
        "payment_node_failed",
        assertThrows(
                HelperException.class,
                () -> server(null).serve(request(inv.paymentRequest(), "1000", "n")))
            .code());
    assertFalse(Files.exists(config.journalDir().resolve("n.json")));
  }
}
