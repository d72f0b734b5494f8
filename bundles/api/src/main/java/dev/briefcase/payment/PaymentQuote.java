package dev.briefcase.payment;

/**
 * What a payment would cost.
 *
 * @param amountMicroUsd the price in micro-USD
 * @param description e.g. asset and network, or the invoice amount in msat
 */
public record PaymentQuote(long amountMicroUsd, String description) {}
