package dev.briefcase.payment;

import java.time.Instant;
import java.util.Map;

/**
 * One payment as the kernel stored it: metadata only, never a header, signature, proof or preimage.
 *
 * @param id the payment id (a UUID)
 * @param created when it was first authorised
 * @param updated when its state last changed
 * @param day the UTC day it counts against ({@code yyyy-mm-dd})
 * @param requestId the request id of the call that last attempted it
 * @param toolId the tool whose call paid
 * @param provider the provider base URL that asked
 * @param rail {@code x402} or {@code l402}
 * @param amountMicroUsd the amount gated and paid
 * @param description the rail's one-line description of the quote
 * @param facts the quote's public facts (asset, network, amount_msat, …)
 * @param state {@code authorising}, {@code paid}, {@code failed}, {@code settled} or {@code
 *     rejected}
 * @param code the stable error code of a failed or rejected payment, else null
 * @param reference the public reference (nonce, transaction hash, payment hash), else null
 * @param attempts how many times its key was sent to the rail
 */
public record PaymentRecord(
    String id,
    Instant created,
    Instant updated,
    String day,
    String requestId,
    String toolId,
    String provider,
    String rail,
    long amountMicroUsd,
    String description,
    Map<String, String> facts,
    String state,
    String code,
    String reference,
    int attempts) {

  public PaymentRecord {
    facts = Map.copyOf(facts);
  }
}
