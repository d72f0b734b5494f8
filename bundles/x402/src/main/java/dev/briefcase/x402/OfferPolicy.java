package dev.briefcase.x402;

import dev.briefcase.payment.PaymentException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which offers a client may pay (SPEC §14.1 client, §14.5): scheme {@code exact} on an allowed
 * {@code eip155} network, an allow-listed asset, EIP-3009 transfer (absent {@code
 * assetTransferMethod} or {@code "eip3009"}; {@code permit2} and unknown methods are another flow),
 * and a price in µUSD within the limit.
 */
public final class OfferPolicy {
  public static final String REFUSED = "payment_offer_refused";
  public static final String TOO_HIGH = "payment_amount_too_high";

  private final Set<String> networks;
  private final List<AssetRule> assets;
  private final long maxMicroUsd;

  /**
   * @param networks allowed CAIP-2 networks, e.g. {@code eip155:8453}
   * @param assets allowed assets, each {@code <network>/<address>:<decimals>}
   * @param maxMicroUsd the most one payment may cost
   * @throws IllegalArgumentException when an asset entry is malformed
   */
  public OfferPolicy(Iterable<String> networks, Iterable<String> assets, long maxMicroUsd) {
    this.networks = Set.copyOf(toList(networks));
    List<AssetRule> rules = new ArrayList<>();
    for (String a : assets) {
      rules.add(AssetRule.parse(a));
    }
    this.assets = List.copyOf(rules);
    if (maxMicroUsd < 0) {
      throw new IllegalArgumentException("max µUSD must not be negative");
    }
    this.maxMicroUsd = maxMicroUsd;
  }

  /** The offer chosen and its price. */
  public record Selection(PaymentRequired required, Offer offer, int decimals, long microUsd) {}

  /**
   * Picks the cheapest acceptable offer of one or more challenges (in order on ties).
   *
   * @param challengeMaxMicroUsd the caller's own ceiling for this payment
   * @throws PaymentException {@value #REFUSED} when no offer passes the policy, {@value #TOO_HIGH}
   *     when the cheapest one costs more than this policy's or the caller's maximum
   */
  public Selection select(List<PaymentRequired> challenges, long challengeMaxMicroUsd)
      throws PaymentException {
    Selection best = null;
    BigInteger bestPrice = null;
    for (PaymentRequired required : challenges) {
      for (Offer offer : required.accepts()) {
        AssetRule rule = acceptable(offer);
        if (rule == null) {
          continue;
        }
        BigInteger price = microUsd(offer.amount(), rule.decimals());
        if (bestPrice == null || price.compareTo(bestPrice) < 0) {
          bestPrice = price;
          best = new Selection(required, offer, rule.decimals(), 0);
        }
      }
    }
    if (best == null) {
      throw new PaymentException(REFUSED, "no x402 offer is on an allowed network and asset");
    }
    long limit = Math.min(maxMicroUsd, challengeMaxMicroUsd);
    if (bestPrice.compareTo(BigInteger.valueOf(limit)) > 0) {
      throw new PaymentException(
          TOO_HIGH, "the cheapest x402 offer costs more than " + limit + " µUSD");
    }
    return new Selection(
        best.required(), best.offer(), best.decimals(), bestPrice.longValueExact());
  }

  private AssetRule acceptable(Offer offer) {
    if (!"exact".equals(offer.scheme())
        || offer.chainId() == null
        || !networks.contains(offer.network())
        || offer.amount().signum() <= 0) {
      return null;
    }
    String method = offer.assetTransferMethod();
    if (method != null && !"eip3009".equals(method)) {
      return null;
    }
    if (!Fields.isAddress(offer.asset()) || !Fields.isAddress(offer.payTo())) {
      return null;
    }
    for (AssetRule rule : assets) {
      if (rule.network().equals(offer.network())
          && rule.address().equalsIgnoreCase(offer.asset())) {
        return rule;
      }
    }
    return null;
  }

  /**
   * µUSD = atomic × 10^(6−decimals), exactly; a fraction of a µUSD (more than 6 decimals) rounds
   * up, so a gate never sees less than what is paid.
   */
  public static BigInteger microUsd(BigInteger atomic, int decimals) {
    if (decimals <= 6) {
      return atomic.multiply(BigInteger.TEN.pow(6 - decimals));
    }
    BigInteger[] qr = atomic.divideAndRemainder(BigInteger.TEN.pow(decimals - 6));
    return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
  }

  /** One allow-listed asset: {@code <network>/<address>:<decimals>}. */
  public record AssetRule(String network, String address, int decimals) {
    public static AssetRule parse(String spec) {
      int slash = spec.indexOf('/');
      int colon = spec.lastIndexOf(':');
      if (slash <= 0 || colon <= slash) {
        throw new IllegalArgumentException("asset must be <network>/<address>:<decimals>: " + spec);
      }
      String network = spec.substring(0, slash);
      String address = spec.substring(slash + 1, colon);
      String decimals = spec.substring(colon + 1);
      if (!network.matches("eip155:[1-9][0-9]{0,18}")
          || !Fields.isAddress(address)
          || !decimals.matches("[0-9]{1,2}")
          || Integer.parseInt(decimals) > 36) {
        throw new IllegalArgumentException("asset must be <network>/<address>:<decimals>: " + spec);
      }
      return new AssetRule(network, address.toLowerCase(Locale.ROOT), Integer.parseInt(decimals));
    }
  }

  private static List<String> toList(Iterable<String> values) {
    List<String> out = new ArrayList<>();
    values.forEach(out::add);
    return out;
  }
}
