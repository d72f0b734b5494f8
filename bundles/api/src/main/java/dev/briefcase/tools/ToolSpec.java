package dev.briefcase.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A tool as a connector declares it (SPEC §3). Immutable; the JSON schemas must not be modified by
 * holders.
 *
 * @param id the tool id agents call, unique across connectors (e.g. {@code echo})
 * @param name a human title
 * @param description what the tool does, shown to agents and approvers
 * @param inputSchema a JSON Schema 2020-12 object; every new tool declares a strict schema
 * @param outputSchema a JSON Schema of the result, or {@code null}
 * @param category {@code read}, {@code write}, {@code admin} or another label
 * @param costMicroUsd the estimated cost of one call in micro-USD, {@code >= 0}
 * @param outputFirewall which parts of the result may reach the agent
 */
public record ToolSpec(
    String id,
    String name,
    String description,
    JsonNode inputSchema,
    JsonNode outputSchema,
    String category,
    long costMicroUsd,
    OutputFirewall outputFirewall) {

  public static final String READ = "read";
  public static final String WRITE = "write";
  public static final String ADMIN = "admin";

  public ToolSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(inputSchema, "inputSchema");
    Objects.requireNonNull(category, "category");
    Objects.requireNonNull(outputFirewall, "outputFirewall");
    if (costMicroUsd < 0) {
      throw new IllegalArgumentException("costMicroUsd < 0");
    }
  }

  /** True for the built-in categories {@code read}, {@code write} and {@code admin}. */
  public boolean hasStandardCategory() {
    return READ.equals(category) || WRITE.equals(category) || ADMIN.equals(category);
  }
}
