package dev.briefcase.connector;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;

/**
 * One call the kernel has authorised.
 *
 * @param toolId the tool to run
 * @param args the validated arguments; a private copy, so changing it changes nothing upstream
 * @param manifest what the tool may reach; the connector enforces it
 * @param context who called
 * @param approvalId the human approval consumed for exactly this call (tool id and call hash), or
 *     {@code null} when the call runs without one; a connector may treat a non-null value as "a
 *     human approved this call" (see {@link ApprovalRequiredException})
 */
public record ToolInvocation(
    String toolId, JsonNode args, ToolManifest manifest, CallContext context, String approvalId) {

  /** A call that runs without a consumed approval. */
  public ToolInvocation(String toolId, JsonNode args, ToolManifest manifest, CallContext context) {
    this(toolId, args, manifest, context, null);
  }

  /** Whether a human approval was consumed for exactly this call. */
  public boolean approved() {
    return approvalId != null;
  }
}
