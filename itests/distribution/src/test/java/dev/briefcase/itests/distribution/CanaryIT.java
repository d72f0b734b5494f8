package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import dev.briefcase.itests.common.Distribution;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * A canary secret and a canary master passphrase go into a running Briefcase; then every API and
 * CLI output, the log file, the receipts and every file of the data directory are searched for them
 * (plain, base64 and hex).
 */
public class CanaryIT {
  private static final String SECRET = "CANARY-5f1c9e-secret-value";
  private static final String PASSPHRASE = "CANARY-7d2a44-master-passphrase";

  @Test
  public void canariesNeverLeak() throws Exception {
    Path data = Files.createTempDirectory("briefcase-canary");
    List<String> outputs = new ArrayList<>();
    try (Distribution d =
        new Distribution(data).env("BRIEFCASE_MASTER_PASSPHRASE", PASSPHRASE).start()) {
      String b64 = Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8));
      Distribution.Answer put =
          d.post("/v1/secrets/provider.demo.token", "{\"value_b64\":\"" + b64 + "\"}");
      assertEquals(put.body(), 200, put.status());
      outputs.add(put.body());
      for (String path :
          new String[] {
            "/health",
            "/ready",
            "/v1/tools",
            "/v1/approvals",
            "/v1/receipts?limit=500",
            "/v1/receipts/export",
            "/v1/budgets",
            "/v1/policy",
            "/v1/secrets"
          }) {
        outputs.add(d.get(path).body());
      }
      outputs.add(
          d.post("/v1/tools/call", "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"hi\"}}}")
              .body());
      outputs.add(
          d.post(
                  "/v1/tools/call",
                  "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"n\"}}}")
              .body());
      outputs.add(d.post("/v1/receipts/verify", "").body());
      for (String[] cmd :
          new String[][] {
            {"status"}, {"tools", "list"}, {"tools", "call", "echo", "--args", "{\"text\":\"x\"}"},
            {"approvals", "list"}, {"receipts", "list"}, {"receipts", "verify"},
            {"receipts", "export"}, {"budgets", "list"}, {"tools", "list", "--json"}
          }) {
        Distribution.CliResult r = d.cli(cmd);
        outputs.add(r.stdout());
        outputs.add(r.stderr());
      }
    }
    List<String> needles = new ArrayList<>();
    for (String canary : new String[] {SECRET, PASSPHRASE}) {
      byte[] raw = canary.getBytes(StandardCharsets.UTF_8);
      needles.add(canary);
      needles.add(Base64.getEncoder().encodeToString(raw));
      needles.add(Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
      needles.add(java.util.HexFormat.of().formatHex(raw));
    }
    for (String out : outputs) {
      for (String needle : needles) {
        assertFalse("a canary leaked into an API/CLI output", out.contains(needle));
      }
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(data)) {
      walk.filter(Files::isRegularFile).forEach(files::add);
    }
    files.add(data.resolveSibling(data.getFileName() + "-runtime.log"));
    int searched = 0;
    for (Path f : files) {
      if (!Files.exists(f)) {
        continue;
      }
      String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      for (String needle : needles) {
        assertFalse("a canary is in " + f, text.contains(needle));
      }
      searched++;
    }
    System.out.println(
        "canary: searched " + outputs.size() + " outputs and " + searched + " files");
  }
}
