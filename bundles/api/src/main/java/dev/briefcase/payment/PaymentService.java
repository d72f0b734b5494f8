package dev.briefcase.payment;

import dev.briefcase.connector.ToolInvocation;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Answers a provider's 402 for a call that is running (SPEC §14.5), provided by the kernel. A
 * connector (or a credential strategy acting for it) hands over the 402 it received; the kernel
 * looks the {@link PaymentRail rails} up, takes the first quote in its rail order, gates the amount
 * against the call's budget category in one atomic step, persists the payment with its idempotency
 * key, lets the rail pay and writes a {@code payment} receipt. The connector retries its request
 * once with {@link PaidRetry#retryHeaders()} and reports the answer to {@link #settled}.
 * Thread-safe; consumers reference it optional and dynamic (absent: the 402 stays {@code
 * payment_required}).
 */
@ProviderType
public interface PaymentService {

  /** No rail is registered: {@code payment_rail_unavailable}. */
  String RAIL_UNAVAILABLE = "payment_rail_unavailable";

  /** No rail answers the challenge: {@code payment_required}. */
  String PAYMENT_REQUIRED = "payment_required";

  /** The invocation is not a call the kernel is running now: {@code payment_call_unknown}. */
  String CALL_UNKNOWN = "payment_call_unknown";

  /** {@link #settled} was given a payment this kernel did not make for a running call. */
  String PAYMENT_UNKNOWN = "payment_unknown";

  /**
   * Pays a 402.
   *
   * @param call the invocation the kernel handed to the connector (the same object)
   * @param providerBaseUrl scheme, host and port of the provider that answered 402
   * @param status the status of the answer (402)
   * @param headers its headers (any case; every value of a repeated header, in order)
   * @param body its body (at most 64 KiB is looked at)
   * @return the credential for the single paid retry
   * @throws PaymentApprovalRequiredException the amount does not fit the budget and the call
   *     carries no approval: nothing was paid
   * @throws PaymentException {@value #RAIL_UNAVAILABLE}, {@value #PAYMENT_REQUIRED}, {@value
   *     #CALL_UNKNOWN}, a rail's code ({@code payment_challenge_invalid}, {@code
   *     payment_amount_too_high}, {@code payment_helper_*}, …)
   */
  PaidRetry pay(
      ToolInvocation call,
      String providerBaseUrl,
      int status,
      Map<String, List<String>> headers,
      String body)
      throws PaymentException;

  /**
   * The provider's answer to the paid retry.
   *
   * @return the settlement when the answer confirms the payment
   * @throws PaymentException {@code payment_rejected} (the provider refused the credential), {@code
   *     payment_response_invalid}, {@value #PAYMENT_UNKNOWN}
   */
  PaymentSettlement settled(PaidRetry retry, int status, Map<String, List<String>> headers)
      throws PaymentException;
}
