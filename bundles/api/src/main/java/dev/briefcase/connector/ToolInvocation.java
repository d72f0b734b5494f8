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
 */
public record ToolInvocation(
    String toolId, JsonNode args, ToolManifest manifest, CallContext context) {}
