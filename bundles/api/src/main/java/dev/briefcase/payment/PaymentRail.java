package dev.briefcase.payment;

import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A plugin that answers an HTTP 402 challenge with a payment credential (SPEC §14). The kernel
 * looks the rails up for each call, asks each for a {@link #quote}, converts nothing itself (the
 * quote is already in micro-USD), gates the amount against the call's budget and persists the
 * idempotency key before it calls {@link #pay}; after the retry it hands the provider's answer to
 * {@link #settled}. A rail never pays more than {@link PaymentChallenge#maxAmountMicroUsd()}, never
 * holds a wallet key (the payment helper does), and never puts a signature, proof or preimage in a
 * message, log or receipt fact. Register with {@value #SCHEME}.
 */
@ConsumerType
public interface PaymentRail {

  /** Service property naming the scheme the rail answers: {@code x402} or {@code l402}. */
  String SCHEME = "rail.scheme";

  /**
   * Whether this rail can answer the challenge, and for how much. Must not pay and must not call
   * the payment helper.
   *
   * @return the quote, or null when the challenge carries nothing this rail answers
   * @throws PaymentException a stable code when the challenge is for this rail but malformed,
   *     oversized or outside the rail's policy ({@code payment_challenge_invalid}, {@code
   *     payment_offer_refused}, {@code payment_amount_too_high}, …)
   */
  PaymentQuote quote(PaymentChallenge challenge) throws PaymentException;

  /**
   * Pays (through the payment helper) and returns the credential for the retry. Idempotent per
   * {@link PaymentChallenge#idempotencyKey()}: the same key yields the same authorisation.
   */
  PaymentProof pay(PaymentChallenge challenge, PaymentQuote quote) throws PaymentException;

  /**
   * The provider's answer to the paid retry ({@code status}, headers with lower-case names).
   *
   * @return the settlement when the answer confirms the payment
   * @throws PaymentException {@code payment_rejected} when the provider refused the credential
   *     (401/402), {@code payment_response_invalid} when its settlement facts are malformed or do
   *     not match what was paid (payer, network)
   */
  PaymentSettlement settled(
      PaymentChallenge challenge, PaymentProof proof, int status, Map<String, List<String>> headers)
      throws PaymentException;
}
