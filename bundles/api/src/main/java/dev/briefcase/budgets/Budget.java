package dev.briefcase.budgets;

/**
 * A daily limit and today's spend for one category.
 *
 * @param category {@code read}, {@code write}, {@code admin} or another label
 * @param dailyLimitMicroUsd the limit per UTC day, {@code >= 0}
 * @param spentTodayMicroUsd what was spent since 00:00 UTC
 */
public record Budget(String category, long dailyLimitMicroUsd, long spentTodayMicroUsd) {}
