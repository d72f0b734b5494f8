package dev.briefcase.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP baseline: the same JDK server, worker count, bearer check, strict JSON parsing and
 * response shape as the admin API's {@code POST /v1/tools/call}, but calling the connector directly
 * — no kernel in between. Loopback only.
 */
final class EchoHttpServer implements AutoCloseable {
  private static final int MAX_BODY = 1 << 20;
  private static final ObjectMapper STRICT =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final Connector connector;
  private final byte[] expectedAuth;
  private final HttpServer server;
  private final ExecutorService workers;

  EchoHttpServer(Connector connector, String token, int threads) throws IOException {
    this.connector = connector;
    this.expectedAuth = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "bench-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    server.setExecutor(workers);
    server.createContext("/", this::handle);
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (auth == null
          || !MessageDigest.isEqual(expectedAuth, auth.getBytes(StandardCharsets.UTF_8))) {
        send(ex, 401, error("unauthorized"));
        return;
      }
      if (!"POST".equals(ex.getRequestMethod())
          || !"/v1/tools/call".equals(ex.getRequestURI().getPath())
          || body.length > MAX_BODY) {
        send(ex, 400, error("invalid_request"));
        return;
      }
      JsonNode call = STRICT.readTree(body).path("call");
      String toolId = call.path("tool_id").asText();
      Map<String, Object> args =
          call.has("args") ? JSON.convertValue(call.get("args"), MAP) : Map.of();
      CallContext ctx = new CallContext(UUID.randomUUID().toString(), null, null, "bench-http");
      ToolResult r =
          connector.execute(
              new ToolInvocation(toolId, args, ToolManifest.denyAll(toolId, "builtin"), ctx));
      ObjectNode o = JSON.createObjectNode();
      o.put("status", "ok");
      ObjectNode result = o.putObject("result");
      result.set("content", JSON.valueToTree(r.content()));
      ObjectNode prov = result.putObject("provenance");
      prov.put("source", r.source());
      prov.putNull("cost_usd");
      prov.put("timestamp", Instant.now().toString());
      send(ex, 200, o);
    } catch (Exception e) {
      send(ex, 500, error("internal_error"));
    } finally {
      ex.close();
    }
  }

  private static ObjectNode error(String code) {
    ObjectNode o = JSON.createObjectNode();
    o.putObject("error").put("code", code);
    return o;
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }
}
