package dev.briefcase.connector;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a tool returned, before the output firewall.
 *
 * @param content the result, usually a JSON object
 * @param source provenance such as {@code local:echo}
 * @param actualCostMicroUsd what the call really cost, or {@code null} to use the estimate
 */
public record ToolResult(JsonNode content, String source, Long actualCostMicroUsd) {
  public static ToolResult of(JsonNode content, String source) {
    return new ToolResult(content, source, null);
  }
}
