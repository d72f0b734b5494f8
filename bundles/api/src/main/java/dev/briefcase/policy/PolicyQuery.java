package dev.briefcase.policy;

/**
 * The facts a policy decides on: principal {@code User::"local-user"} with agent and session,
 * resource {@code Tool::"<id>"} with its attributes, and the request context.
 *
 * @param agentId the calling agent, or {@code null}
 * @param sessionId the calling session, or {@code null}
 * @param toolId the tool
 * @param category the tool category
 * @param costMicroUsd the estimated cost
 * @param isWrite category is {@code write}
 * @param netAccess the manifest allows some egress
 * @param fsAccess the manifest allows some filesystem prefix
 * @param hourUtc the hour of the call, 0..23
 * @param spentTodayMicroUsd what the category spent today
 */
public record PolicyQuery(
    String agentId,
    String sessionId,
    String toolId,
    String category,
    long costMicroUsd,
    boolean isWrite,
    boolean netAccess,
    boolean fsAccess,
    int hourUtc,
    long spentTodayMicroUsd) {}
