package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.AllowSchemaLoader;
import dev.briefcase.edge.OneLine;
import dev.briefcase.tools.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates call arguments against the tool's JSON Schema 2020-12 (SPEC §2 step 3) and checks that
 * they are I-JSON. Compiled schemas are cached per {@link ToolSpec} instance, so a replaced
 * connector's new schema is compiled on first use and the old one is dropped with it.
 */
final class ArgsValidator {
  /** SPEC §2: at most five messages, joined with "; ". */
  static final int MAX_MESSAGES = 5;

  private static final int MAX_MESSAGE_CHARS = 120;

  // A tool's schema (a sandboxed plugin's too) never makes the kernel fetch a document: only the
  // meta-schemas the library maps to its own classpath load; any other $ref or $schema target
  // fails the schema, and the call with it.
  private final JsonSchemaFactory factory =
      JsonSchemaFactory.getInstance(
          SpecVersion.VersionFlag.V202012,
          b ->
              b.schemaLoaders(
                  loaders ->
                      loaders.add(
                          new AllowSchemaLoader(iri -> iri.toString().startsWith("classpath:")))));
  // patterns come from the plugin and the text from the agent: matching is time-bounded
  private final SchemaValidatorsConfig config =
      SchemaValidatorsConfig.builder().regularExpressionFactory(new BoundedPatterns()).build();
  // keyed by instance: a ToolSpec record's own hashCode walks both schema trees, on every call
  private final Map<SpecInstance, JsonSchema> compiled = new ConcurrentHashMap<>();

  /** A spec compared by identity, which is what "this connector's schema" means here. */
  private record SpecInstance(ToolSpec spec) {
    @Override
    public boolean equals(Object o) {
      return o instanceof SpecInstance other && other.spec == spec;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(spec);
    }
  }

  /** Problems with {@code args}, empty when they are valid. */
  List<String> problems(ToolSpec spec, JsonNode args) {
    List<String> problems = CanonicalJson.iJsonProblems(args, MAX_MESSAGES);
    if (!problems.isEmpty()) {
      return problems;
    }
    if (!args.isObject()) {
      return List.of("$: arguments must be a JSON object");
    }
    JsonSchema schema =
        compiled.computeIfAbsent(
            new SpecInstance(spec),
            k -> factory.getSchema(PlainJson.node(k.spec().inputSchema()), config));
    Set<ValidationMessage> messages;
    try {
      messages = BoundedPatterns.within(() -> schema.validate(args));
    } catch (BoundedPatterns.TooSlow e) {
      return List.of(
          "$: a pattern check took longer than " + BoundedPatterns.BUDGET_MILLIS + " ms");
    }
    List<String> out = new ArrayList<>();
    for (ValidationMessage m : messages) {
      if (out.size() == MAX_MESSAGES) {
        break;
      }
      out.add(OneLine.of(m.getMessage(), MAX_MESSAGE_CHARS));
    }
    return out;
  }

  /** Forgets schemas of tools that are no longer offered. */
  void retainOnly(java.util.Collection<ToolSpec> current) {
    Set<SpecInstance> keep = new java.util.HashSet<>();
    current.forEach(spec -> keep.add(new SpecInstance(spec)));
    compiled.keySet().retainAll(keep);
  }
}
