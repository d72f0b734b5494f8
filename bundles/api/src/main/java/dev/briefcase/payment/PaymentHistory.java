package dev.briefcase.payment;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** The payments the kernel made (admin API, CLI, console), provided by the kernel. Thread-safe. */
@ProviderType
public interface PaymentHistory {

  /**
   * Payments newest first.
   *
   * @param day a UTC day {@code yyyy-mm-dd}, or null for every day
   * @param rail {@code x402} / {@code l402}, or null for every rail
   * @param limit at most this many (capped at 500)
   * @param offset how many of the newest to skip
   */
  List<PaymentRecord> list(String day, String rail, int limit, long offset);

  /** One payment by id, empty when unknown. */
  Optional<PaymentRecord> get(String id);
}
