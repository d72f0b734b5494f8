package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.plugins.PluginService;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * {@code /v1/plugins}: the list, install ({@code POST /v1/plugins}) and {@code POST
 * /v1/plugins/{bundle id}/update|start|stop|uninstall}. Install and update take the jar as the
 * request body ({@code application/java-archive}); install also takes {@code {"url": ...}}. The
 * kernel's plugin service receipts every change and refusal.
 */
final class PluginsResource implements Router.Resource {
  static final int MAX_PLUGIN_BODY = 64 << 20;

  private final Backends backends;
  private final boolean devLoopback;

  /**
   * @param devLoopback whether a plugin URL may name a loopback host (not in {@code ga})
   */
  PluginsResource(Backends backends, boolean devLoopback) {
    this.backends = backends;
    this.devLoopback = devLoopback;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2 && ex.method().equals("GET")) {
      ArrayNode arr = Views.JSON.createArrayNode();
      need(backends.plugins(), "plugin service").list().forEach(i -> arr.add(Views.plugin(i)));
      ex.send(200, wrap("plugins", arr));
      return;
    }
    if (p.length == 2) {
      requireMethod(ex, "POST");
      change(ex, null, "install");
      return;
    }
    if (p.length == 4) {
      requireMethod(ex, "POST");
      change(ex, p[2], p[3]);
      return;
    }
    throw HttpError.notFound();
  }

  private void change(Exchange ex, String idText, String action) throws IOException, HttpError {
    PluginService service = need(backends.plugins(), "plugin service");
    long id = -1;
    if (idText != null) {
      try {
        id = Long.parseLong(idText);
      } catch (NumberFormatException e) {
        throw HttpError.badRequest("invalid_request", "plugin id must be a bundle id");
      }
    }
    switch (action) {
      case "install" -> install(ex, service);
      case "update" -> ex.send(200, Views.plugin(service.update(id, jar(ex), "admin-api")));
      case "start" -> {
        Requests.drain(ex);
        ex.send(200, Views.plugin(service.start(id, "admin-api")));
      }
      case "stop" -> {
        Requests.drain(ex);
        ex.send(200, Views.plugin(service.stop(id, "admin-api")));
      }
      case "uninstall" -> {
        Requests.drain(ex);
        service.uninstall(id, "admin-api");
        ObjectNode o = Views.JSON.createObjectNode();
        o.put("bundle_id", id);
        o.put("state", "uninstalled");
        ex.send(200, o);
      }
      default -> throw HttpError.notFound();
    }
  }

  /**
   * Install from the jar as the body, or from {@code {"url":"file:///…"|"https://…"}} (JSON): the
   * bytes are read or fetched first ({@link PluginSource}); nothing is installed when that fails,
   * and the plugin service receipts the install with the URL as {@code source}.
   */
  private void install(Exchange ex, PluginService service) throws IOException, HttpError {
    String type = ex.header("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      ex.send(200, Views.plugin(service.install(jar(ex), "admin-api")));
      return;
    }
    JsonNode body = Requests.json(ex, "body is not valid JSON");
    if (body == null || !body.isObject() || body.size() != 1 || !body.path("url").isTextual()) {
      throw HttpError.badRequest(
          "invalid_request", "send {\"url\": \"file:///…\" or \"https://…\"}");
    }
    PluginSource.Fetched f =
        PluginSource.fetch(
            body.get("url").textValue(), backends.egress().get(), devLoopback, MAX_PLUGIN_BODY);
    ex.send(
        200,
        Views.plugin(
            service.install(new ByteArrayInputStream(f.bytes()), "admin-api", f.source())));
  }

  /** A bundle upload: up to 64 MiB, checked to be non-empty. */
  private static InputStream jar(Exchange ex) throws IOException, HttpError {
    byte[] bytes = ex.readBody(MAX_PLUGIN_BODY, "a plugin bundle may be at most 64 MiB");
    if (bytes.length == 0) {
      throw HttpError.badRequest("invalid_bundle", "send the bundle jar as the request body");
    }
    return new ByteArrayInputStream(bytes);
  }
}
