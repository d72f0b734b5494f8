package dev.briefcase.x402;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;
import java.util.List;
import org.junit.Test;

public class OfferPolicyTest {
  static final String USDC_BASE = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";

  private static OfferPolicy policy(long max) {
    return new OfferPolicy(
        List.of("eip155:8453"), List.of("eip155:8453/" + USDC_BASE.toLowerCase() + ":6"), max);
  }

  private static PaymentRequired required(ObjectNode c) throws PaymentException {
    return PaymentRequired.parse(PaymentRequiredAttackTest.b64(c.toString()));
  }

  private static ObjectNode offer(ObjectNode c) {
    return (ObjectNode) c.get("accepts").get(0);
  }

  private static String code(OfferPolicy p, ObjectNode c, long challengeMax) {
    try {
      p.select(List.of(required(c)), challengeMax);
      fail("selected an offer");
      return null;
    } catch (PaymentException e) {
      return e.code();
    }
  }

  @Test
  public void picksTheAllowedEip3009OfferAndPricesItInMicroUsd() throws Exception {
    OfferPolicy.Selection s =
        policy(1_000_000).select(List.of(required(PaymentRequiredAttackTest.challenge())), 50_000);
    assertEquals(10_000, s.microUsd());
    assertEquals(6, s.decimals());
    assertEquals(USDC_BASE, s.offer().asset());
  }

  @Test
  public void explicitEip3009IsAcceptedPermit2AndUnknownMethodsAreSkipped() throws Exception {
    ObjectNode c = PaymentRequiredAttackTest.challenge();
    ((ObjectNode) offer(c).get("extra")).put("assetTransferMethod", "eip3009");
    assertEquals(10_000, policy(1_000_000).select(List.of(required(c)), 50_000).microUsd());
    ((ObjectNode) offer(c).get("extra")).put("assetTransferMethod", "permit2");
    assertEquals("payment_offer_refused", code(policy(1_000_000), c, 50_000));
    ((ObjectNode) offer(c).get("extra")).put("assetTransferMethod", "something-new");
    assertEquals("payment_offer_refused", code(policy(1_000_000), c, 50_000));
  }

  @Test
  public void otherSchemesNetworksAndAssetsAreRefused() {
    ObjectNode c = PaymentRequiredAttackTest.challenge();
    offer(c).put("scheme", "upto");
    assertEquals("payment_offer_refused", code(policy(1_000_000), c, 50_000));
    c = PaymentRequiredAttackTest.challenge();
    offer(c).put("network", "eip155:1");
    assertEquals("payment_offer_refused", code(policy(1_000_000), c, 50_000));
    c = PaymentRequiredAttackTest.challenge();
    offer(c).put("asset", "0x0000000000000000000000000000000000000001");
    assertEquals("payment_offer_refused", code(policy(1_000_000), c, 50_000));
    c = PaymentRequiredAttackTest.challenge();
    offer(c).put("payTo", "not-an-address");
    assertEquals("payment_offer_refused", code(policy(1_000_000), c, 50_000));
  }

  @Test
  public void theAssetAddressMatchesInAnyCaseAndTheOfferKeepsItsOwnCase() throws Exception {
    ObjectNode c = PaymentRequiredAttackTest.challenge();
    offer(c).put("asset", USDC_BASE.toUpperCase().replace("0X", "0x"));
    OfferPolicy.Selection s = policy(1_000_000).select(List.of(required(c)), 50_000);
    assertEquals(
        USDC_BASE.toUpperCase().replace("0X", "0x"), s.offer().node().get("asset").asText());
  }

  @Test
  public void aPriceAboveEitherLimitIsTooHigh() {
    ObjectNode c = PaymentRequiredAttackTest.challenge();
    assertEquals("payment_amount_too_high", code(policy(9_999), c, 50_000));
    assertEquals("payment_amount_too_high", code(policy(1_000_000), c, 9_999));
    offer(c).put("amount", "9".repeat(77)); // far beyond a long
    assertEquals("payment_amount_too_high", code(policy(Long.MAX_VALUE), c, Long.MAX_VALUE));
  }

  @Test
  public void aZeroAmountOfferIsNeverChosenOrSigned() throws Exception {
    // a free offer buys nothing: choosing it would only hand out a signed authorisation
    ObjectNode c = PaymentRequiredAttackTest.challenge();
    ObjectNode free = offer(c).deepCopy().put("amount", "0");
    ((ArrayNode) c.get("accepts")).insert(0, free);
    OfferPolicy.Selection s = policy(1_000_000).select(List.of(required(c)), 50_000);
    assertEquals(10_000, s.microUsd());
    c = PaymentRequiredAttackTest.challenge();
    offer(c).put("amount", "0");
    assertEquals("payment_offer_refused", code(policy(1_000_000), c, 50_000));
  }

  @Test
  public void theCheapestAcceptableOfferWins() throws Exception {
    ObjectNode c = PaymentRequiredAttackTest.challenge();
    ObjectNode cheaper = offer(c).deepCopy().put("amount", "500");
    ObjectNode permit2 = offer(c).deepCopy().put("amount", "1");
    ((ObjectNode) permit2.get("extra")).put("assetTransferMethod", "permit2");
    ((ArrayNode) c.get("accepts")).add(permit2).add(cheaper);
    OfferPolicy.Selection s = policy(1_000_000).select(List.of(required(c)), 50_000);
    assertEquals(500, s.microUsd());
    assertEquals(cheaper, s.offer().node());
  }

  @Test
  public void microUsdIsExactAndRoundsFractionsUp() {
    assertEquals(BigInteger.valueOf(10_000), OfferPolicy.microUsd(BigInteger.valueOf(10_000), 6));
    assertEquals(BigInteger.valueOf(2_000_000), OfferPolicy.microUsd(BigInteger.TWO, 0));
    // 18 decimals: 1 wei is a tiny fraction of a µUSD and still counts as one
    assertEquals(BigInteger.ONE, OfferPolicy.microUsd(BigInteger.ONE, 18));
    assertEquals(
        BigInteger.valueOf(1_000_000),
        OfferPolicy.microUsd(new BigInteger("1000000000000000000"), 18));
    assertEquals(
        BigInteger.valueOf(1_000_001),
        OfferPolicy.microUsd(new BigInteger("1000000000001000000"), 18));
  }

  @Test
  public void malformedAssetRulesAreConfigurationErrors() {
    for (String bad :
        new String[] {
          "eip155:8453/" + USDC_BASE,
          "eip155:8453:" + USDC_BASE + ":6",
          "eip155:8453/0x1234:6",
          "eip155:8453/" + USDC_BASE + ":x",
          "eip155:8453/" + USDC_BASE + ":99",
          "solana:x/" + USDC_BASE + ":6"
        }) {
      try {
        OfferPolicy.AssetRule.parse(bad);
        fail("accepted " + bad);
      } catch (IllegalArgumentException expected) {
        // refused
      }
    }
  }
}
