package dev.briefcase.provider.gateway.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.briefcase.l402.Bolt11;
import dev.briefcase.testing.LightningNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The LND invoice client against the test nodes: AddInvoice and LookupInvoice as LND serves them;
 * only the configured certificate is trusted (another node's certificate, or plain http, is
 * refused) and a wrong macaroon is a node failure, never an invoice.
 */
public class LndInvoicesTest {
  private static LightningNodes nodes;
  private static LightningNodes stranger;

  @BeforeClass
  public static void start() throws Exception {
    nodes = LightningNodes.start(Files.createTempDirectory(Path.of("/tmp"), "li"));
    stranger = LightningNodes.start(Files.createTempDirectory(Path.of("/tmp"), "lj"));
  }

  @AfterClass
  public static void stop() {
    if (nodes != null) {
      nodes.close();
    }
    if (stranger != null) {
      stranger.close();
    }
  }

  private static byte[] macaroon(LightningNodes n) {
    try {
      return Files.readAllBytes(n.lndMacaroon());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  public void addsAnInvoiceAndSeesItSettleOncePaid() throws Exception {
    LndInvoices lnd =
        new LndInvoices(
            nodes.lndUrl(), nodes.lndCert(), () -> macaroon(nodes), Duration.ofSeconds(10));
    LightningInvoices.Added added = lnd.add(21_000, 600, "test");
    Bolt11 invoice = Bolt11.decode(added.paymentRequest());
    assertTrue(Arrays.equals(added.paymentHash(), invoice.paymentHash()));
    assertEquals(Long.valueOf(21_000), invoice.amountMsat());
    assertEquals(600, invoice.expirySeconds());
    assertFalse(lnd.settled(added.paymentHash()));
    assertTrue(nodes.pay(LightningNodes.CLN, added.paymentRequest()));
    assertTrue(lnd.settled(added.paymentHash()));
  }

  @Test
  public void anotherCertificateIsNotTrusted() {
    // the right node, the right macaroon, but the pinned certificate is another node's
    LndInvoices lnd =
        new LndInvoices(
            nodes.lndUrl(), stranger.lndCert(), () -> macaroon(nodes), Duration.ofSeconds(10));
    ProviderError e = assertThrows(ProviderError.class, () -> lnd.add(1000, 600, "x"));
    assertEquals(LndInvoices.UNAVAILABLE, e.code());
  }

  @Test
  public void aWrongMacaroonIsANodeFailureAndIsNotEchoed() {
    byte[] wrong = macaroon(stranger);
    LndInvoices lnd =
        new LndInvoices(nodes.lndUrl(), nodes.lndCert(), () -> wrong, Duration.ofSeconds(10));
    ProviderError e = assertThrows(ProviderError.class, () -> lnd.add(1000, 600, "x"));
    assertEquals(LndInvoices.UNAVAILABLE, e.code());
    assertFalse(e.getMessage().contains(java.util.HexFormat.of().formatHex(wrong)));
  }

  @Test
  public void onlyHttpsIsConfigurable() {
    for (String url : new String[] {"http://127.0.0.1:8080", "ftp://x", "https://user@host:1"}) {
      assertThrows(
          url,
          IllegalArgumentException.class,
          () -> new LndInvoices(url, nodes.lndCert(), () -> new byte[1], Duration.ofSeconds(1)));
    }
  }

  @Test
  public void aStoredMacaroonMayBeHexBase64OrRaw() {
    byte[] raw = {1, 2, (byte) 0xfe, 0x7f};
    assertTrue(Arrays.equals(raw, L402Secrets.decode("0102fe7f".getBytes())));
    assertTrue(Arrays.equals(raw, L402Secrets.decode("AQL+fw==".getBytes())));
    assertTrue(Arrays.equals(raw, L402Secrets.decode(raw)));
  }
}
