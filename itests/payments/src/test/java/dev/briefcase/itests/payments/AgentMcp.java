package dev.briefcase.itests.payments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.testing.Poll;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The agent as an MCP client of the agent-side gateway: streamable HTTP by hand (initialize, then
 * {@code tools/call}), with the gateway's bearer token from the data directory.
 */
final class AgentMcp {
  private static final String VERSION = "2025-11-25";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;
  private final String token;
  private final String session;
  private int ids = 1;

  private AgentMcp(URI uri, String token) throws Exception {
    this.uri = uri;
    this.token = token;
    HttpResponse<String> init =
        post(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\""
                + VERSION
                + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"briefcase-itest-payer\","
                + "\"version\":\"1.0.0\"}}}",
            null);
    session =
        init.headers()
            .firstValue("Mcp-Session-Id")
            .orElseThrow(() -> new IOException("initialize: " + init.body()));
    post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", session);
  }

  /** Connects to the gateway of the agent whose data directory is {@code dataDir}. */
  static AgentMcp connect(Path dataDir) throws Exception {
    String url =
        Poll.await(
            () -> Poll.textOrNull(dataDir.resolve("mcp.url")),
            "the MCP gateway writes mcp.url",
            Duration.ofSeconds(30));
    return new AgentMcp(
        URI.create(url.strip()), Files.readString(dataDir.resolve("mcp_token")).strip());
  }

  /** {@code tools/call quote {symbol}}: the JSON-RPC result. */
  JsonNode quote(String symbol) throws Exception {
    HttpResponse<String> r =
        post(
            "{\"jsonrpc\":\"2.0\",\"id\":"
                + ++ids
                + ",\"method\":\"tools/call\",\"params\":{\"name\":\"quote\","
                + "\"arguments\":{\"symbol\":\""
                + symbol
                + "\"}}}",
            session);
    return message(r).path("result");
  }

  private HttpResponse<String> post(String body, String session) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", VERSION);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The JSON-RPC message: plain JSON, or the first {@code data:} event of an SSE answer. */
  private static JsonNode message(HttpResponse<String> r) throws IOException {
    String type = r.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
    if (!type.startsWith("text/event-stream")) {
      return JSON.readTree(r.body());
    }
    StringBuilder data = new StringBuilder();
    for (String line : r.body().split("\r?\n")) {
      if (line.startsWith("data:")) {
        data.append(line.substring(5).strip());
      } else if (line.isEmpty() && data.length() > 0) {
        break;
      }
    }
    return JSON.readTree(data.toString());
  }
}
