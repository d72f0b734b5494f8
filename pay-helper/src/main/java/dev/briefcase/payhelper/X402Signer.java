package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.x402.Authorization;
import dev.briefcase.x402.Eip3009;
import dev.briefcase.x402.Offer;
import dev.briefcase.x402.PaymentRequired;
import dev.briefcase.x402.PaymentSignature;
import java.math.BigInteger;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * The x402 v2 part: re-parses the challenge, checks that {@code accepted} is one of its offers
 * verbatim and within the helper's own limits, and signs an EIP-3009 authorisation (validAfter 0,
 * validBefore now + maxTimeoutSeconds, a random nonce).
 */
final class X402Signer {
  static final Set<String> FIELDS =
      Set.of(
          "rail",
          "provider_base_url",
          "payment_required",
          "accepted",
          "max_amount",
          "idempotency_key");

  private final HelperConfig.Limits limits;

  X402Signer(HelperConfig.Limits limits) {
    this.limits = limits;
  }

  /** A request that passed every check, ready to sign. */
  record Checked(
      PaymentRequired required, Offer offer, ObjectNode accepted, HelperConfig.Asset asset) {}

  /** Checks the request; changes nothing. */
  Checked check(ObjectNode request) throws HelperException {
    Requests.onlyFields(request, FIELDS);
    Requests.text(request, "provider_base_url", 2048);
    String header = Requests.text(request, "payment_required", 64 * 1024 * 4 / 3 + 4);
    JsonNode accepted = request.get("accepted");
    if (accepted == null || !accepted.isObject()) {
      throw new HelperException(HelperException.REQUEST_INVALID, "accepted must be an object");
    }
    BigInteger max = Requests.decimal(request, "max_amount");
    PaymentRequired required;
    try {
      required = PaymentRequired.parse(header);
    } catch (PaymentException e) {
      throw new HelperException(
          HelperException.REQUEST_INVALID, "payment_required is malformed: " + e.getMessage());
    }
    Offer offer = null;
    for (Offer o : required.accepts()) {
      if (o.node().equals(accepted)) {
        offer = o;
        break;
      }
    }
    if (offer == null) {
      throw new HelperException(
          HelperException.REQUEST_INVALID, "accepted is not one of the challenge's offers");
    }
    if (!"exact".equals(offer.scheme())
        || offer.chainId() == null
        || offer.extraName() == null
        || offer.extraVersion() == null
        || !(offer.assetTransferMethod() == null
            || "eip3009".equals(offer.assetTransferMethod()))) {
      throw new HelperException(
          HelperException.REQUEST_INVALID,
          "only exact EIP-3009 offers on eip155 networks are signed");
    }
    if (!limits.networks().contains(offer.network())) {
      throw new HelperException(
          HelperException.NETWORK_NOT_ALLOWED, "network " + offer.network() + " is not allowed");
    }
    HelperConfig.Asset asset = limits.asset(offer.network(), offer.asset());
    if (asset == null) {
      throw new HelperException(
          HelperException.ASSET_NOT_ALLOWED,
          "asset " + offer.asset() + " on " + offer.network() + " is not allowed");
    }
    if (offer.amount().signum() <= 0) {
      // a zero authorisation moves nothing but is still a valid signature under the payer's key
      throw new HelperException(
          HelperException.REQUEST_INVALID, "the offer's amount must be greater than zero");
    }
    if (offer.amount().compareTo(max) > 0) {
      throw new HelperException(
          HelperException.LIMIT_EXCEEDED, "the offer's amount is above the request's max_amount");
    }
    if (offer.amount().compareTo(asset.maxAtomic()) > 0) {
      throw new HelperException(
          HelperException.LIMIT_EXCEEDED, "the offer's amount is above the helper's limit");
    }
    return new Checked(required, offer, (ObjectNode) accepted, asset);
  }

  /** Signs a checked request with {@code key}; the answer of PAYMENTS §3. */
  ObjectNode sign(Checked c, EvmSigner signer, Instant now) throws HelperException {
    String payer = signer.address();
    String nonce = "0x" + HexFormat.of().formatHex(Sealed.random(32));
    Authorization auth;
    try {
      auth =
          new Authorization(
              payer,
              c.offer().payTo(),
              c.offer().amount(),
              BigInteger.ZERO,
              BigInteger.valueOf(now.getEpochSecond() + c.offer().maxTimeoutSeconds()),
              nonce);
    } catch (IllegalArgumentException e) {
      throw new HelperException(HelperException.REQUEST_INVALID, "payTo is not an EVM address");
    }
    byte[] digest;
    try {
      digest = Eip3009.digest(Eip3009.Domain.of(c.offer()), auth);
    } catch (IllegalArgumentException e) {
      throw new HelperException(
          HelperException.REQUEST_INVALID, "the offer has no EIP-712 domain: " + e.getMessage());
    }
    String signature = signer.sign(digest);
    ObjectNode answer = JsonNodeFactory.instance.objectNode();
    answer.put(
        "payment_signature_b64",
        PaymentSignature.build(c.required(), c.accepted(), auth, signature));
    answer.put("payer", payer);
    answer.put("nonce", nonce);
    return answer;
  }
}
