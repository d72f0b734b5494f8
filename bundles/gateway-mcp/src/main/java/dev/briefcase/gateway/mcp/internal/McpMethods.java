package dev.briefcase.gateway.mcp.internal;

import static dev.briefcase.gateway.mcp.internal.JsonRpc.F;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.INTERNAL_ERROR;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.INVALID_PARAMS;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.INVALID_REQUEST;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.METHOD_NOT_FOUND;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.TRANSPORT_ERROR;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.clip;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.notIJsonMessage;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.result;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.rpcError;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.transportError;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.gateway.mcp.internal.JsonRpc.Message;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP methods of SPEC §10: {@code initialize}, {@code ping}, {@code tools/list}, {@code
 * tools/call} and the notifications a client sends. Each answers on the exchange it is given; the
 * framing checks have passed by then. Thread-safe.
 */
final class McpMethods {
  private static final Logger LOG = LoggerFactory.getLogger(McpMethods.class);

  static final String LATEST = "2025-11-25";
  static final Set<String> VERSIONS = Set.of("2025-11-25", "2025-06-18");
  static final String KERNEL_UNAVAILABLE = "Briefcase kernel unavailable";

  private static final String INSTRUCTIONS =
      "Briefcase runs every tool call through policy, budgets and human approvals and keeps all"
          + " credentials to itself. When a call needs a human's approval, this server waits a"
          + " while for the decision; if none comes, ask your human to approve it in Briefcase,"
          + " then call the tool again with the same arguments.";

  private final Supplier<ToolCallService> tools;
  private final Sessions sessions;
  private final HeldCalls held;
  private final Results results;
  private final ObjectNode capabilities;
  private final ObjectNode serverInfo;

  McpMethods(
      Settings settings,
      Supplier<ToolCallService> tools,
      Sessions sessions,
      HeldCalls held,
      Results results) {
    this.tools = tools;
    this.sessions = sessions;
    this.held = held;
    this.results = results;

    ObjectNode briefcase = F.objectNode();
    briefcase.put("compatibility_profile", Results.PROFILE);
    briefcase.put("mode", settings.mode());
    this.capabilities = F.objectNode();
    // listChanged is true (SPEC says false): the GET channel does deliver list_changed.
    capabilities.putObject("tools").put("listChanged", true);
    capabilities.putObject("experimental").set("briefcase", briefcase);
    capabilities.set("briefcase", briefcase);
    this.serverInfo = F.objectNode();
    serverInfo.put("name", "briefcase");
    serverInfo.put("version", settings.serverVersion());
  }

  /** Opens a session; the only method served without {@code Mcp-Session-Id}. */
  void initialize(Exchange ex, JsonNode id, JsonNode params) throws IOException {
    if (ex.header(McpEndpoint.SESSION_HEADER) != null) {
      Session s = sessions.lookup(ex);
      if (s != null) {
        rpcError(
            ex, 200, id, INVALID_REQUEST, "Invalid Request: this session is already initialized");
      }
      return;
    }
    JsonNode requested = params == null ? null : params.get("protocolVersion");
    if (params == null || !params.isObject() || requested == null || !requested.isTextual()) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: protocolVersion is required");
      return;
    }
    String version = VERSIONS.contains(requested.textValue()) ? requested.textValue() : LATEST;
    Session s = sessions.open(version);
    if (s == null) {
      rpcError(ex, 503, id, TRANSPORT_ERROR, "Service Unavailable: too many sessions");
      return;
    }
    if (sessions.isClosed()) {
      sessions.remove(s);
      transportError(ex, 503, "Service Unavailable: the MCP gateway is stopping");
      return;
    }
    ObjectNode r = F.objectNode();
    r.put("protocolVersion", version);
    r.set("capabilities", capabilities);
    r.set("serverInfo", serverInfo);
    r.put("instructions", INSTRUCTIONS);
    ex.setHeader(McpEndpoint.SESSION_HEADER, s.id());
    result(ex, id, r);
    LOG.debug("MCP session opened with protocol {}", version);
  }

  /** A request of an open session. */
  void request(Exchange ex, Session s, Message m) throws IOException {
    JsonNode id = m.id();
    JsonNode params = m.params();
    if (params != null && !params.isObject()) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: params must be an object");
      return;
    }
    switch (m.method()) {
      case "ping" -> result(ex, id, F.objectNode());
      case "tools/list" -> toolsList(ex, id, params);
      case "tools/call" -> toolsCall(ex, s, id, params, m.argsDefect(), m.notIJson());
      default ->
          rpcError(ex, 200, id, METHOD_NOT_FOUND, "Method not found: " + clip(m.method(), 100));
    }
  }

  /** A notification of an open session; it gets no answer. */
  void notification(Session s, String method, JsonNode params) {
    switch (method) {
      case "notifications/initialized" -> s.markInitializedNotified();
      case "notifications/cancelled" -> {
        JsonNode requestId = params == null ? null : params.get("requestId");
        if (JsonRpc.validId(requestId)) {
          HeldCall h = s.held(requestId.toString());
          if (h != null) {
            h.cancel();
          }
        }
      }
      default -> {
        // other notifications carry nothing this server acts on
      }
    }
  }

  private void toolsList(Exchange ex, JsonNode id, JsonNode params) throws IOException {
    JsonNode cursor = params == null ? null : params.get("cursor");
    if (cursor != null && !cursor.isNull()) {
      // the whole list fits one page, so this server never issues a cursor: any cursor is unknown
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: unknown cursor");
      return;
    }
    ToolCallService service = tools.get();
    if (service == null) {
      rpcError(ex, 200, id, INTERNAL_ERROR, KERNEL_UNAVAILABLE);
      return;
    }
    ObjectNode r = F.objectNode();
    ArrayNode list = r.putArray("tools");
    try {
      for (ToolSpec t : service.listTools()) {
        list.add(Results.tool(t));
      }
    } catch (RuntimeException e) {
      LOG.warn("listing tools failed: {}", e.toString());
      rpcError(ex, 200, id, INTERNAL_ERROR, "Internal error");
      return;
    }
    result(ex, id, r);
  }

  private void toolsCall(
      Exchange ex, Session s, JsonNode id, JsonNode params, String argsDefect, String notIJson)
      throws IOException {
    JsonNode name = params == null ? null : params.get("name");
    if (name == null || !name.isTextual() || name.textValue().isEmpty()) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: name must be a non-empty string");
      return;
    }
    ToolCallService service = tools.get();
    if (service == null) {
      rpcError(ex, 200, id, INTERNAL_ERROR, KERNEL_UNAVAILABLE);
      return;
    }
    JsonNode args = params.get("arguments");
    if (args == null || args.isNull()) {
      args = F.objectNode();
    }
    JsonNode meta = params.path("_meta");
    String approvalToken = text(params.get("approvalToken"));
    if (approvalToken == null) {
      approvalToken = text(meta.get("approvalToken"));
    }
    JsonNode progressToken = meta.get("progressToken");
    if (progressToken != null && !progressToken.isTextual() && !progressToken.isNumber()) {
      progressToken = null;
    }
    ToolCallRequest request =
        CallRequests.first(s, name.textValue(), args, approvalToken, argsDefect);
    ToolCallOutcome outcome;
    try {
      outcome = service.call(request);
    } catch (RuntimeException e) {
      LOG.warn("the kernel failed a tool call: {}", e.toString());
      rpcError(ex, 200, id, INTERNAL_ERROR, "Internal error");
      return;
    }
    if (notIJson != null) {
      // the kernel has denied and receipted the attempt; the agent hears why, not its text back
      rpcError(ex, 200, id, INVALID_PARAMS, notIJsonMessage("Invalid params", notIJson));
      return;
    }
    if (CallRequests.isUnknownTool(outcome)) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Unknown tool: " + clip(name.textValue(), 256));
      return;
    }
    if (outcome.status() == ToolCallOutcome.Status.APPROVAL_REQUIRED
        && held.holdOpen(ex, s, id, progressToken, request, outcome)) {
      return;
    }
    result(ex, id, results.callResult(outcome));
  }

  private static String text(JsonNode n) {
    return n != null && n.isTextual() ? n.textValue() : null;
  }
}
