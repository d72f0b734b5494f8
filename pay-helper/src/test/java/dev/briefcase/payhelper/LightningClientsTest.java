package dev.briefcase.payhelper;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.briefcase.testing.LightningNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The LND REST and CLN JSON-RPC clients against the Lightning test nodes. */
public class LightningClientsTest {
  @ClassRule public static TemporaryFolder tmp = new TemporaryFolder();

  private static LightningNodes nodes;

  @BeforeClass
  public static void start() throws Exception {
    nodes = LightningNodes.start(tmp.newFolder("ln").toPath());
  }

  @AfterClass
  public static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  private static LndRestNode lnd() throws Exception {
    return new LndRestNode(
        nodes.lndUrl(), nodes.lndCert(), nodes.lndMacaroon(), Duration.ofSeconds(20));
  }

  @Test
  public void lndPaysAClnInvoiceOnceAndLooksUpAnAlreadyPaidInvoice() throws Exception {
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.CLN, 21_000);
    int before = nodes.payments(LightningNodes.LND);
    long balance = nodes.balanceMsat(LightningNodes.LND);
    LightningNode.Payment first = lnd().pay(inv.paymentRequest(), inv.paymentHash());
    assertEquals(LightningNode.Status.SUCCEEDED, first.status());
    assertTrue(L402Payer.matches(first.preimage(), inv.paymentHash()));
    // the second payment meets "invoice is already paid" and is answered from the node's record
    LightningNode.Payment second = lnd().pay(inv.paymentRequest(), inv.paymentHash());
    assertEquals(first.preimage(), second.preimage());
    assertEquals(before + 1, nodes.payments(LightningNodes.LND));
    assertEquals(balance - 21_000, nodes.balanceMsat(LightningNodes.LND));
    assertEquals(first.preimage(), lnd().lookup(inv.paymentHash()).get().preimage());
  }

  @Test
  public void lndRefusesAServerWithAnotherCertificate() throws Exception {
    Path other = tmp.newFolder().toPath();
    Path ks = other.resolve("ks.p12");
    Path pem = other.resolve("other.pem");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    run(
        List.of(
            keytool,
            "-genkeypair",
            "-keystore",
            ks.toString(),
            "-storepass",
            "changeit",
            "-alias",
            "x",
            "-keyalg",
            "EC",
            "-dname",
            "CN=localhost",
            "-ext",
            "san=ip:127.0.0.1"));
    run(
        List.of(
            keytool,
            "-exportcert",
            "-rfc",
            "-keystore",
            ks.toString(),
            "-storepass",
            "changeit",
            "-alias",
            "x",
            "-file",
            pem.toString()));
    LndRestNode pinnedElsewhere =
        new LndRestNode(nodes.lndUrl(), pem, nodes.lndMacaroon(), Duration.ofSeconds(20));
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.CLN, 1_000);
    int before = nodes.payments(LightningNodes.LND);
    LightningNode.NodeException e =
        assertThrows(
            LightningNode.NodeException.class,
            () -> pinnedElsewhere.pay(inv.paymentRequest(), inv.paymentHash()));
    assertTrue(e.definite());
    assertEquals(before, nodes.payments(LightningNodes.LND));
  }

  @Test
  public void lndWithAWrongMacaroonPaysNothing() throws Exception {
    Path fake = tmp.newFile().toPath();
    Files.write(fake, new byte[] {1, 2, 3});
    LndRestNode wrong =
        new LndRestNode(nodes.lndUrl(), nodes.lndCert(), fake, Duration.ofSeconds(20));
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.CLN, 1_000);
    int before = nodes.payments(LightningNodes.LND);
    assertThrows(
        LightningNode.NodeException.class,
        () -> wrong.pay(inv.paymentRequest(), inv.paymentHash()));
    assertEquals(before, nodes.payments(LightningNodes.LND));
  }

  @Test
  public void clnPaysAnLndInvoiceOnceAndRetriesTransientFailures() throws Exception {
    ClnRpcNode cln = new ClnRpcNode(nodes.clnSocket(), Duration.ofSeconds(30));
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.LND, 5_000);
    int before = nodes.payments(LightningNodes.CLN);
    nodes.failNext(LightningNodes.CLN, 2);
    LightningNode.Payment paid = cln.pay(inv.paymentRequest(), inv.paymentHash());
    assertTrue(L402Payer.matches(paid.preimage(), inv.paymentHash()));
    LightningNode.Payment again = cln.pay(inv.paymentRequest(), inv.paymentHash());
    assertEquals(paid.preimage(), again.preimage());
    assertEquals(before + 1, nodes.payments(LightningNodes.CLN));
    assertEquals(paid.preimage(), cln.lookup(inv.paymentHash()).get().preimage());
  }

  @Test
  public void clnGivesUpAfterTheRetryWindowWithoutPaying() throws Exception {
    ClnRpcNode cln = new ClnRpcNode(nodes.clnSocket(), Duration.ZERO);
    LightningNodes.Invoice inv = nodes.invoice(LightningNodes.LND, 5_000);
    int before = nodes.payments(LightningNodes.CLN);
    nodes.failNext(LightningNodes.CLN, 1);
    LightningNode.NodeException e =
        assertThrows(
            LightningNode.NodeException.class,
            () -> cln.pay(inv.paymentRequest(), inv.paymentHash()));
    assertTrue(e.definite());
    assertEquals(before, nodes.payments(LightningNodes.CLN));
  }

  @Test
  public void anUnknownPaymentHashHasNoRecord() throws Exception {
    String hash = "00".repeat(32);
    assertFalse(lnd().lookup(hash).isPresent());
    assertFalse(new ClnRpcNode(nodes.clnSocket(), Duration.ZERO).lookup(hash).isPresent());
  }

  private static void run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(new String(out));
    }
  }
}
