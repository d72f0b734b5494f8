package dev.briefcase.payment;

import dev.briefcase.secrets.Sensitive;
import java.util.Map;

/**
 * The credential for the paid retry and the facts for the payment receipt.
 *
 * @param retryHeaders headers to send on the retry; secret, never logged or receipted
 * @param amountMicroUsd what was paid
 * @param reference a public reference such as a transaction or payment hash
 */
public record PaymentProof(
    Sensitive<Map<String, String>> retryHeaders, long amountMicroUsd, String reference) {}
