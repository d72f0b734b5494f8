package dev.briefcase.itests.attack;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.ErrorCollector;

/**
 * Item 12 and the protected paths of item 7: file tools against the built distribution. A manifest
 * allows one directory; a symlink in it points at an {@code /etc/passwd}-like canary outside; a
 * symlinked parent directory leads out; a directory of the requested path is swapped for a symlink
 * while calls run (the check-then-open race); paths outside that exist and that do not must get the
 * same answer; a manifest allowing {@code /} still cannot reach the data directory's {@code
 * auth_token} or the trust directory. Both the built-in {@code file_read} and the WASM example
 * {@code wasm_file_read} (reference profile: the example is unsigned); {@code file_read} in {@code
 * ga} as well. Every refusal is a receipted {@code sandbox_violation} and never carries the canary.
 */
public class FileAttackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CANARY = "root:x:0:0:CANARY-FILE-ATTACK";
  private static final String OUTSIDE = "sandbox_violation:path is outside the allowed directories";
  private static final String WASM_OUTSIDE = "sandbox_violation:fs path not allowed";
  private static final String PROTECTED = "sandbox_violation:protected_path";

  @Rule public final ErrorCollector errors = new ErrorCollector();

  private Distribution d;
  private Path allowed;
  private Path outside;
  private Path trustDir;

  @After
  public void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  @Test
  public void referenceProfile() throws Exception {
    Path tmp = start(null);
    install(Files.readAllBytes(wasmFileExample()));
    waitFor(() -> hasTool("wasm_file_read"), "the WASM file tool to be offered");
    attack("file_read", OUTSIDE, tmp);
    attack("wasm_file_read", WASM_OUTSIDE, tmp);
  }

  @Test
  public void gaProfile() throws Exception {
    Path tmp = start("ga");
    attack("file_read", OUTSIDE, tmp);
  }

  private Path start(String profile) throws Exception {
    Path tmp = Files.createTempDirectory("briefcase-fileattack");
    allowed = Files.createDirectories(tmp.resolve("x"));
    outside = Files.createDirectories(tmp.resolve("etc"));
    Files.writeString(outside.resolve("passwd"), CANARY);
    Files.writeString(allowed.resolve("ok.txt"), "inside");
    Files.createSymbolicLink(allowed.resolve("link"), outside.resolve("passwd"));
    Files.createSymbolicLink(allowed.resolve("sub"), outside);
    // the trust directory outside the data directory, as BRIEFCASE_PLUGIN_TRUST_DIR names it
    trustDir = Files.createDirectories(tmp.resolve("vendor-trust"));
    Files.writeString(trustDir.resolve("vendor.pem"), "-----BEGIN CERTIFICATE-----");
    Distribution dist =
        new Distribution(tmp.resolve("data"))
            .env("BRIEFCASE_PLUGIN_TRUST_DIR", trustDir.toString());
    if (profile != null) {
      dist.env("BRIEFCASE_PROFILE_MODE", profile).env("BRIEFCASE_MASTER_PASSPHRASE", "attack-pass");
    }
    d = dist.start();
    // the file tools run without a human in the loop here: the filesystem guard is what decides
    Distribution.Answer policy =
        d.post("/v1/policy", "{\"policy_text\":\"permit (principal, action, resource);\"}");
    assertEquals(policy.body(), 200, policy.status());
    return tmp;
  }

  private void attack(String tool, String outsideAnswer, Path tmp) throws Exception {
    manifest(tool, allowed.toString());
    JsonNode ok = call(tool, allowed.resolve("ok.txt").toString());
    assertEquals(tool + ": " + ok, "ok", ok.path("status").asText());

    // each attack is checked on its own, so a run against older code names every one that fails
    step(
        tool + ": symlink to the canary",
        () -> refused(tool, allowed.resolve("link").toString(), outsideAnswer));
    step(
        tool + ": symlinked parent directory",
        () -> refused(tool, allowed + "/sub/passwd", outsideAnswer));
    step(
        tool + ": .. out of the prefix",
        () -> refused(tool, allowed + "/../etc/passwd", outsideAnswer));

    step(
        tool + ": existence outside the prefix",
        () -> {
          JsonNode existing = call(tool, outside.resolve("passwd").toString());
          JsonNode missing = call(tool, outside.resolve("shadow-does-not-exist").toString());
          JsonNode missingDir = call(tool, tmp.resolve("no/such/dir/file").toString());
          assertEquals(tool + " existing: " + existing, outsideAnswer, reason(existing));
          assertEquals(tool + " missing: " + missing, reason(existing), reason(missing));
          assertEquals(tool + " missing dir: " + missingDir, reason(existing), reason(missingDir));
          assertEquals(existing.path("status").asText(), missing.path("status").asText());
        });

    step(tool + ": directory swapped for a symlink between check and open", () -> race(tool));

    // a manifest allowing "/" still never reaches the data directory or the trust directory
    Path trust = Files.createDirectories(d.dataDir.resolve("trust"));
    Files.writeString(trust.resolve("old.pem"), "-----BEGIN CERTIFICATE-----");
    String token = Files.readString(d.dataDir.resolve("auth_token")).strip();
    manifest(tool, "/");
    try {
      step(
          tool + ": <data_dir>/auth_token under /",
          () -> refused(tool, d.dataDir.resolve("auth_token").toString(), PROTECTED));
      step(
          tool + ": <data_dir>/trust under /",
          () -> refused(tool, trust.resolve("old.pem").toString(), PROTECTED));
      step(
          tool + ": BRIEFCASE_PLUGIN_TRUST_DIR under /",
          () -> refused(tool, trustDir.resolve("vendor.pem").toString(), PROTECTED));
      step(
          tool + ": the database under /",
          () -> refused(tool, d.dataDir.resolve("briefcase.db").toString(), PROTECTED));
      step(
          tool + ": a symlink to the data directory under /",
          () -> {
            Path link = Files.createSymbolicLink(allowed.resolve("token-" + tool), d.dataDir);
            JsonNode viaLink = call(tool, link.resolve("auth_token").toString());
            assertEquals(tool + ": " + viaLink, PROTECTED, reason(viaLink));
            assertFalse(viaLink.toString().contains(token));
          });
      // the rest of the filesystem still reads under "/"
      JsonNode fine = call(tool, allowed.resolve("ok.txt").toString());
      assertEquals(tool + ": " + fine, "ok", fine.path("status").asText());
    } finally {
      manifest(tool, allowed.toString());
    }

    assertTrue(d.post("/v1/receipts/verify", "").json().path("ok").asBoolean());
  }

  private void step(String name, Attack attack) {
    errors.checkSucceeds(
        () -> {
          try {
            attack.run();
            return null;
          } catch (AssertionError | Exception e) {
            throw new AssertionError(name + " -> " + e.getMessage(), e);
          }
        });
  }

  private interface Attack {
    void run() throws Exception;
  }

  /**
   * A directory on the requested path is swapped for a symlink out of the prefix and back while
   * calls run: whatever the timing, no call ever returns the canary.
   */
  private void race(String tool) throws Exception {
    Path flip = allowed.resolve("flip-" + tool);
    Path parked = allowed.resolve("flip-" + tool + ".dir");
    Path link = allowed.resolve("flip-" + tool + ".link");
    Files.createDirectories(parked);
    Files.writeString(parked.resolve("passwd"), "harmless");
    Files.move(parked, flip);
    AtomicBoolean stop = new AtomicBoolean();
    Thread flipper =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  // the real directory out, a symlink to the canary's directory in, and back
                  Files.move(flip, parked, StandardCopyOption.ATOMIC_MOVE);
                  Files.createSymbolicLink(link, outside);
                  Files.move(link, flip, StandardCopyOption.ATOMIC_MOVE);
                  Files.delete(flip);
                  Files.move(parked, flip, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                  // keep flipping
                }
              }
            },
            "symlink-flipper");
    flipper.setDaemon(true);
    flipper.start();
    int ok = 0;
    int refused = 0;
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (int i = 0; i < 600 && System.nanoTime() < end; i++) {
        JsonNode r = call(tool, flip.resolve("passwd").toString());
        String text = r.toString();
        assertFalse(tool + " read the canary through a swapped directory: " + text, leaks(r));
        if ("ok".equals(r.path("status").asText())) {
          ok++;
        } else if (reason(r).startsWith("sandbox_violation:")) {
          refused++;
        }
      }
    } finally {
      stop.set(true);
      flipper.join(5000);
    }
    System.out.printf(
        "%s race: %d harmless reads, %d refusals, canary never read%n", tool, ok, refused);
    assertTrue("the race never ran a call", ok + refused > 0);
    Files.deleteIfExists(link);
  }

  private static boolean leaks(JsonNode r) {
    if (r.toString().contains("CANARY")) {
      return true;
    }
    String b64 = r.path("result").path("content").path("data_b64").asText("");
    if (b64.isEmpty()) {
      return false;
    }
    String data;
    try {
      data = new String(java.util.Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      data = new String(java.util.Base64.getUrlDecoder().decode(b64), StandardCharsets.UTF_8);
    }
    return data.contains("CANARY");
  }

  private void refused(String tool, String path, String expected) throws Exception {
    JsonNode r = call(tool, path);
    String what = tool + " " + path + ": " + r;
    assertEquals(what, "denied", r.path("status").asText());
    assertEquals(what, expected, reason(r));
    assertFalse(what, leaks(r));
    JsonNode receipt = receipt(r.path("receipt_id").asLong());
    assertEquals(what, tool, receipt.path("tool_id").asText());
    assertEquals(what, "deny", receipt.path("decision").asText());
    assertEquals(what, expected, receipt.path("reason").asText());
  }

  private static String reason(JsonNode r) {
    if (r.has("reason")) {
      return r.path("reason").asText();
    }
    // an ordinary tool error (e.g. not_found) says so in the result
    return r.path("status").asText() + ":" + r.path("error").toString() + r.path("result");
  }

  private void manifest(String tool, String prefix) throws Exception {
    ObjectNode m = JSON.createObjectNode();
    m.putObject("filesystem").putArray("allowed_path_prefixes").add(prefix);
    Distribution.Answer a = d.post("/v1/tools/" + tool + "/manifest", m.toString());
    assertEquals(a.body(), 200, a.status());
  }

  /** A call; a risk approval the heuristics ask for is granted as an operator would. */
  private JsonNode call(String tool, String path) throws Exception {
    JsonNode r = call(tool, path, null);
    if ("approval_required".equals(r.path("status").asText())) {
      JsonNode approval = r.path("approval");
      String id = approval.path("id").asText();
      String token = approval.path("token").asText(id);
      assertEquals(200, d.post("/v1/approvals/" + id + "/approve", "").status());
      r = call(tool, path, token);
    }
    return r;
  }

  private JsonNode call(String tool, String path, String token) throws Exception {
    ObjectNode c = JSON.createObjectNode();
    ObjectNode call = c.putObject("call");
    call.put("tool_id", tool);
    call.putObject("args").put("path", path);
    if (token != null) {
      call.put("approval_token", token);
    }
    return d.post("/v1/tools/call", c.toString()).json();
  }

  private JsonNode receipt(long id) throws Exception {
    assertTrue("no receipt id", id > 0);
    for (JsonNode r : d.get("/v1/receipts?limit=200").json().path("receipts")) {
      if (r.path("id").asLong() == id) {
        return r.path("event");
      }
    }
    throw new AssertionError("receipt " + id + " not found");
  }

  private void install(byte[] jar) throws Exception {
    Distribution.Answer a = d.postBytes("/v1/plugins", jar, "application/java-archive");
    assertTrue(a.body(), a.status() == 200 || a.status() == 201);
  }

  private boolean hasTool(String id) {
    try {
      for (JsonNode t : d.get("/v1/tools").json().path("tools")) {
        if (id.equals(t.path("id").asText())) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  private static Path wasmFileExample() {
    return FeatureBundles.root()
        .resolve(
            "connector-bundles/examples/wasm-file/target/"
                + "dev.briefcase.examples.wasm.file-0.1.0-SNAPSHOT.jar");
  }
}
