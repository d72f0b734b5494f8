package dev.briefcase.receipts;

/**
 * The result of walking the chain.
 *
 * @param ok true when every link verifies
 * @param count how many receipts were checked
 * @param headHashHex the hash of the last receipt checked
 * @param firstBadId the first receipt that does not verify, or {@code null}
 * @param expectedPrevHashHex the previous hash that receipt should have carried, or {@code null}
 * @param reason {@code chain_broken} (a gap or wrong link) or {@code hash_mismatch}, or {@code
 *     null}
 */
public record VerifyResult(
    boolean ok,
    long count,
    String headHashHex,
    Long firstBadId,
    String expectedPrevHashHex,
    String reason) {}
