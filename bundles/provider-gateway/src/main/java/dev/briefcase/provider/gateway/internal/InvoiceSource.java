package dev.briefcase.provider.gateway.internal;

/**
 * Where an L402 challenge gets its Lightning invoice (SPEC §14.2). A challenge needs a real BOLT11
 * invoice and its macaroon from a Lightning node; no node is wired yet, so no source is configured
 * and the 402 offers x402 only. The payments work adds an implementation (LND/CLN).
 */
interface InvoiceSource {
  /** A fresh invoice for {@code amountMicroUsd}, or an exception when the node cannot make one. */
  Invoice create(long amountMicroUsd, String resource);

  /** bLIP-0026 challenge parts: the macaroon (b64) and the BOLT11 invoice. */
  record Invoice(String macaroonB64, String bolt11) {}
}
