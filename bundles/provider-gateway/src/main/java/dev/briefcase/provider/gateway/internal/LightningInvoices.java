package dev.briefcase.provider.gateway.internal;

/** The provider's Lightning node as the L402 mint needs it: make an invoice, ask if it settled. */
interface LightningInvoices {
  /** A new invoice for {@code msat}; a {@link ProviderError} when the node cannot make one. */
  Added add(long msat, long expirySeconds, String memo);

  /** Whether the invoice of {@code paymentHash} is settled at the node. */
  boolean settled(byte[] paymentHash);

  /** An added invoice: its payment hash and BOLT11 payment request. */
  record Added(byte[] paymentHash, String paymentRequest) {}
}
