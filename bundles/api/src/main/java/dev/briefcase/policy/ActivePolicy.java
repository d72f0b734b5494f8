package dev.briefcase.policy;

import java.time.Instant;

/**
 * The policy in force.
 *
 * @param policyText the Cedar text
 * @param policyHashHex lowercase hex SHA-256 of the UTF-8 text
 * @param updatedAt when it was applied
 */
public record ActivePolicy(String policyText, String policyHashHex, Instant updatedAt) {}
