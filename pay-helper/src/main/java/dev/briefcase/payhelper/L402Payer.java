package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * The L402 part: decodes the invoice and checks it against the request's and the helper's limits
 * (amount, network, expiry); the payment itself goes through {@link LightningNode}.
 */
final class L402Payer {
  static final Set<String> FIELDS =
      Set.of(
          "rail",
          "provider_base_url",
          "invoice",
          "macaroon",
          "amount_microusd",
          "max_amount_msat",
          "idempotency_key");

  private final HelperConfig.Limits limits;
  private final InvoiceDecoder decoder;

  L402Payer(HelperConfig.Limits limits, InvoiceDecoder decoder) {
    this.limits = limits;
    this.decoder = decoder;
  }

  /** A request that passed every check. */
  record Checked(String bolt11, InvoiceDecoder.Invoice invoice) {}

  Checked check(ObjectNode request, Instant now) throws HelperException {
    Requests.onlyFields(request, FIELDS);
    Requests.text(request, "provider_base_url", 2048);
    Requests.text(request, "macaroon", 64 * 1024);
    Requests.nonNegativeLong(request, "amount_microusd");
    BigInteger max = Requests.decimal(request, "max_amount_msat");
    String bolt11 = Requests.text(request, "invoice", 8 * 1024);
    InvoiceDecoder.Invoice invoice = decoder.decode(bolt11);
    if (!limits.l402Networks().contains(invoice.network())) {
      throw new HelperException(
          HelperException.INVOICE_NETWORK,
          "the invoice is for network " + invoice.network() + ", which is not allowed");
    }
    if (invoice.amountMsat() == null || invoice.amountMsat() <= 0) {
      throw new HelperException(
          HelperException.INVOICE_INVALID, "invoices without an amount are not paid");
    }
    if (BigInteger.valueOf(invoice.amountMsat()).compareTo(max) > 0) {
      throw new HelperException(
          HelperException.LIMIT_EXCEEDED, "the invoice is above the request's max_amount_msat");
    }
    if (invoice.amountMsat() > limits.maxAmountMsat()) {
      throw new HelperException(
          HelperException.LIMIT_EXCEEDED, "the invoice is above the helper's limit");
    }
    if (now.getEpochSecond() >= invoice.timestamp() + invoice.expirySeconds()) {
      throw new HelperException(HelperException.INVOICE_EXPIRED, "the invoice has expired");
    }
    return new Checked(bolt11, invoice);
  }

  /** Whether {@code preimage} (hex) hashes to {@code paymentHash} (hex). */
  static boolean matches(String preimage, String paymentHash) {
    if (preimage == null || !preimage.matches("[0-9a-f]{64}")) {
      return false;
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(HexFormat.of().parseHex(preimage));
      return MessageDigest.isEqual(h, HexFormat.of().parseHex(paymentHash));
    } catch (NoSuchAlgorithmException | IllegalArgumentException e) {
      return false;
    }
  }
}
