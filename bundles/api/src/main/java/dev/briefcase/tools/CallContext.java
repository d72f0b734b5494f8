package dev.briefcase.tools;

import java.util.Objects;

/**
 * Who is calling and through which door.
 *
 * @param requestId a caller-chosen id for tracing (a UUID string)
 * @param agentId the agent identity if the caller knows it, else {@code null}
 * @param sessionId the MCP or API session, else {@code null}
 * @param surface the door the call came through, e.g. {@code admin-api} or {@code mcp}
 */
public record CallContext(String requestId, String agentId, String sessionId, String surface) {
  public CallContext {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(surface, "surface");
  }
}
