package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.Provenance;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolSpec;

/** The MCP JSON shapes of SPEC §10, built from the gateway API records. Stateless. */
final class Results {
  static final String PROFILE = "aacp_v1";
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /**
   * Turns a tool's plain JSON Schema into a tree, every number exactly as the connector gave it.
   */
  private static final ObjectMapper TREES =
      JsonMapper.builder().disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();

  private final ObjectWriter pretty;
  private final ObjectNode compatibility;

  Results(ObjectMapper json, String mode) {
    this.pretty = json.writerWithDefaultPrettyPrinter();
    this.compatibility = F.objectNode();
    compatibility.put("mode", mode);
    compatibility.put("compatibility_profile", PROFILE);
  }

  /** {@code {name:id, title:name, description, inputSchema}}. */
  static ObjectNode tool(ToolSpec t) {
    ObjectNode o = F.objectNode();
    o.put("name", t.id());
    o.put("title", t.name());
    o.put("description", t.description());
    o.set("inputSchema", TREES.valueToTree(t.inputSchema()));
    return o;
  }

  /** The {@code tools/call} result for an outcome other than {@code unknown_tool}. */
  ObjectNode callResult(ToolCallOutcome o) {
    return switch (o.status()) {
      case OK -> ok(o);
      case APPROVAL_REQUIRED -> approvalRequired(o.approval(), o.receiptId());
      case DENIED -> denied(o.reason(), o.receiptId());
      case ERROR -> error(o.message(), o.receiptId());
    };
  }

  ObjectNode ok(ToolCallOutcome o) {
    JsonNode content = o.content() == null ? F.nullNode() : o.content();
    ObjectNode r = text(prettyJson(content), false);
    if (content.isObject()) {
      r.set("structuredContent", content);
    }
    ObjectNode meta = meta(r, o.receiptId());
    if (o.provenance() != null) {
      meta.set("provenance", provenance(o.provenance()));
    }
    return r;
  }

  /**
   * The answer when a human must approve first. The text is written for the agent: it says what to
   * ask its human for and that a plain retry then works (SPEC §10 Δ 2).
   */
  ObjectNode approvalRequired(ApprovalRequest a, long receiptId) {
    String msg =
        "Approval required: the tool '"
            + a.toolId()
            + "' needs a human's approval (reason: "
            + a.reason()
            + ", approval id: "
            + a.id()
            + "). Ask your human to approve it in Briefcase (for example: briefcase approvals"
            + " approve "
            + a.id()
            + "), then call the tool again with the same arguments.";
    ObjectNode r = text(msg, true);
    meta(r, receiptId).set("approval", approval(a));
    return r;
  }

  ObjectNode denied(String reason, long receiptId) {
    ObjectNode r = text("Denied: " + reason, true);
    meta(r, receiptId);
    return r;
  }

  ObjectNode error(String message, long receiptId) {
    ObjectNode r = text("Error: " + message, true);
    meta(r, receiptId);
    return r;
  }

  static ObjectNode approval(ApprovalRequest a) {
    ObjectNode o = F.objectNode();
    o.put("id", a.id());
    o.put("tool_id", a.toolId());
    o.put("reason", a.reason());
    o.put("kind", a.kind());
    o.put("state", a.state());
    o.put("expires_at", a.expiresAt() == null ? null : a.expiresAt().toString());
    o.set("summary", a.summary() == null ? F.nullNode() : a.summary());
    return o;
  }

  static ObjectNode provenance(Provenance p) {
    ObjectNode o = F.objectNode();
    o.put("source", p.source());
    if (p.costUsd() == null) {
      o.putNull("cost_usd");
    } else {
      o.put("cost_usd", p.costUsd());
    }
    o.put("timestamp", p.timestamp() == null ? null : p.timestamp().toString());
    o.put("receipt_id", p.receiptId());
    return o;
  }

  private static ObjectNode text(String text, boolean isError) {
    ObjectNode r = F.objectNode();
    ArrayNode content = r.putArray("content");
    content.addObject().put("type", "text").put("text", text);
    r.put("isError", isError);
    return r;
  }

  private ObjectNode meta(ObjectNode result, long receiptId) {
    ObjectNode meta = result.putObject("_meta");
    if (receiptId > 0) {
      meta.put("receipt_id", receiptId);
    }
    meta.set("compatibility", compatibility);
    return meta;
  }

  private String prettyJson(JsonNode content) {
    try {
      return pretty.writeValueAsString(content);
    } catch (JsonProcessingException e) {
      // a tree always serialises; keep the answer well-formed if it ever does not
      return content.toString();
    }
  }
}
