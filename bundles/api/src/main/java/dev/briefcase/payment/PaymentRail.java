package dev.briefcase.payment;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A plugin that answers an HTTP 402 challenge with a payment credential. The kernel converts the
 * amount to micro-USD and gates it against the budget before calling {@link #pay}; the rail never
 * pays more than {@link PaymentChallenge#maxAmountMicroUsd()}. Register with {@value #SCHEME}.
 */
@ConsumerType
public interface PaymentRail {

  /** Service property naming the scheme the rail answers: {@code x402} or {@code l402}. */
  String SCHEME = "rail.scheme";

  /** Whether this rail can answer the challenge, and for how much. Must not pay. */
  PaymentQuote quote(PaymentChallenge challenge) throws PaymentException;

  /** Pays and returns the credential for the retry. Idempotent per idempotency key. */
  PaymentProof pay(PaymentChallenge challenge) throws PaymentException;
}
