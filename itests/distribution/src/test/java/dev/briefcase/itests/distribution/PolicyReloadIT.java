package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import java.nio.file.Files;
import org.junit.Test;

/**
 * A policy change takes effect on the next call, without a restart; invalid Cedar is refused and
 * changes nothing; every change is receipted.
 */
public class PolicyReloadIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ECHO = "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"p\"}}}";

  @Test
  public void strictPolicyAppliesWithoutRestart() throws Exception {
    try (Distribution d = new Distribution(Files.createTempDirectory("briefcase-policy")).start()) {
      String before = d.get("/v1/policy").json().get("policy_hash_hex").asText();
      assertEquals("ok", d.post("/v1/tools/call", ECHO).json().get("status").asText());

      Distribution.Answer bad =
          d.post(
              "/v1/policy", body("permit (principal, action, resource) when { resource.nope };"));
      assertEquals(bad.body(), 400, bad.status());
      assertEquals("invalid_cedar", bad.json().get("code").asText());
      assertEquals(before, d.get("/v1/policy").json().get("policy_hash_hex").asText());

      String strict =
          "permit (principal, action == Action::\"Call\", resource)"
              + " unless { resource.category == \"admin\" };\n"
              + "permit (principal, action == Action::\"CallWithoutSigner\", resource);\n";
      Distribution.Answer applied = d.post("/v1/policy", body(strict));
      assertEquals(applied.body(), 200, applied.status());
      assertNotEquals(before, applied.json().get("policy_hash_hex").asText());

      // the very next call runs under the new policy: even echo needs a human now
      assertEquals(
          "approval_required", d.post("/v1/tools/call", ECHO).json().get("status").asText());
      String receipts = d.get("/v1/receipts?limit=10").body();
      assertTrue(receipts, receipts.contains("\"policy_update\""));
      assertTrue(d.post("/v1/receipts/verify", "").json().get("ok").asBoolean());
    }
  }

  private static String body(String policy) {
    ObjectNode o = JSON.createObjectNode();
    o.put("policy_text", policy);
    return o.toString();
  }
}
