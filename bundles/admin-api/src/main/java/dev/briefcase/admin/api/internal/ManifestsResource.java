package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.manifests.ManifestCodec;
import dev.briefcase.manifests.ManifestService;
import java.io.IOException;

/**
 * {@code /v1/tools/{id}/manifest}: {@code GET} the manifest in force for a tool (deny-all when none
 * is stored) or {@code POST} a new one (SPEC §3 Δ: receipted CRUD). The body's {@code tool_id}, if
 * present, must match the path.
 */
final class ManifestsResource {
  private final Backends backends;

  ManifestsResource(Backends backends) {
    this.backends = backends;
  }

  void serve(Exchange ex, String toolId) throws IOException, HttpError {
    ManifestService service = need(backends.manifests(), "manifests");
    if (ex.method().equals("GET")) {
      ObjectNode o = ManifestCodec.toJson(service.effective(toolId));
      o.put("stored", service.stored(toolId));
      ex.send(200, o);
      return;
    }
    requireMethod(ex, "POST");
    JsonNode body = Requests.json(ex);
    if (body == null || !body.isObject()) {
      throw HttpError.badRequest("invalid_manifest", "manifest must be a JSON object");
    }
    ObjectNode manifest = ((ObjectNode) body).deepCopy();
    JsonNode named = manifest.get("tool_id");
    if (named != null && !toolId.equals(named.asText())) {
      throw HttpError.badRequest("invalid_manifest", "tool_id in the body differs from the path");
    }
    manifest.put("tool_id", toolId);
    try {
      ObjectNode o =
          ManifestCodec.toJson(service.put(ManifestCodec.fromJson(manifest), "admin-api"));
      o.put("stored", true);
      ex.send(200, o);
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest("invalid_manifest", e.getMessage());
    }
  }
}
