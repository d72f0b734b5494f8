package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Requests.requireMethod;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.tools.ToolCallService;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The routes open without the token: {@code /health} (the listener answers), {@code /ready} (which
 * kernel services are bound; 503 until all are) and {@code /openapi.json}.
 */
final class OpenRoutes {
  private final Backends backends;
  private final byte[] openApi;

  OpenRoutes(Backends backends) throws IOException {
    this.backends = backends;
    this.openApi = loadOpenApi();
  }

  boolean serves(String path) {
    return path.equals("/health") || path.equals("/ready") || path.equals("/openapi.json");
  }

  void serve(Exchange ex, String path) throws IOException, HttpError {
    requireMethod(ex, "GET");
    switch (path) {
      case "/health" -> {
        ObjectNode o = Views.JSON.createObjectNode();
        o.put("status", "ok");
        o.put("ts", Instant.now().toString());
        ex.send(200, o);
      }
      case "/ready" -> ready(ex);
      default -> ex.sendRaw(200, "application/json", openApi);
    }
  }

  private void ready(Exchange ex) throws IOException {
    Map<String, Boolean> parts = new LinkedHashMap<>();
    ToolCallService t = backends.tools().get();
    parts.put("tool_pipeline", t != null);
    parts.put("approvals", backends.approvals().get() != null);
    parts.put("budgets", backends.budgets().get() != null);
    parts.put("receipts", backends.receipts().get() != null);
    parts.put("policy", backends.policy().get() != null);
    // the provider registry: without it a `providers add` right after start answers 503
    parts.put("credentials", backends.credentials().get() != null);
    int toolCount = t == null ? 0 : t.listTools().size();
    parts.put("tools", toolCount > 0);
    boolean ready = !parts.containsValue(false);
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("ready", ready);
    o.put("tool_count", toolCount);
    ObjectNode services = o.putObject("services");
    parts.forEach(services::put);
    ex.send(ready ? 200 : 503, o);
  }

  private static byte[] loadOpenApi() throws IOException {
    try (InputStream in = OpenRoutes.class.getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new IOException("openapi.json is missing from the bundle");
      }
      return in.readAllBytes();
    }
  }
}
