package dev.briefcase.kernel.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.tools.OutputFirewall;

/**
 * The output firewall of SPEC §3. {@code allow_paths} copies only the listed dot-paths: nesting is
 * kept, arrays are not traversed, missing paths are skipped. A non-object result under {@code
 * allow_paths} yields an empty object: nothing unlisted may pass.
 */
final class OutputFilter {
  private OutputFilter() {}

  static JsonNode apply(OutputFirewall firewall, JsonNode result) {
    if (OutputFirewall.ALLOW_ALL.equals(firewall.mode())) {
      return result;
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    if (result == null || !result.isObject()) {
      return out;
    }
    for (String path : firewall.allowedPaths()) {
      copyPath(result, out, path.split("\\."), 0);
    }
    return out;
  }

  private static void copyPath(JsonNode from, ObjectNode to, String[] segments, int i) {
    JsonNode child = from.get(segments[i]);
    if (child == null) {
      return;
    }
    if (i == segments.length - 1) {
      to.set(segments[i], child.deepCopy());
      return;
    }
    if (!child.isObject()) {
      return;
    }
    JsonNode existing = to.get(segments[i]);
    ObjectNode next = existing instanceof ObjectNode o ? o : to.putObject(segments[i]);
    copyPath(child, next, segments, i + 1);
  }
}
