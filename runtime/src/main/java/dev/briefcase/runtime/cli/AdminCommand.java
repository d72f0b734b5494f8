package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Shared plumbing of the subcommands: the root command, output streams, {@code --json}. */
abstract class AdminCommand {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print the raw JSON answer of the admin API.")
  boolean json;

  BriefcaseCommand root() {
    return (BriefcaseCommand) spec.root().userObject();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  String pretty(JsonNode node) {
    try {
      return root().mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      return String.valueOf(node);
    }
  }

  /** A field as text, or "-" when absent or null. */
  static String text(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v == null || v.isNull() ? "-" : v.isValueNode() ? v.asText() : v.toString();
  }

  /** The array {@code field} of an object answer, or the answer itself if it is an array. */
  static Iterable<JsonNode> list(JsonNode body, String field) {
    if (body != null && body.isArray()) {
      return body;
    }
    JsonNode items = body == null ? null : body.get(field);
    return items != null && items.isArray() ? items : java.util.List.of();
  }
}
