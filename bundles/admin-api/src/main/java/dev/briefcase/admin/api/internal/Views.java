package dev.briefcase.admin.api.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.budgets.Budget;
import dev.briefcase.keys.CustodyReport;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.plugins.PluginInfo;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.Provenance;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolSpec;
import java.math.BigDecimal;

/** The JSON shapes of SPEC §2–§6 and §18, built from the API records. */
final class Views {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Turns a tool's plain JSON Schemas into trees, every number exactly as the connector gave it.
   */
  private static final ObjectMapper TREES =
      JsonMapper.builder().disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();

  private Views() {}

  static ObjectNode tool(ToolSpec t) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", t.id());
    o.put("name", t.name());
    o.put("description", t.description());
    o.set("input_schema", TREES.valueToTree(t.inputSchema()));
    if (t.outputSchema() != null) {
      o.set("output_schema", TREES.valueToTree(t.outputSchema()));
    } else {
      o.putNull("output_schema");
    }
    if (t.hasStandardCategory()) {
      o.put("category", t.category());
    } else {
      o.putObject("category").put("other", t.category());
    }
    o.putObject("cost").put("estimated_usd", usd(t.costMicroUsd()));
    ObjectNode fw = o.putObject("output_firewall");
    fw.put("mode", t.outputFirewall().mode());
    ArrayNode paths = fw.putArray("allowed_paths");
    t.outputFirewall().allowedPaths().forEach(paths::add);
    return o;
  }

  static ObjectNode outcome(ToolCallOutcome r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("status", r.status().wire());
    switch (r.status()) {
      case OK -> {
        ObjectNode result = o.putObject("result");
        result.set("content", r.content());
        result.set("provenance", provenance(r.provenance()));
      }
      case APPROVAL_REQUIRED -> o.set("approval", approval(r.approval()));
      case DENIED -> o.put("reason", r.reason());
      case ERROR -> o.put("message", r.message());
    }
    if (r.receiptId() > 0) {
      o.put("receipt_id", r.receiptId());
    }
    return o;
  }

  static ObjectNode provenance(Provenance p) {
    ObjectNode o = JSON.createObjectNode();
    o.put("source", p.source());
    if (p.costUsd() == null) {
      o.putNull("cost_usd");
    } else {
      o.put("cost_usd", p.costUsd());
    }
    o.put("timestamp", p.timestamp().toString());
    o.put("receipt_id", p.receiptId());
    return o;
  }

  static ObjectNode approval(ApprovalRequest a) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", a.id());
    o.put("created_at", a.createdAt().toString());
    o.put("expires_at", a.expiresAt().toString());
    o.put("tool_id", a.toolId());
    o.put("reason", a.reason());
    o.put("kind", a.kind());
    o.put("state", a.state());
    o.put("call_hash", a.callHash());
    o.set("summary", a.summary());
    if (a.decidedBy() != null) {
      o.put("decided_by", a.decidedBy());
    }
    return o;
  }

  static ObjectNode receipt(Receipt r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", r.id());
    o.put("ts", r.ts().toString());
    o.put("prev_hash_hex", r.prevHashHex());
    o.put("hash_hex", r.hashHex());
    o.set("event", r.event());
    return o;
  }

  static ObjectNode verify(VerifyResult v) {
    ObjectNode o = JSON.createObjectNode();
    o.put("ok", v.ok());
    o.put("count", v.count());
    if (v.headHashHex() != null) {
      o.put("head_hash_hex", v.headHashHex());
    }
    if (!v.ok()) {
      o.put("first_bad_id", v.firstBadId());
      o.put("expected_prev_hash_hex", v.expectedPrevHashHex());
      o.put("reason", v.reason());
    }
    return o;
  }

  static ObjectNode budget(Budget b) {
    ObjectNode o = JSON.createObjectNode();
    o.put("category", b.category());
    o.put("daily_limit_microusd", b.dailyLimitMicroUsd());
    o.put("spent_today_microusd", b.spentTodayMicroUsd());
    return o;
  }

  static ObjectNode plugin(PluginInfo p) {
    ObjectNode o = JSON.createObjectNode();
    o.put("bundle_id", p.bundleId());
    o.put("symbolic_name", p.symbolicName());
    o.put("version", p.version());
    o.put("state", p.state());
    ArrayNode families = o.putArray("families");
    p.families().forEach(families::add);
    ArrayNode ids = o.putArray("plugin_ids");
    p.pluginIds().forEach(ids::add);
    o.put("core", p.core());
    o.put("location", p.location());
    return o;
  }

  static ObjectNode error(String code, String message) {
    ObjectNode o = JSON.createObjectNode();
    o.put("code", code);
    o.put("message", message);
    return o;
  }

  private static BigDecimal usd(long microUsd) {
    return BigDecimal.valueOf(microUsd, 6).stripTrailingZeros();
  }

  /** A role's key (SPEC §12): the handle and public key only, never key material. */
  static ObjectNode key(KeyInfo k) {
    ObjectNode o = JSON.createObjectNode();
    o.put("role", k.role());
    ObjectNode h = o.putObject("handle");
    h.put("id", k.handle().keyId());
    h.put("algorithm", k.handle().algorithm().name().toLowerCase(java.util.Locale.ROOT));
    h.put("backend", k.handle().signerId());
    o.put("backend", k.handle().signerId());
    o.put("algorithm", k.handle().algorithm().name().toLowerCase(java.util.Locale.ROOT));
    o.put("hardware_backed", k.hardwareBacked());
    o.put("thumbprint", k.thumbprint());
    try {
      o.set("public_jwk", JSON.readTree(k.publicJwk()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      o.put("public_jwk", k.publicJwk());
    }
    o.put("created_at", k.createdAt().toString());
    return o;
  }

  /** The {@code key_custody} check with the backend of every role. */
  static ObjectNode custody(CustodyReport r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("configured_backend", r.configuredBackend());
    o.put("ok", r.ok());
    o.put("detail", r.detail());
    ArrayNode roles = o.putArray("roles");
    for (CustodyReport.RoleCustody c : r.roles()) {
      ObjectNode e = roles.addObject();
      e.put("role", c.role());
      e.put("backend", c.backend());
      e.put("algorithm", c.algorithm());
      e.put("hardware_backed", c.hardwareBacked());
    }
    ArrayNode backends = o.putArray("backends");
    for (CustodyReport.Backend b : r.backends()) {
      backends.addObject().put("id", b.id()).put("hardware_backed", b.hardwareBacked());
    }
    return o;
  }
}
