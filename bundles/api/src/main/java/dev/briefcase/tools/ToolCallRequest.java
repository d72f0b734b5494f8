package dev.briefcase.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One tool call as an untrusted caller sends it.
 *
 * @param toolId the tool to call
 * @param args the arguments, a JSON object; validated by the kernel, never trusted
 * @param context who calls
 * @param approvalToken the token issued when a human approved exactly this call for this caller
 *     (never the approval id), or {@code null}
 * @param argsDefect set by a transport whose raw arguments were not I-JSON in a way the parsed tree
 *     can no longer show (e.g. duplicate keys); the kernel then denies with {@code invalid_args}.
 *     {@code null} when the raw arguments were fine
 */
public record ToolCallRequest(
    String toolId, JsonNode args, CallContext context, String approvalToken, String argsDefect) {
  public ToolCallRequest {
    Objects.requireNonNull(toolId, "toolId");
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(context, "context");
  }

  /** A request whose raw arguments parsed cleanly. */
  public ToolCallRequest(String toolId, JsonNode args, CallContext context, String approvalToken) {
    this(toolId, args, context, approvalToken, null);
  }
}
