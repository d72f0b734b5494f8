package dev.briefcase.payment;

import java.util.Map;

/**
 * What answering a challenge would cost, decided without paying.
 *
 * @param amountMicroUsd the price in micro-USD (SPEC §14.5: atomic units × 10^(6−decimals), sats
 *     through the rail's configured rate), which the kernel gates against the budget
 * @param description one line for the approver and the receipt, e.g. {@code 10000 USDC on
 *     eip155:8453} or {@code 100000 msat}; never a secret
 * @param facts public facts for the {@code payment} receipt ({@code asset}, {@code network}, {@code
 *     amount_atomic}, {@code amount_msat}, {@code payment_hash}, …); never a signature, proof or
 *     preimage
 */
public record PaymentQuote(long amountMicroUsd, String description, Map<String, String> facts) {
  public PaymentQuote {
    facts = Map.copyOf(facts);
  }
}
