package dev.briefcase.payment;

import dev.briefcase.secrets.Sensitive;
import java.util.Map;

/**
 * The credential for the paid retry and the facts for the payment receipt.
 *
 * @param retryHeaders headers to send on the retry ({@code PAYMENT-SIGNATURE}, {@code
 *     Authorization: L402 …}); secret, never logged or receipted
 * @param amountMicroUsd what was paid
 * @param reference a public reference such as the EIP-3009 nonce or the payment hash; never a
 *     signature or preimage
 */
public record PaymentProof(
    Sensitive<Map<String, String>> retryHeaders, long amountMicroUsd, String reference) {}
