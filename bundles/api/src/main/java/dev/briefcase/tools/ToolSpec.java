package dev.briefcase.tools;

import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.json.JsonTree;
import java.util.Map;
import java.util.Objects;

/**
 * A tool as a connector declares it (SPEC §3). Immutable: the JSON schemas are checked and copied
 * into unmodifiable {@link JsonTree} objects.
 *
 * @param id the tool id agents call, unique across connectors (e.g. {@code echo})
 * @param name a human title
 * @param description what the tool does, shown to agents and approvers
 * @param inputSchema a JSON Schema 2020-12 object as a {@link JsonTree}; every new tool declares a
 *     strict schema
 * @param outputSchema a JSON Schema of the result as a {@link JsonTree} object, or {@code null}
 * @param category {@code read}, {@code write}, {@code admin} or another label
 * @param costMicroUsd the estimated cost of one call in micro-USD, {@code >= 0}
 * @param outputFirewall which parts of the result may reach the agent
 * @param credential what step 8 obtains for the call (a provider's OAuth token, an API key), or
 *     {@code null} for a tool that uses none
 */
public record ToolSpec(
    String id,
    String name,
    String description,
    Map<String, Object> inputSchema,
    Map<String, Object> outputSchema,
    String category,
    long costMicroUsd,
    OutputFirewall outputFirewall,
    CredentialNeed credential) {

  public static final String READ = "read";
  public static final String WRITE = "write";
  public static final String ADMIN = "admin";

  /**
   * Checks and copies.
   *
   * @throws NullPointerException when a required component is null
   * @throws IllegalArgumentException when a schema is not a JSON tree, or the cost is negative
   */
  public ToolSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    inputSchema = JsonTree.copyOfObject(Objects.requireNonNull(inputSchema, "inputSchema"));
    outputSchema = outputSchema == null ? null : JsonTree.copyOfObject(outputSchema);
    Objects.requireNonNull(category, "category");
    Objects.requireNonNull(outputFirewall, "outputFirewall");
    if (costMicroUsd < 0) {
      throw new IllegalArgumentException("costMicroUsd < 0");
    }
  }

  /** A tool that uses no credential. */
  public ToolSpec(
      String id,
      String name,
      String description,
      Map<String, Object> inputSchema,
      Map<String, Object> outputSchema,
      String category,
      long costMicroUsd,
      OutputFirewall outputFirewall) {
    this(
        id,
        name,
        description,
        inputSchema,
        outputSchema,
        category,
        costMicroUsd,
        outputFirewall,
        null);
  }

  /** True for the built-in categories {@code read}, {@code write} and {@code admin}. */
  public boolean hasStandardCategory() {
    return READ.equals(category) || WRITE.equals(category) || ADMIN.equals(category);
  }
}
