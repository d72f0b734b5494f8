package dev.briefcase.payment;

/**
 * What the provider's answer to the paid retry says about the payment.
 *
 * @param reference the public settlement reference: the transaction hash of x402 {@code
 *     PAYMENT-RESPONSE}, or the L402 payment hash
 * @param payer the paying address or node, when the answer names one, else null
 */
public record PaymentSettlement(String reference, String payer) {}
