package dev.briefcase.tools;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * Where a result came from (SPEC §2).
 *
 * @param source e.g. {@code local:echo} or {@code provider:demo}
 * @param costUsd what the call cost, or {@code null} when free
 * @param timestamp when the call finished
 * @param receiptId the receipt that records the call
 */
public record Provenance(String source, BigDecimal costUsd, Instant timestamp, long receiptId) {}
