package dev.briefcase.connector;

import dev.briefcase.credentials.CallCredential;
import dev.briefcase.json.JsonTree;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;
import java.util.Map;

/**
 * One call the kernel has authorised.
 *
 * @param toolId the tool to run
 * @param args the validated arguments, a JSON object as a {@link JsonTree} (unmodifiable; the
 *     constructor checks and copies what it is given)
 * @param manifest what the tool may reach; the connector enforces it
 * @param context who called
 * @param approvalId the human approval consumed for exactly this call (tool id and call hash), or
 *     {@code null} when the call runs without one; a connector may treat a non-null value as "a
 *     human approved this call" (see {@link ApprovalRequiredException})
 * @param credential the credential step 8 obtained for the tool's {@link
 *     dev.briefcase.tools.ToolSpec#credential() need}, or {@code null} for a tool that declares
 *     none
 */
public record ToolInvocation(
    String toolId,
    Map<String, Object> args,
    ToolManifest manifest,
    CallContext context,
    String approvalId,
    CallCredential credential) {

  /**
   * Copies {@code args} into an unmodifiable {@link JsonTree}.
   *
   * @throws IllegalArgumentException when {@code args} is null or not a JSON tree
   */
  public ToolInvocation {
    args = JsonTree.copyOfObject(args);
  }

  /** A call that uses no credential. */
  public ToolInvocation(
      String toolId,
      Map<String, Object> args,
      ToolManifest manifest,
      CallContext context,
      String approvalId) {
    this(toolId, args, manifest, context, approvalId, null);
  }

  /** A call that runs without a consumed approval. */
  public ToolInvocation(
      String toolId, Map<String, Object> args, ToolManifest manifest, CallContext context) {
    this(toolId, args, manifest, context, null, null);
  }

  /** Whether a human approval was consumed for exactly this call. */
  public boolean approved() {
    return approvalId != null;
  }
}
