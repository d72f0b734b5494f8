package dev.briefcase.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One tool call as an untrusted caller sends it.
 *
 * @param toolId the tool to call
 * @param args the arguments, a JSON object; validated by the kernel, never trusted
 * @param context who calls
 * @param approvalToken the id of an approved approval for exactly this call, or {@code null}
 */
public record ToolCallRequest(
    String toolId, JsonNode args, CallContext context, String approvalToken) {
  public ToolCallRequest {
    Objects.requireNonNull(toolId, "toolId");
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(context, "context");
  }
}
