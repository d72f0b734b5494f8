package dev.briefcase.payhelper;

/** Decodes and checks the signature of a BOLT11 invoice. */
public interface InvoiceDecoder {
  /**
   * A decoded invoice.
   *
   * @param network the bech32 prefix network: {@code bc}, {@code tb}, {@code bcrt}, {@code tbs}
   * @param amountMsat the amount in millisatoshi, or null for an invoice without an amount
   * @param paymentHash 64 lowercase hex characters
   * @param timestamp creation time, epoch seconds
   * @param expirySeconds validity after {@code timestamp}
   */
  record Invoice(
      String network, Long amountMsat, String paymentHash, long timestamp, long expirySeconds) {}

  /**
   * @throws HelperException {@code payment_invoice_invalid} when it is malformed or badly signed
   */
  Invoice decode(String bolt11) throws HelperException;
}
