package dev.briefcase.payment;

import java.util.Map;

/**
 * A 402 answer from a provider.
 *
 * @param providerBaseUrl the provider that asked
 * @param headers the challenge headers (e.g. {@code PAYMENT-REQUIRED}, {@code WWW-Authenticate})
 * @param body the response body, at most 64 KiB
 * @param maxAmountMicroUsd the most the kernel allows this payment to cost
 * @param idempotencyKey the same key for retries of one payment
 */
public record PaymentChallenge(
    String providerBaseUrl,
    Map<String, String> headers,
    String body,
    long maxAmountMicroUsd,
    String idempotencyKey) {}
