package dev.briefcase.connector;

import dev.briefcase.json.JsonTree;

/**
 * What a tool returned, before the output firewall.
 *
 * @param content the result, usually a JSON object, as a {@link JsonTree} (the constructor checks
 *     it and keeps an unmodifiable copy); {@code null} is an empty result, which the kernel answers
 *     as {@code tool_failed}
 * @param source provenance such as {@code local:echo}
 * @param actualCostMicroUsd what the call really cost, or {@code null} to use the estimate
 * @param truncated the tool cut what it received to fit its limits (e.g. an upstream body larger
 *     than the response cap); the kernel records it in the allow receipt
 */
public record ToolResult(
    Object content, String source, Long actualCostMicroUsd, boolean truncated) {

  /**
   * Copies {@code content} into an unmodifiable {@link JsonTree}.
   *
   * @throws IllegalArgumentException when {@code content} is not a JSON tree
   */
  public ToolResult {
    content = JsonTree.copyOf(content);
  }

  /** A complete (not truncated) result. */
  public ToolResult(Object content, String source, Long actualCostMicroUsd) {
    this(content, source, actualCostMicroUsd, false);
  }

  /** A result whose cost is the tool's estimate. */
  public static ToolResult of(Object content, String source) {
    return new ToolResult(content, source, null);
  }
}
