package dev.briefcase.payment;

import dev.briefcase.secrets.Sensitive;
import java.util.Map;

/**
 * A payment the kernel made for one call, and what the connector sends on its single paid retry.
 *
 * @param paymentId the kernel's id of the payment row (a UUID); hand the whole value back to {@link
 *     PaymentService#settled}
 * @param rail the scheme of the rail that paid ({@code x402}, {@code l402})
 * @param amountMicroUsd what was paid, as gated against the call's budget
 * @param retryHeaders the headers to add to the retry ({@code PAYMENT-SIGNATURE}, {@code
 *     Authorization: L402 …}); secret: never logged, returned or receipted
 */
public record PaidRetry(
    String paymentId,
    String rail,
    long amountMicroUsd,
    Sensitive<Map<String, String>> retryHeaders) {

  @Override
  public String toString() {
    return "PaidRetry[" + paymentId + ", " + rail + ", " + amountMicroUsd + " µUSD]";
  }
}
