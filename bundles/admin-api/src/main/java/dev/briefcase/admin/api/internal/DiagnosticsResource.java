package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** SPEC §18 {@code GET /v1/diagnostics/security}: the checks this kernel can vouch for. */
final class DiagnosticsResource implements Router.Resource {
  private final Backends backends;

  DiagnosticsResource(Backends backends) {
    this.backends = backends;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length != 3 || !p[2].equals("security")) {
      throw HttpError.notFound();
    }
    requireMethod(ex, "GET");
    ObjectNode custody = Views.custody(need(backends.keys(), "key directory").check());
    ObjectNode o = Views.JSON.createObjectNode();
    ArrayNode checks = o.putArray("checks");
    checks
        .addObject()
        .put("name", "daemon_auth_required")
        .put("ok", true)
        .put("detail", "every /v1 route needs the bearer token");
    checks
        .addObject()
        .put("name", "key_custody")
        .put("ok", custody.get("ok").asBoolean())
        .put("detail", custody.get("detail").asText());
    o.set("key_custody", custody);
    ex.send(200, o);
  }
}
