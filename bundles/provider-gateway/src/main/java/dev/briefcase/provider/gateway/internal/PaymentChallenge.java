package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;

/**
 * The 402 answer to an unauthenticated mint of a priced tool (SPEC §14.1/§14.2): x402 v2 {@code
 * PAYMENT-REQUIRED} (standard base64 of the JSON challenge; one {@code exact} offer from the
 * configuration, or none when no {@code payTo} is configured) and, only when an {@link
 * InvoiceSource} is present, the L402 {@code WWW-Authenticate} challenge. Body {@code {}}.
 * Verifying a paid retry is the payments work; this class only challenges.
 */
final class PaymentChallenge {
  /** One x402 {@code exact} offer. */
  record X402Offer(
      String network,
      String asset,
      String payTo,
      String amount,
      String name,
      String version,
      int maxTimeoutSeconds) {}

  private final X402Offer offer;
  private final InvoiceSource invoices;
  private final long priceMicroUsd;

  /**
   * @param offer the x402 offer; null or a blank {@code payTo}: no x402 offer
   * @param invoices the L402 invoice source, or null: no L402 challenge
   */
  PaymentChallenge(X402Offer offer, InvoiceSource invoices, long priceMicroUsd) {
    this.offer = offer == null || offer.payTo() == null || offer.payTo().isBlank() ? null : offer;
    this.invoices = invoices;
    this.priceMicroUsd = priceMicroUsd;
  }

  /** The 402 for {@code resourceUrl} (the mint URL). */
  ProviderError challenge(String resourceUrl, String description) {
    ObjectNode required = Json.newObject().put("x402Version", 2);
    if (offer == null) {
      required.put("error", "no_payment_offer");
    }
    required
        .putObject("resource")
        .put("url", resourceUrl)
        .put("description", description)
        .put("mimeType", "application/json");
    ArrayNode accepts = required.putArray("accepts");
    if (offer != null) {
      ObjectNode a =
          accepts
              .addObject()
              .put("scheme", "exact")
              .put("network", offer.network())
              .put("amount", offer.amount())
              .put("asset", offer.asset())
              .put("payTo", offer.payTo())
              .put("maxTimeoutSeconds", offer.maxTimeoutSeconds());
      a.putObject("extra").put("name", offer.name()).put("version", offer.version());
    }
    ProviderError e =
        new ProviderError(402, "payment_required", "payment required")
            .header("PAYMENT-REQUIRED", Base64.getEncoder().encodeToString(Json.bytes(required)))
            .body(Json.bytes(Json.newObject()));
    if (invoices != null) {
      InvoiceSource.Invoice invoice = invoices.create(priceMicroUsd, resourceUrl);
      e.header(
          "WWW-Authenticate",
          "L402 macaroon=\"" + invoice.macaroonB64() + "\", invoice=\"" + invoice.bolt11() + "\"");
    }
    return e;
  }
}
