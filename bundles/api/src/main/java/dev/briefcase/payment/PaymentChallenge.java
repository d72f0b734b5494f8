package dev.briefcase.payment;

import java.util.List;
import java.util.Map;

/**
 * A 402 answer from a provider, as the kernel hands it to a rail.
 *
 * @param providerBaseUrl the provider that asked (scheme, host and port; the rail sends nothing
 *     anywhere else)
 * @param headers the response headers, names lower-case, every value of a repeated header kept in
 *     order (a client must scan every {@code WWW-Authenticate} value)
 * @param body the response body, at most 64 KiB
 * @param maxAmountMicroUsd the most the kernel allows this payment to cost
 * @param idempotencyKey the same key for every retry of one payment, persisted by the kernel before
 *     the rail is asked to pay; a rail (and its helper) given a key it has seen re-sends the same
 *     authorisation instead of paying again
 */
public record PaymentChallenge(
    String providerBaseUrl,
    Map<String, List<String>> headers,
    String body,
    long maxAmountMicroUsd,
    String idempotencyKey) {

  public PaymentChallenge {
    headers = Map.copyOf(headers);
  }

  /** Every value of header {@code name} (any case), in order; empty when absent. */
  public List<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
    return values == null ? List.of() : values;
  }
}
