package dev.briefcase.sandbox.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.ApprovalRequiredException;
import dev.briefcase.connector.SandboxViolationException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.tools.ToolManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Real WASM modules (WAT compiled at test time) against the ABI and the escape regressions. */
public class WasmToolTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ObjectMapper json = new ObjectMapper();
  private final FakeEgress egress = new FakeEgress();

  static final String PACK =
      "(i64.or (i64.shl (i64.extend_i32_u (local.get $l)) (i64.const 32))"
          + " (i64.extend_i32_u (local.get $p)))";

  static final String ECHO =
      "(module (memory (export \"memory\") 1)"
          + " (func (export \"run\") (param $p i32) (param $l i32) (result i64) "
          + PACK
          + "))";

  /**
   * A module whose run calls host import {@code name} with {@code request} and returns its answer.
   */
  static String hostCall(String name, String request) {
    int len = request.getBytes(StandardCharsets.UTF_8).length;
    return "(module (import \"host\" \""
        + name
        + "\" (func $h (param i32 i32) (result i64)))"
        + " (memory (export \"memory\") 1)"
        + " (data (i32.const 32768) \""
        + Wat.str(request)
        + "\")"
        + " (func (export \"run\") (param i32 i32) (result i64)"
        + " (call $h (i32.const 32768) (i32.const "
        + len
        + "))))";
  }

  static ToolManifest manifest(List<String> hosts, List<String> paths, List<String> fs) {
    return new ToolManifest("t", "wasm", hosts, paths, fs, ToolManifest.DEFAULT_MAX_OUTPUT_BYTES);
  }

  static ToolManifest denyAll() {
    return ToolManifest.denyAll("t", "wasm");
  }

  private WasmTool tool(String wat, ToolManifest m) throws ToolException {
    return new WasmTool(Wat.compile(wat), m, SandboxLimits.defaults(), egress);
  }

  private static String violation(ThrowingRun r) {
    try {
      r.run();
    } catch (SandboxViolationException e) {
      assertEquals("sandbox_violation", e.code());
      assertFalse(e.getMessage().contains("\n"));
      return e.getMessage();
    } catch (ToolException e) {
      fail("expected a sandbox violation, got " + e.code() + ": " + e.getMessage());
    }
    fail("expected a sandbox violation");
    return null;
  }

  interface ThrowingRun {
    void run() throws ToolException;
  }

  @Test
  public void outputThatIsNotJsonKeepsItsOwnCode() throws Exception {
    // returns the 8 bytes "not json" from a data segment: the result check, not a trap, refuses it
    String wat =
        "(module (memory (export \"memory\") 1)"
            + " (data (i32.const 32768) \"not json\")"
            + " (func (export \"run\") (param i32 i32) (result i64)"
            + " (i64.or (i64.shl (i64.const 8) (i64.const 32)) (i64.const 32768))))";
    WasmTool t = tool(wat, denyAll());
    try {
      t.run("{}");
      fail("non-JSON output was accepted");
    } catch (SandboxViolationException e) {
      fail("not a sandbox violation: " + e.getMessage());
    } catch (ToolException e) {
      assertEquals(e.getMessage(), ToolException.WASM_OUTPUT_INVALID, e.code());
    }
  }

  // --- happy paths ---

  @Test
  public void echoReturnsItsArgs() throws Exception {
    WasmTool t = tool(ECHO, denyAll());
    assertEquals("{\"text\":\"hi\"}", t.run("{\"text\":\"hi\"}"));
    // the warm (pooled) instance answers the next call with its own input, not the old one
    assertEquals("{\"text\":\"again, longer\"}", t.run("{\"text\":\"again, longer\"}"));
  }

  @Test
  public void readsAnAllowedFile() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path file = dir.resolve("a.txt");
    Files.writeString(file, "hello file");
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"" + file + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    JsonNode r = json.readTree(t.run("{}"));
    assertTrue(r.path("ok").asBoolean());
    assertEquals(10, r.path("bytes").asInt());
    assertEquals(
        "hello file", new String(Base64.getUrlDecoder().decode(r.path("data_b64").asText()), UTF8));
  }

  @Test
  public void missingAllowedFileIsNotFound() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"" + dir.resolve("nope") + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("{\"ok\":false,\"error\":\"not_found\"}", t.run("{}"));
  }

  @Test
  public void writesAnAllowedFile() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path file = dir.resolve("out.txt");
    String b64 = Base64.getUrlEncoder().encodeToString("written".getBytes(UTF8));
    WasmTool t =
        tool(
            hostCall("fs_write", "{\"path\":\"" + file + "\",\"data_b64\":\"" + b64 + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("{\"ok\":true,\"bytes\":7}", t.run("{}"));
    assertEquals("written", Files.readString(file));
  }

  @Test
  public void allowedHostGoesThroughTheEgressClientWithTheManifestPolicy() throws Exception {
    WasmTool t =
        tool(
            hostCall("http_request", "{\"url\":\"https://Example.com/api/quote?symbol=X\"}"),
            manifest(List.of("example.com"), List.of("/api/quote"), List.of()));
    JsonNode r = json.readTree(t.run("{}"));
    assertTrue(r.path("ok").asBoolean());
    assertEquals(200, r.path("status").asInt());
    assertEquals("{\"price\":42}", r.path("body").asText());
    assertEquals(1, egress.calls.size());
    assertEquals("GET", egress.calls.get(0).method());
    assertEquals(List.of("/api/quote"), egress.policies.get(0).allowedPathPrefixes());
    assertTrue(egress.policies.get(0).allowedHosts().contains("example.com"));
    assertFalse(egress.policies.get(0).devLoopback());
    assertTrue(egress.policies.get(0).totalTimeout().compareTo(Duration.ofSeconds(10)) <= 0);
  }

  @Test
  public void kvPutThenGetInOneNamespace() throws Exception {
    String put = "{\"key\":\"k\",\"value\":{\"n\":1}}";
    String get = "{\"key\":\"k\"}";
    String wat =
        "(module (import \"host\" \"kv_put\" (func $put (param i32 i32) (result i64)))"
            + " (import \"host\" \"kv_get\" (func $get (param i32 i32) (result i64)))"
            + " (memory (export \"memory\") 1)"
            + " (data (i32.const 32768) \""
            + Wat.str(put)
            + "\") (data (i32.const 40000) \""
            + Wat.str(get)
            + "\")"
            + " (func (export \"run\") (param i32 i32) (result i64)"
            + " (drop (call $put (i32.const 32768) (i32.const "
            + put.length()
            + "))) (call $get (i32.const 40000) (i32.const "
            + get.length()
            + "))))";
    WasmTool t = tool(wat, denyAll());
    assertEquals("{\"ok\":true,\"found\":true,\"value\":{\"n\":1}}", t.run("{}"));
  }

  @Test
  public void requestApprovalEndsAnUnapprovedCallAndPassesAnApprovedOne() throws Exception {
    WasmTool t = tool(hostCall("request_approval", "{\"summary\":\"pay bob 5\"}"), denyAll());
    try {
      t.run("{}");
      fail("an unapproved call must not get past request_approval");
    } catch (ApprovalRequiredException e) {
      assertEquals("pay bob 5", e.summary());
    }
    assertEquals(
        "{\"ok\":true,\"approved\":true}",
        t.run("{}", denyAll(), "7a1c0c38-0b7e-4c1e-9d57-0d6f3c1f2b9a"));
    assertEquals(
        "{\"ok\":false,\"error\":\"bad_request\"}",
        tool(hostCall("request_approval", "{\"summary\":\"\"}"), denyAll()).run("{}"));
  }

  @Test
  public void pooledInstanceIsResetBetweenCalls() throws Exception {
    // run: if the canary at 0x9000 or in the global is set, return "leak"; then set both and
    // return "clean". A reused instance must answer "clean" every time.
    String wat =
        "(module (memory (export \"memory\") 1) (global $g (mut i32) (i32.const 0))"
            + " (data (i32.const 36864) \"0\")"
            + " (data (i32.const 40000) \"{\\\"r\\\":\\\"leak\\\"}\")"
            + " (data (i32.const 40100) \"{\\\"r\\\":\\\"clean\\\"}\")"
            + " (func (export \"run\") (param i32 i32) (result i64)"
            + " (if (i32.or (i32.ne (i32.load8_u (i32.const 36864)) (i32.const 48))"
            + " (i32.ne (global.get $g) (i32.const 0)))"
            + " (then (return (i64.or (i64.shl (i64.const 12) (i64.const 32))"
            + " (i64.const 40000)))))"
            + " (i32.store8 (i32.const 36864) (i32.const 88))"
            + " (global.set $g (i32.const 1))"
            + " (i64.or (i64.shl (i64.const 13) (i64.const 32)) (i64.const 40100))))";
    WasmTool t =
        new WasmTool(Wat.compile(wat), denyAll(), SandboxLimits.defaults().withPoolSize(1), egress);
    for (int i = 0; i < 5; i++) {
      assertEquals("call " + i, "{\"r\":\"clean\"}", t.run("{}"));
    }
  }

  @Test
  public void validatedArgsAreReadOnly() throws Exception {
    String wat =
        "(module (memory (export \"memory\") 1)"
            + " (func (export \"run\") (param $p i32) (param $l i32) (result i64)"
            + " (i32.store8 (i32.const 4098) (i32.const 88)) "
            + PACK
            + "))";
    WasmTool t = tool(wat, denyAll());
    assertEquals("args mismatch", violation(() -> t.run("{\"symbol\":\"ABC\"}")));
  }

  @Test
  public void closedToolIsBackendUnavailable() throws Exception {
    WasmTool t = tool(ECHO, denyAll());
    t.close();
    try {
      t.run("{}");
      fail("closed");
    } catch (ToolException e) {
      assertEquals(ToolException.BACKEND_UNAVAILABLE, e.code());
    }
  }

  // --- escape regressions ---

  static final String LOOP =
      "(module (memory (export \"memory\") 1)"
          + " (func (export \"run\") (param i32 i32) (result i64)"
          + " (loop $l (br $l)) (i64.const 0)))";

  @Test
  public void infiniteLoopRunsOutOfFuel() throws Exception {
    WasmTool t =
        new WasmTool(
            Wat.compile(LOOP), denyAll(), SandboxLimits.defaults().withFuel(10_000), egress);
    assertEquals("fuel exhausted", violation(() -> t.run("{}")));
  }

  @Test
  public void infiniteLoopHitsTheWallClock() throws Exception {
    WasmTool t =
        new WasmTool(
            Wat.compile(LOOP),
            denyAll(),
            SandboxLimits.defaults().withFuel(Long.MAX_VALUE).withWallClock(Duration.ofMillis(200)),
            egress);
    assertEquals("wall clock exceeded", violation(() -> t.run("{}")));
  }

  @Test
  public void memoryBombIsStoppedAtTheCap() throws Exception {
    String wat =
        "(module (memory (export \"memory\") 1)"
            + " (func (export \"run\") (param i32 i32) (result i64)"
            + " (drop (memory.grow (i32.const 1000))) (i64.const 0)))";
    WasmTool t = tool(wat, denyAll());
    assertEquals("memory limit exceeded", violation(() -> t.run("{}")));
  }

  @Test
  public void moduleDeclaringTooMuchMemoryIsRefused() {
    String wat =
        "(module (memory (export \"memory\") 300)"
            + " (func (export \"run\") (param i32 i32) (result i64) (i64.const 0)))";
    assertEquals("memory limit exceeded", violation(() -> tool(wat, denyAll())));
  }

  @Test
  public void outOfBoundsHostPointerIsAViolation() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Files.writeString(dir.resolve("a.txt"), "x");
    String wat =
        "(module (import \"host\" \"fs_read\" (func $h (param i32 i32) (result i64)))"
            + " (memory (export \"memory\") 1)"
            + " (func (export \"run\") (param i32 i32) (result i64)"
            + " (call $h (i32.const -256) (i32.const 1000))))";
    WasmTool t = tool(wat, manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("out-of-bounds pointer", violation(() -> t.run("{}")));
  }

  @Test
  public void outOfBoundsOutputPointerIsAViolation() throws Exception {
    // len 16 at ptr 65530: crosses the end of the single page
    String wat =
        "(module (memory (export \"memory\") 1)"
            + " (func (export \"run\") (param i32 i32) (result i64)"
            + " (i64.const 0x100000FFFA)))";
    WasmTool t = tool(wat, denyAll());
    assertEquals("out-of-bounds pointer", violation(() -> t.run("{}")));
  }

  @Test
  public void oversizeOutputIsAViolation() throws Exception {
    // claims 2 MiB of output against the 1 MiB manifest limit
    String wat =
        "(module (memory (export \"memory\") 64)"
            + " (func (export \"run\") (param i32 i32) (result i64)"
            + " (i64.const 0x0020000000000000)))";
    WasmTool t = tool(wat, denyAll());
    assertEquals("output too large", violation(() -> t.run("{}")));
  }

  @Test
  public void wasiImportRefusesInstantiation() {
    String wat =
        "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
            + " (func (param i32 i32 i32 i32) (result i32)))"
            + " (memory (export \"memory\") 1)"
            + " (func (export \"run\") (param i32 i32) (result i64) (i64.const 0)))";
    assertEquals("import not allowed", violation(() -> tool(wat, denyAll())));
  }

  @Test
  public void hostImportWithAnotherSignatureIsRefused() {
    String wat =
        "(module (import \"host\" \"fs_read\" (func (param i32) (result i32)))"
            + " (memory (export \"memory\") 1)"
            + " (func (export \"run\") (param i32 i32) (result i64) (i64.const 0)))";
    assertEquals("import not allowed", violation(() -> tool(wat, denyAll())));
  }

  @Test
  public void egressToAHostNotAllowedNeverReachesTheClient() throws Exception {
    WasmTool t =
        tool(
            hostCall("http_request", "{\"url\":\"https://evil.example/api/quote\"}"),
            manifest(List.of("example.com"), List.of("/api/quote"), List.of()));
    assertEquals("egress denied", violation(() -> t.run("{}")));
    assertEquals(0, egress.calls.size());
  }

  @Test
  public void denyAllManifestRefusesEgress() throws Exception {
    WasmTool t = tool(hostCall("http_request", "{\"url\":\"https://example.com/\"}"), denyAll());
    assertEquals("egress denied", violation(() -> t.run("{}")));
    assertEquals(0, egress.calls.size());
  }

  @Test
  public void egressClientRefusalIsAViolation() throws Exception {
    egress.refuseWith = "egress_address_refused";
    WasmTool t =
        tool(
            hostCall("http_request", "{\"url\":\"https://example.com/api/quote\"}"),
            manifest(List.of("example.com"), List.of("/api/quote"), List.of()));
    assertEquals("egress denied: egress_address_refused", violation(() -> t.run("{}")));
  }

  @Test
  public void pathTraversalIsAViolation() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path secret = tmp.getRoot().toPath().resolve("secret.txt");
    Files.writeString(secret, "secret");
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"" + dir + "/../secret.txt\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("fs path not allowed", violation(() -> t.run("{}")));
  }

  @Test
  public void relativePathIsAViolation() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"secret.txt\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("fs path not absolute", violation(() -> t.run("{}")));
  }

  @Test
  public void prefixIsComparedPerComponent() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path sibling = tmp.newFolder("allowedx").toPath();
    Files.writeString(sibling.resolve("s.txt"), "secret");
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"" + sibling.resolve("s.txt") + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("fs path not allowed", violation(() -> t.run("{}")));
  }

  @Test
  public void symlinkEscapeIsAViolation() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path secret = tmp.getRoot().toPath().resolve("secret.txt");
    Files.writeString(secret, "secret");
    Path link = Files.createSymbolicLink(dir.resolve("link.txt"), secret);
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"" + link + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("fs path not allowed", violation(() -> t.run("{}")));
  }

  @Test
  public void symlinkedDirectoryEscapeIsAViolation() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path outside = tmp.newFolder("outside").toPath();
    Files.writeString(outside.resolve("s.txt"), "secret");
    Files.createSymbolicLink(dir.resolve("sub"), outside);
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"" + dir + "/sub/s.txt\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("fs path not allowed", violation(() -> t.run("{}")));
  }

  @Test
  public void protectedPathsAreRefusedEvenWhenTheManifestAllowsTheRoot() throws Exception {
    Path data = tmp.newFolder("data").toPath();
    Path token = Files.writeString(data.resolve("auth_token"), "token");
    Path dir = tmp.newFolder("allowed").toPath();
    Files.writeString(dir.resolve("a.txt"), "fine");
    String b64 = Base64.getUrlEncoder().encodeToString("pwned".getBytes(UTF8));
    for (String call :
        List.of(
            hostCall("fs_read", "{\"path\":\"" + token + "\"}"),
            hostCall("fs_write", "{\"path\":\"" + token + "\",\"data_b64\":\"" + b64 + "\"}"),
            hostCall("fs_read", "{\"path\":\"" + dir + "/../data/auth_token\"}"))) {
      WasmTool t =
          new WasmTool(
              Wat.compile(call),
              manifest(List.of(), List.of(), List.of("/")),
              SandboxLimits.defaults(),
              egress,
              new MemoryKv(KvStore.DEFAULT_QUOTA),
              () -> List.of(data));
      assertEquals("protected_path", violation(() -> t.run("{}")));
    }
    assertEquals("token", Files.readString(token));
    WasmTool fine =
        new WasmTool(
            Wat.compile(hostCall("fs_read", "{\"path\":\"" + dir.resolve("a.txt") + "\"}")),
            manifest(List.of(), List.of(), List.of("/")),
            SandboxLimits.defaults(),
            egress,
            new MemoryKv(KvStore.DEFAULT_QUOTA),
            () -> List.of(data));
    assertTrue(json.readTree(fine.run("{}")).path("ok").asBoolean());
  }

  @Test
  public void fileOverTheLimitIsAViolation() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path big = dir.resolve("big.bin");
    Files.write(big, new byte[5 << 20]);
    WasmTool t =
        tool(
            hostCall("fs_read", "{\"path\":\"" + big + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("file too large", violation(() -> t.run("{}")));
  }

  @Test
  public void writeThroughAFinalSymlinkIsRefusedAndLeavesTheTargetAlone() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path secret = tmp.getRoot().toPath().resolve("secret.txt");
    Files.writeString(secret, "secret");
    Path link = Files.createSymbolicLink(dir.resolve("link.txt"), secret);
    String b64 = Base64.getUrlEncoder().encodeToString("pwned".getBytes(UTF8));
    WasmTool t =
        tool(
            hostCall("fs_write", "{\"path\":\"" + link + "\",\"data_b64\":\"" + b64 + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("fs symlink refused", violation(() -> t.run("{}")));
    assertEquals("secret", Files.readString(secret));
  }

  @Test
  public void writeOutsideThePrefixCreatesNothing() throws Exception {
    Path dir = tmp.newFolder("allowed").toPath();
    Path target = tmp.getRoot().toPath().resolve("escaped.txt");
    String b64 = Base64.getUrlEncoder().encodeToString("pwned".getBytes(UTF8));
    WasmTool t =
        tool(
            hostCall(
                "fs_write",
                "{\"path\":\"" + dir + "/../escaped.txt\",\"data_b64\":\"" + b64 + "\"}"),
            manifest(List.of(), List.of(), List.of(dir.toString())));
    assertEquals("fs path not allowed", violation(() -> t.run("{}")));
    assertFalse(Files.exists(target));
  }

  @Test
  public void aViolationDoesNotPoisonTheNextCall() throws Exception {
    // a module that loops only when its input is longer than 2 bytes
    String wat =
        "(module (memory (export \"memory\") 1)"
            + " (func (export \"run\") (param $p i32) (param $l i32) (result i64)"
            + " (if (i32.gt_u (local.get $l) (i32.const 2)) (then (loop $x (br $x))))"
            + " "
            + PACK
            + "))";
    WasmTool t =
        new WasmTool(
            Wat.compile(wat), denyAll(), SandboxLimits.defaults().withFuel(10_000), egress);
    assertEquals("fuel exhausted", violation(() -> t.run("[1,2]")));
    assertEquals("{}", t.run("{}"));
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;
}
