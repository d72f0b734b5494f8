package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/**
 * Tool manifests through the CLI: a tool without one is deny-all ({@code file_read} is a sandbox
 * violation); storing one that allows a directory changes the very next call — with filesystem
 * access, a write tool needs the paired signer under the default policy — and the change is
 * receipted.
 */
public class ManifestIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  public void manifestGovernsTheNextCall() throws Exception {
    Path files = Files.createTempDirectory("briefcase-files");
    Path secret = Files.writeString(files.resolve("a.txt"), "hello");
    String call = "{\"call\":{\"tool_id\":\"file_read\",\"args\":{\"path\":\"" + secret + "\"}}}";
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-manifest")).start()) {
      JsonNode before =
          JSON.readTree(d.cli("tools", "manifest", "get", "file_read", "--json").stdout());
      assertEquals(false, before.get("stored").asBoolean());
      assertEquals(0, before.path("filesystem").path("allowed_path_prefixes").size());
      // deny-all: policy lets the write tool ask for approval, approval runs it, the sandbox
      // refuses
      JsonNode pending = d.post("/v1/tools/call", call).json();
      assertEquals("approval_required", pending.get("status").asText());
      assertEquals("local", pending.path("approval").path("kind").asText());
      String id = pending.path("approval").path("id").asText();
      String token =
          d.post("/v1/approvals/" + id + "/approve", "").json().path("approval_token").asText();
      JsonNode refused =
          d.post(
                  "/v1/tools/call",
                  "{\"call\":{\"tool_id\":\"file_read\",\"args\":{\"path\":\""
                      + secret
                      + "\"},\"approval_token\":\""
                      + token
                      + "\"}}")
              .json();
      assertEquals("denied", refused.get("status").asText());
      assertTrue(
          refused.toString(), refused.get("reason").asText().startsWith("sandbox_violation:"));

      Path manifest = Files.createTempFile("manifest", ".json");
      Files.writeString(
          manifest,
          "{\"filesystem\":{\"allowed_path_prefixes\":[\"" + files + "\"]}}",
          StandardCharsets.UTF_8);
      Distribution.CliResult set =
          d.cli("tools", "manifest", "set", "file_read", manifest.toString());
      assertEquals(set.stderr(), 0, set.exit());
      JsonNode after =
          JSON.readTree(d.cli("tools", "manifest", "get", "file_read", "--json").stdout());
      assertEquals(
          files.toString(), after.path("filesystem").path("allowed_path_prefixes").get(0).asText());

      // now the tool can reach the filesystem: a write tool with fs access needs the signer
      JsonNode signer = d.post("/v1/tools/call", call).json();
      assertEquals("approval_required", signer.get("status").asText());
      assertEquals("mobile_signer", signer.path("approval").path("kind").asText());
      String receipts = d.get("/v1/receipts?limit=20").body();
      assertTrue(receipts, receipts.contains("\"manifest_update\""));

      Distribution.CliResult bad =
          d.cli(
              "tools",
              "manifest",
              "set",
              "file_read",
              manifest.resolveSibling("missing.json").toString());
      assertEquals("a missing file is refused", 1, bad.exit());
    }
  }
}
