package dev.briefcase.rail.x402.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.payhelper.client.PaymentHelperClient;
import dev.briefcase.payment.PaymentException;
import dev.briefcase.x402.Authorization;
import dev.briefcase.x402.Eip3009;
import dev.briefcase.x402.Offer;
import dev.briefcase.x402.PaymentSignature;
import java.math.BigInteger;
import java.time.Clock;

/**
 * Checks what the payment helper signed before it leaves as a credential: the helper holds the key,
 * but it cannot redirect money, change the amount or the terms, or hand back a long-lived
 * authorisation without the rail noticing.
 */
final class SignedOffer {
  /** Clock skew allowed between this process and the helper when bounding {@code validBefore}. */
  static final long SKEW_SECONDS = 60;

  private final Clock clock;

  SignedOffer(Clock clock) {
    this.clock = clock;
  }

  PaymentSignature verify(JsonNode answer, Offer offer) throws PaymentException {
    JsonNode value = answer.get("payment_signature_b64");
    if (value == null || !value.isTextual()) {
      throw refuse("payment_signature_b64 is not a string");
    }
    PaymentSignature signed;
    try {
      signed = PaymentSignature.parse(value.textValue());
    } catch (PaymentException e) {
      throw refuse("payment_signature_b64 is not a PAYMENT-SIGNATURE");
    }
    Authorization a = signed.authorization();
    if (!signed.accepted().equals(offer.node())) {
      throw refuse("the helper signed another offer than the one chosen");
    }
    if (!Eip3009.sameAddress(a.to(), offer.payTo())) {
      throw refuse("the helper's authorisation pays another recipient");
    }
    if (!a.value().equals(offer.amount())) {
      throw refuse("the helper's authorisation is for another amount");
    }
    BigInteger now = BigInteger.valueOf(clock.instant().getEpochSecond());
    BigInteger latest = now.add(BigInteger.valueOf(offer.maxTimeoutSeconds() + SKEW_SECONDS));
    if (a.validBefore().compareTo(latest) > 0 || a.validAfter().compareTo(latest) > 0) {
      throw refuse("the helper's authorisation outlives the offer's timeout");
    }
    String signer;
    try {
      signer = Eip3009.recover(Eip3009.digest(Eip3009.Domain.of(offer), a), signed.signature());
    } catch (PaymentException e) {
      throw refuse("the helper's signature is malformed");
    }
    if (!Eip3009.sameAddress(signer, a.from())) {
      throw refuse("the helper's signature is not from the authorisation's payer");
    }
    if (!matches(answer, "payer", a.from()) || !matches(answer, "nonce", a.nonce())) {
      throw refuse("the helper's payer or nonce disagrees with what it signed");
    }
    return signed;
  }

  /** An optional member of the answer, when present, names the same thing (hex in any case). */
  private static boolean matches(JsonNode answer, String field, String expected) {
    JsonNode v = answer.get(field);
    return v == null || (v.isTextual() && v.textValue().equalsIgnoreCase(expected));
  }

  private static PaymentException refuse(String message) {
    return new PaymentException(PaymentHelperClient.INVALID_RESPONSE, message);
  }
}
