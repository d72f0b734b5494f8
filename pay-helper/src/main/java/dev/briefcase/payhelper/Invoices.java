package dev.briefcase.payhelper;

/** The BOLT11 decoder this build has. */
final class Invoices {
  private Invoices() {}

  static InvoiceDecoder decoder() {
    return bolt11 -> {
      throw new HelperException(
          HelperException.REQUEST_INVALID, "BOLT11 decoding is not available in this build");
    };
  }
}
