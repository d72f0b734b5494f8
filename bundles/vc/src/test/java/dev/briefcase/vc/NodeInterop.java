package dev.briefcase.vc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.testing.NodeProject;
import java.time.Duration;
import java.util.List;

/**
 * The Node side of {@link InteropTest} ({@code src/test/js}, installed by {@link NodeProject}):
 * {@code interop.mjs} on Node 22 with a JSON array of requests on stdin; it answers a JSON array on
 * stdout.
 */
final class NodeInterop {
  private static final NodeProject JS =
      NodeProject.at("briefcase.vc.js", "src/test/js", "did-jwt-vc");

  private NodeInterop() {}

  static JsonNode run(List<?> requests) throws Exception {
    return JS.runJson("interop.mjs", requests, Duration.ofSeconds(120));
  }
}
