package dev.briefcase.itests.attack;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.Test;

/**
 * Issue item 13, SPEC §0/§4: a lone UTF-16 surrogate has no I-JSON form. Encoding one to UTF-8
 * replaced it with {@code ?}, so a lone U+D800, a lone U+DFFF and {@code "?"} shared one call hash,
 * and an unknown tool whose name held one got no receipt (the receipt itself could not be hashed).
 * Both edges — the admin API and the MCP gateway — hand such a call to the kernel, which denies it
 * as {@code invalid_args} and receipts it with an escaped tool id; MCP then answers JSON-RPC {@code
 * -32602}. The hostile strings are written as JSON escapes at test time, so the wire bytes are
 * plain ASCII and only the parsed strings hold the surrogates. Strict profile.
 */
public class CallHashAttackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  // JSON text (not Java escapes): backslash-u sequences the server's parser turns into lone chars
  private static final String HIGH = "\\ud800";
  private static final String LOW = "\\udfff";
  private static final List<String> TEXTS = List.of(HIGH, LOW, "?");

  private static String adminCall(String requestId, String tool, String text) {
    return "{\"call\":{\"tool_id\":\""
        + tool
        + "\",\"args\":{\"text\":\""
        + text
        + "\"},\"context\":{\"request_id\":\""
        + requestId
        + "\"}}}";
  }

  @Test
  public void loneSurrogatesNeverShareACallHashAndAreAlwaysReceipted() throws Exception {
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-call-hash"))
            .env("BRIEFCASE_PROFILE_MODE", "ga")
            .start()) {
      // --- admin API: the three texts
      List<String> ids = new ArrayList<>();
      for (String text : TEXTS) {
        String rid = UUID.randomUUID().toString();
        ids.add(rid);
        Distribution.Answer a = d.post("/v1/tools/call", adminCall(rid, "echo", text));
        assertEquals(a.body(), 200, a.status());
        JsonNode r = a.json();
        if ("?".equals(text)) {
          assertEquals(a.body(), "ok", r.path("status").asText());
        } else {
          assertEquals(a.body(), "denied", r.path("status").asText());
          assertTrue(a.body(), r.path("reason").asText().startsWith("invalid_args: $.text"));
          assertTrue(a.body(), r.path("receipt_id").asLong() > 0);
        }
      }
      // --- admin API: an unknown tool whose name holds a surrogate
      String unknownRid = UUID.randomUUID().toString();
      Distribution.Answer unknown =
          d.post("/v1/tools/call", adminCall(unknownRid, "nope" + HIGH, "a"));
      assertEquals(unknown.body(), 200, unknown.status());
      assertEquals(unknown.body(), "denied", unknown.json().path("status").asText());
      assertTrue(unknown.json().path("receipt_id").asLong() > 0);

      // --- admin API: a surrogate in a member the kernel never sees still stops the call
      Distribution.Answer hidden =
          d.post(
              "/v1/tools/call",
              "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"a\"},"
                  + "\"context\":{\"note\":\""
                  + LOW
                  + "\"}}}");
      assertEquals(hidden.body(), "denied", hidden.json().path("status").asText());
      assertEquals(
          hidden.body(),
          "invalid_args: $.call.context.note: lone UTF-16 surrogate (not I-JSON)",
          hidden.json().path("reason").asText());

      // --- MCP: the same three texts and the same unknown tool
      Mcp mcp = new Mcp(d.dataDir);
      mcp.initialize();
      for (int i = 0; i < TEXTS.size(); i++) {
        JsonNode r = mcp.callTool(10 + i, "echo", "{\"text\":\"" + TEXTS.get(i) + "\"}");
        if ("?".equals(TEXTS.get(i))) {
          assertFalse(r.toString(), r.has("error"));
          assertEquals(
              r.toString(), "{\"echo\":\"?\"}", r.at("/result/structuredContent").toString());
        } else {
          assertEquals(r.toString(), -32602, r.at("/error/code").asInt());
          assertTrue(r.toString(), r.at("/error/message").asText().contains("not I-JSON"));
        }
      }
      JsonNode mcpUnknown = mcp.callTool(20, "nope" + LOW, "{}");
      assertEquals(mcpUnknown.toString(), -32602, mcpUnknown.at("/error/code").asInt());

      // --- the receipts: every attempt is there, no two share a call hash, the chain holds
      List<JsonNode> calls = new ArrayList<>();
      for (JsonNode rec : d.get("/v1/receipts?limit=500").json().get("receipts")) {
        if ("tool_call".equals(rec.at("/event/type").asText())) {
          calls.add(rec.get("event"));
        }
      }
      // the hash of {"text":"?"}: the surrogate calls must not carry it (nor share one another's)
      String questionHash = null;
      for (JsonNode e : calls) {
        if (ids.get(2).equals(e.path("request_id").asText())) {
          questionHash = e.path("call_hash").asText(null);
        }
      }
      assertNotNull("the \"?\" call has a call hash", questionHash);
      Set<String> surrogateHashes = new HashSet<>();
      int echoAdmin = 0;
      int echoMcp = 0;
      int mcpWithQuestionHash = 0;
      for (JsonNode e : calls) {
        if (!"echo".equals(e.path("tool_id").asText())) {
          continue;
        }
        String hash = e.path("call_hash").asText(null);
        if ("mcp".equals(e.path("surface").asText())) {
          echoMcp++;
          if (questionHash.equals(hash)) {
            mcpWithQuestionHash++;
          }
        } else if (ids.contains(e.path("request_id").asText())) {
          echoAdmin++;
          if (!ids.get(2).equals(e.path("request_id").asText()) && hash != null) {
            assertFalse("a surrogate call hashes like \"?\": " + e, hash.equals(questionHash));
            assertTrue("two surrogate calls share a hash: " + e, surrogateHashes.add(hash));
          }
        }
      }
      assertEquals("only the MCP \"?\" call has the \"?\" hash", 1, mcpWithQuestionHash);
      assertEquals("one receipt per admin API echo", 3, echoAdmin);
      assertEquals("one receipt per MCP echo", 3, echoMcp);
      assertNotNull("admin API unknown tool receipted", find(calls, "nope\\uD800", "admin-api"));
      assertNotNull("MCP unknown tool receipted", find(calls, "nope\\uDFFF", "mcp"));
      JsonNode verify = d.post("/v1/receipts/verify", "{}").json();
      assertTrue(verify.toString(), verify.path("ok").asBoolean());
    }
  }

  private static JsonNode find(List<JsonNode> calls, String toolId, String surface) {
    for (JsonNode e : calls) {
      if (toolId.equals(e.path("tool_id").asText())
          && surface.equals(e.path("surface").asText())
          && "deny".equals(e.path("decision").asText())) {
        return e;
      }
    }
    return null;
  }

  /** A bare streamable-HTTP MCP client: enough for initialize and tools/call. */
  private static final class Mcp {
    private final HttpClient http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String url;
    private final String token;
    private String session;

    Mcp(Path dataDir) throws Exception {
      String base = Poll.fileText(dataDir.resolve("mcp.url"), Duration.ofSeconds(30));
      this.url = base.endsWith("/mcp") ? base : base.replaceAll("/+$", "") + "/mcp";
      Path tokenFile = dataDir.resolve("mcp_token");
      this.token = Files.exists(tokenFile) ? Files.readString(tokenFile).strip() : null;
    }

    void initialize() throws Exception {
      JsonNode r =
          post(
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                  + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                  + "\"clientInfo\":{\"name\":\"attack\",\"version\":\"1\"}}}");
      assertTrue(r.toString(), r.has("result"));
      post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }

    JsonNode callTool(int id, String name, String argsJson) throws Exception {
      return post(
          "{\"jsonrpc\":\"2.0\",\"id\":"
              + id
              + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
              + name
              + "\",\"arguments\":"
              + argsJson
              + "}}");
    }

    private JsonNode post(String body) throws Exception {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(Duration.ofSeconds(30))
              .header("Content-Type", "application/json")
              .header("Accept", "application/json, text/event-stream")
              .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.US_ASCII));
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      if (session != null) {
        b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
      }
      HttpResponse<String> r =
          http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      r.headers().firstValue("Mcp-Session-Id").ifPresent(s -> session = s);
      String text = r.body().strip();
      if (text.isEmpty()) {
        return JSON.createObjectNode();
      }
      if (!text.startsWith("{")) {
        // an SSE answer: the last data line holds the response
        String data = null;
        for (String line : text.split("\n")) {
          if (line.startsWith("data:")) {
            data = line.substring(5).strip();
          }
        }
        text = data == null ? "{}" : data;
      }
      return JSON.readTree(text);
    }
  }
}
