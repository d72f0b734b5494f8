package dev.briefcase.itests.payments;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.LightningNodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * SPEC §14 over Lightning between two Briefcase processes ({@link L402World}): the agent's quote
 * tool gets the provider's 402 with an L402 challenge (invoice of the {@code lnd} test node), the
 * kernel picks the L402 rail (the provider offers no x402), {@code bin/briefcase-pay} pays from the
 * {@code cln} node, and the preimage becomes {@code Authorization: L402 <macaroon>:<preimage>} for
 * the capability that answers the quote. Every assertion about money is on the nodes. The methods
 * run in name order: the refused invoice first, so that the rail holds no token of an earlier
 * payment.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class PaidL402QuoteIT {
  private static final Pattern MACAROON = Pattern.compile("macaroon=\"([^\"]+)\"");
  private static L402World w;

  @BeforeClass
  public static void startWorld() throws Exception {
    w = L402World.start();
  }

  @AfterClass
  public static void stopWorld() throws Exception {
    if (w != null) {
      w.close();
    }
  }

  @Test
  public void a_anInvoiceAboveTheHelpersLimitIsRefusedBeforeAnythingIsPaid() throws Exception {
    int before = w.payments();
    long balance = w.nodes.balanceMsat(LightningNodes.CLN);
    w.helperLimit(L402World.PRICE_MSAT - 1);
    try {
      JsonNode r = w.quote("LIMIT");
      System.out.println("[payments-itest] the over-limit L402 call: " + r);

      assertFalse(r.toString(), "ok".equals(r.path("status").asText()));
      assertEquals("nothing paid", before, w.payments());
      assertEquals(balance, w.nodes.balanceMsat(LightningNodes.CLN));
      assertTrue("the provider did challenge with L402", !w.tap.challenges.isEmpty());
      assertTrue("no credential went to the mint", w.tap.credentials.isEmpty());
      JsonNode failed =
          w.receipts("payment").stream()
              .filter(p -> "failed".equals(p.path("result").asText()))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no failed payment receipt"));
      assertEquals("l402", failed.path("rail").asText());
      assertEquals(failed.toString(), "payment_limit_exceeded", failed.path("code").asText());
    } finally {
      w.helperLimit(L402World.PRICE_MSAT * 10);
    }
  }

  @Test
  public void b_anUnauthenticatedQuotePaysItsInvoiceOnceOverLightningWithoutLeakingTheProof()
      throws Exception {
    int before = w.payments();
    int received = w.nodes.payments(LightningNodes.LND);
    long payer = w.nodes.balanceMsat(LightningNodes.CLN);
    long payee = w.nodes.balanceMsat(LightningNodes.LND);

    JsonNode r = w.quote("ACME");

    assertEquals(r.toString(), "ok", r.path("status").asText());
    assertTrue(r.toString(), r.toString().contains("ACME"));
    assertEquals("exactly one payment", before + 1, w.payments());
    assertEquals("none by the provider's node", received, w.nodes.payments(LightningNodes.LND));
    assertEquals(payer - L402World.PRICE_MSAT, w.nodes.balanceMsat(LightningNodes.CLN));
    assertEquals(payee + L402World.PRICE_MSAT, w.nodes.balanceMsat(LightningNodes.LND));
    assertEquals("one L402 credential presented", 1, w.tap.credentials.size());
    assertEquals(1, w.tap.paidAccepted.get());

    JsonNode settled =
        w.receipts("payment").stream()
            .filter(p -> "settled".equals(p.path("result").asText()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no settled payment receipt"));
    assertEquals("l402", settled.path("rail").asText());
    assertEquals(L402World.PRICE_MICROUSD, settled.path("amount_microusd").asLong());
    assertEquals(Long.toString(L402World.PRICE_MSAT), settled.path("amount_msat").asText());
    String hash = settled.path("payment_hash").asText();
    assertTrue(settled.toString(), hash.matches("[0-9a-f]{64}"));
    assertEquals("the reference is the payment hash", hash, settled.path("reference").asText());

    Distribution.CliResult list = w.agent.cli("payments", "list", "--json");
    w.printed.add(list.stdout() + list.stderr());
    assertEquals(list.stderr(), 0, list.exit());
    assertTrue(list.stdout(), list.stdout().contains(settled.path("payment_id").asText()));

    assertNoProofAnywhere();
  }

  @Test
  public void c_theSpentTokenIsRefusedAndTheSameCallPaysItsOwnInvoiceOnce() throws Exception {
    int before = w.payments();
    long payer = w.nodes.balanceMsat(LightningNodes.CLN);
    int credentials = w.tap.credentials.size();

    // the rail presents the token it holds at no cost; the reference provider's tokens are
    // single-use, so it answers 402 (l402_token_used) with a fresh challenge: the rail drops the
    // token and the same call pays the fresh invoice, once
    JsonNode r = w.quote("AGAIN");
    System.out.println("[payments-itest] the quote after a paid one: " + r);
    assertEquals(r.toString(), "ok", r.path("status").asText());
    assertTrue(
        "the reuse is receipted as rejected at no cost",
        w.receipts("payment").stream()
            .anyMatch(
                p ->
                    "rejected".equals(p.path("result").asText())
                        && "l402".equals(p.path("rail").asText())
                        && p.path("amount_microusd").asLong(-1) == 0));
    assertEquals("exactly one more payment", before + 1, w.payments());
    assertEquals(payer - L402World.PRICE_MSAT, w.nodes.balanceMsat(LightningNodes.CLN));
    assertEquals("one new credential", credentials + 1, w.tap.credentials.size());
    assertEquals(2, w.tap.paidAccepted.get());
    assertNoProofAnywhere();
  }

  @Test
  public void d_anInvoiceAboveTheRailsMaximumIsRefusedBeforeTheHelperIsAsked() throws Exception {
    w.restartAgentWithRailMax(L402World.PRICE_MSAT - 1);
    int before = w.payments();
    long balance = w.nodes.balanceMsat(LightningNodes.CLN);
    int credentials = w.tap.credentials.size();
    String[] journal = w.pay.resolve("journal").toFile().list();
    int journaled = journal == null ? 0 : journal.length;

    JsonNode r = w.quote("RAILMAX");
    System.out.println("[payments-itest] the L402 call above the rail's maximum: " + r);

    assertFalse(r.toString(), "ok".equals(r.path("status").asText()));
    assertEquals("nothing paid", before, w.payments());
    assertEquals(balance, w.nodes.balanceMsat(LightningNodes.CLN));
    assertEquals("no credential went to the mint", credentials, w.tap.credentials.size());
    String[] after = w.pay.resolve("journal").toFile().list();
    assertEquals("the helper was not asked", journaled, after == null ? 0 : after.length);
    assertTrue(r.toString(), r.toString().contains("payment_amount_too_high"));
  }

  /**
   * The canary: no L402 credential the tap saw, nor its preimage or macaroon, nor any macaroon the
   * provider challenged with, in the agent's receipts, either process's log, the agent's data
   * directory, the helper's files, or anything the operator and the helper's set-up printed.
   */
  private static void assertNoProofAnywhere() throws Exception {
    List<String> canaries = new ArrayList<>();
    for (String credential : w.tap.credentials) {
      canaries.add(credential);
      String token = credential.strip().split("\\s+", 2)[1];
      int colon = token.lastIndexOf(':');
      canaries.add(token.substring(0, colon));
      String preimage = token.substring(colon + 1);
      assertTrue(preimage.matches("[0-9a-f]{64}"));
      canaries.add(preimage);
      canaries.add(preimage.toUpperCase(java.util.Locale.ROOT));
    }
    for (String challenge : w.tap.challenges) {
      Matcher m = MACAROON.matcher(challenge);
      if (m.find()) {
        canaries.add(m.group(1));
      }
    }
    assertFalse("no credential went through the tap", w.tap.credentials.isEmpty());
    List<String> places = new ArrayList<>(w.printed);
    places.add("receipts " + w.agent.get("/v1/receipts/export?after_id=0").body());
    places.add("payments " + w.agent.get("/v1/payments?limit=500").body());
    places.add("agent log " + Files.readString(w.agent.logFile));
    places.add("provider log " + Files.readString(w.provider.logFile));
    for (Path root : List.of(w.agent.dataDir, w.provider.dataDir, w.pay)) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f :
            files
                .filter(Files::isRegularFile)
                .filter(p -> !p.getFileName().toString().endsWith(".jar"))
                .filter(p -> !p.toString().contains("felix-cache"))
                .toList()) {
          places.add(f + " " + Files.readString(f, StandardCharsets.ISO_8859_1));
        }
      }
    }
    for (String place : places) {
      for (String c : canaries) {
        assertFalse(
            "an L402 proof in " + place.substring(0, Math.min(80, place.length())),
            place.contains(c));
      }
    }
    // the provider's LND macaroon lives only in its secret store
    String lndMacaroon =
        java.util.HexFormat.of().formatHex(Files.readAllBytes(w.nodes.lndMacaroon()));
    for (String place :
        List.of(
            String.join("\n", w.printed),
            Files.readString(w.agent.logFile),
            Files.readString(w.provider.logFile))) {
      assertFalse("the LND macaroon in a log or CLI output", place.contains(lndMacaroon));
    }
  }
}
