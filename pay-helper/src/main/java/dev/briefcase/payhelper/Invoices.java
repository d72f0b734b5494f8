package dev.briefcase.payhelper;

import dev.briefcase.l402.Bolt11;
import dev.briefcase.l402.L402Exception;

/** BOLT11 decoding (with the payee's signature checked) by {@code dev.briefcase.l402}. */
final class Invoices {
  private Invoices() {}

  static InvoiceDecoder decoder() {
    return bolt11 -> {
      try {
        Bolt11 b = Bolt11.decode(bolt11);
        return new InvoiceDecoder.Invoice(
            b.network(), b.amountMsat(), b.paymentHashHex(), b.timestamp(), b.expirySeconds());
      } catch (L402Exception e) {
        String code =
            "invoice_network".equals(e.code())
                ? HelperException.INVOICE_NETWORK
                : HelperException.INVOICE_INVALID;
        throw new HelperException(code, "the invoice is refused (" + e.code() + ")");
      }
    };
  }
}
