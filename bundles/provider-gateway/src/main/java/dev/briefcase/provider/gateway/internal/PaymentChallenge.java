package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The 402 answer to an unauthenticated mint of a priced tool (SPEC §14.1/§14.2): x402 v2 {@code
 * PAYMENT-REQUIRED} (standard base64 of the JSON challenge; one {@code exact} offer from the
 * configuration, or none when no {@code payTo} is configured) and, only when an {@link
 * InvoiceSource} is present, the L402 {@code WWW-Authenticate} challenge. Body {@code {}}, or
 * {@code {"error": code}} when a paid retry was refused. A paid retry ({@code PAYMENT-SIGNATURE})
 * is checked and settled by {@link #x402()}.
 */
final class PaymentChallenge {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentChallenge.class);

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
  private final X402Acceptor acceptor;

  /**
   * A challenge that accepts no paid retry (every {@code PAYMENT-SIGNATURE} is refused).
   *
   * @param offer the x402 offer; null or a blank {@code payTo}: no x402 offer
   * @param invoices the L402 invoice source, or null: no L402 challenge
   */
  PaymentChallenge(X402Offer offer, InvoiceSource invoices, long priceMicroUsd) {
    this(offer, invoices, priceMicroUsd, null);
  }

  /**
   * A challenge whose paid retries {@code acceptor} checks and settles.
   *
   * @param acceptor builds the acceptor of paid retries for this offer, or null: none accepted
   */
  PaymentChallenge(
      X402Offer offer, InvoiceSource invoices, long priceMicroUsd, X402Acceptor.Factory acceptor) {
    this.offer = offer == null || offer.payTo() == null || offer.payTo().isBlank() ? null : offer;
    this.invoices = invoices;
    this.priceMicroUsd = priceMicroUsd;
    this.acceptor = this.offer == null || acceptor == null ? null : acceptor.create(this);
  }

  /** The L402 gate of paid retries; null when no Lightning node is configured. */
  L402Gate l402() {
    return invoices instanceof L402Gate gate ? gate : null;
  }

  /** The acceptor of paid x402 retries; null when there is no offer or no facilitator. */
  X402Acceptor x402() {
    return acceptor;
  }

  /** The x402 offer as it appears in {@code accepts}; null when there is none. */
  ObjectNode offerJson() {
    if (offer == null) {
      return null;
    }
    ObjectNode a =
        Json.newObject()
            .put("scheme", "exact")
            .put("network", offer.network())
            .put("amount", offer.amount())
            .put("asset", offer.asset())
            .put("payTo", offer.payTo())
            .put("maxTimeoutSeconds", offer.maxTimeoutSeconds());
    a.putObject("extra").put("name", offer.name()).put("version", offer.version());
    return a;
  }

  /** The configured offer, or null. */
  X402Offer offer() {
    return offer;
  }

  /** The 402 for {@code resourceUrl} (the mint URL). */
  ProviderError challenge(String resourceUrl, String description) {
    return challenge(resourceUrl, description, null);
  }

  /**
   * The 402 for {@code resourceUrl}; {@code refusal} (a stable code, or null) names why a paid
   * retry was refused: it is the {@code error} of the fresh challenge, of the body and of {@code
   * x-briefcase-error}.
   */
  ProviderError challenge(String resourceUrl, String description, String refusal) {
    ObjectNode required = Json.newObject().put("x402Version", 2);
    if (refusal != null) {
      required.put("error", refusal);
    } else if (offer == null) {
      required.put("error", "no_payment_offer");
    }
    required
        .putObject("resource")
        .put("url", resourceUrl)
        .put("description", description)
        .put("mimeType", "application/json");
    ArrayNode accepts = required.putArray("accepts");
    if (offer != null) {
      accepts.add(offerJson());
    }
    ProviderError e =
        new ProviderError(402, refusal == null ? "payment_required" : refusal, "payment required")
            .header("PAYMENT-REQUIRED", Base64.getEncoder().encodeToString(Json.bytes(required)))
            .body(
                Json.bytes(
                    refusal == null ? Json.newObject() : Json.newObject().put("error", refusal)));
    if (invoices != null) {
      try {
        InvoiceSource.Invoice invoice = invoices.create(priceMicroUsd, resourceUrl);
        e.header(
            "WWW-Authenticate",
            "L402 macaroon=\""
                + invoice.macaroonB64()
                + "\", invoice=\""
                + invoice.bolt11()
                + "\"");
      } catch (ProviderError failed) {
        // the node cannot make an invoice: the 402 still offers x402; a client that only speaks
        // L402 sees no L402 challenge rather than an unpayable one
        LOG.warn("no L402 challenge: {} ({})", failed.code(), failed.getMessage());
      }
    }
    return e;
  }
}
