package dev.briefcase.itests.distribution;

import static dev.briefcase.testing.Poll.waitFor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.itests.common.Distribution;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * WASM tools in the real distribution: the two example bundles, the escape-regression suite (each
 * escape a {@code sandbox_violation} with a deny receipt and no side effect), DNS rebinding against
 * a real DNS server the test runs, {@code request_approval}, persistent {@code kv}, and a hot swap
 * of a WASM tool bundle under concurrent calls. Everything stays on this machine: the DNS server
 * and the HTTP servers listen on loopback, and the one "public" address (TEST-NET-2 198.51.100.7)
 * is added to the loopback interface for the run.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class SandboxIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PUBLIC_ADDRESS = "198.51.100.7";

  private static Path tmp;
  private static Distribution d;
  private static DnsResponder dns;
  private static HttpServer api;
  private static int apiPort;
  private static final AtomicInteger targetHits = new AtomicInteger();
  private static Path allowed;
  private static Path outside;
  private static boolean addedAddress;

  @BeforeClass
  public static void start() throws Exception {
    tmp = Files.createTempDirectory("briefcase-sandbox");
    addedAddress = loopbackAlias(true);
    dns =
        new DnsResponder()
            .answer("meta.test", "169.254.169.254")
            .answer("ten.test", "10.0.0.1")
            .answer("v6.test", "::1")
            .answer("mapped.test", "10.0.0.1")
            .rebind("rebind.test", PUBLIC_ADDRESS, "127.0.0.1");
    api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    api.createContext("/api/hello", ex -> respond(ex, 200, "{\"hello\":\"wasm\"}", null));
    api.createContext(
        "/api/redirect", ex -> respond(ex, 302, "", "http://127.0.0.1:" + apiPort + "/api/target"));
    api.createContext(
        "/api/target",
        ex -> {
          targetHits.incrementAndGet();
          respond(ex, 200, "{\"reached\":true}", null);
        });
    api.start();
    apiPort = api.getAddress().getPort();

    allowed = Files.createDirectories(tmp.resolve("allowed"));
    outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(allowed.resolve("a.txt"), "hello file");
    Files.writeString(outside.resolve("secret.txt"), "TOP-SECRET-CANARY");
    Files.createSymbolicLink(allowed.resolve("link.txt"), outside.resolve("secret.txt"));

    d =
        new Distribution(tmp.resolve("data"))
            .env("BRIEFCASE_EGRESS_DNS_SERVER", dns.address())
            .env("BRIEFCASE_SANDBOX_DEV_LOOPBACK", "1")
            .start();
    install(Files.readAllBytes(WasmBundles.example("http")));
    install(Files.readAllBytes(WasmBundles.example("file")));
    install(escapeBundle());
    waitFor(
        () -> hasTool("wasm_http_get") && hasTool("wasm_file_read") && hasTool("esc_loop"),
        "WASM tools to be offered");

    manifest(
        "wasm_http_get",
        "{\"egress\":{\"allowed_hosts\":[\"127.0.0.1\",\"meta.test\",\"ten.test\",\"v6.test\","
            + "\"mapped.test\",\"rebind.test\"],\"allowed_http_path_prefixes\":[\"/api/\"]}}");
    manifest(
        "wasm_file_read", "{\"filesystem\":{\"allowed_path_prefixes\":[\"" + allowed + "\"]}}");
    manifest("esc_argsmut", "{\"filesystem\":{\"allowed_path_prefixes\":[\"" + allowed + "\"]}}");
  }

  @AfterClass
  public static void stop() throws Exception {
    if (d != null) {
      d.close();
    }
    if (dns != null) {
      dns.close();
    }
    if (api != null) {
      api.stop(0);
    }
    if (addedAddress) {
      loopbackAlias(false);
    }
  }

  // --- the examples ---

  @Test
  public void a_exampleToolsUseWhatTheOperatorAllowed() throws Exception {
    JsonNode http =
        approvedCall("wasm_http_get", "{\"url\":\"http://127.0.0.1:" + apiPort + "/api/hello\"}");
    assertEquals(http.toString(), "ok", http.path("status").asText());
    JsonNode content = http.path("result").path("content");
    assertEquals(200, content.path("status").asInt());
    assertEquals("{\"hello\":\"wasm\"}", content.path("body").asText());
    assertEquals(
        "wasm:wasm_http_get", http.path("result").path("provenance").path("source").asText());

    JsonNode file = call("wasm_file_read", "{\"path\":\"" + allowed.resolve("a.txt") + "\"}");
    assertEquals(file.toString(), "ok", file.path("status").asText());
    assertEquals(
        "hello file",
        new String(
            java.util.Base64.getUrlDecoder()
                .decode(file.path("result").path("content").path("data_b64").asText()),
            StandardCharsets.UTF_8));

    // The bundle declares it needs only /api/: an operator allowing "/" does not widen that.
    manifest(
        "wasm_http_get",
        "{\"egress\":{\"allowed_hosts\":[\"127.0.0.1\"],\"allowed_http_path_prefixes\":[\"/\"]}}");
    JsonNode outsideCeiling =
        approvedCall("wasm_http_get", "{\"url\":\"http://127.0.0.1:" + apiPort + "/other\"}");
    assertEquals(outsideCeiling.toString(), "denied", outsideCeiling.path("status").asText());
    assertTrue(outsideCeiling.path("reason").asText().contains("path_not_allowed"));
    manifest(
        "wasm_http_get",
        "{\"egress\":{\"allowed_hosts\":[\"127.0.0.1\",\"meta.test\",\"ten.test\",\"v6.test\","
            + "\"mapped.test\",\"rebind.test\"],\"allowed_http_path_prefixes\":[\"/api/\"]}}");
  }

  // --- the escape-regression suite ---

  @Test
  public void b_everyEscapeIsAReceiptedViolationWithoutSideEffect() throws Exception {
    Map<String, String[]> cases = new LinkedHashMap<>();
    cases.put("infinite loop", new String[] {"esc_loop", "{}", "fuel exhausted"});
    cases.put("memory bomb", new String[] {"esc_membomb", "{}", "memory limit exceeded"});
    cases.put("out-of-bounds host pointer", new String[] {"esc_oob", "{}", "out-of-bounds"});
    cases.put("oversize output", new String[] {"esc_oversize", "{}", "output too large"});
    cases.put(
        "mutation of validated args",
        new String[] {
          "esc_argsmut", "{\"path\":\"" + allowed.resolve("a.txt") + "\"}", "args mismatch"
        });
    cases.put(
        "egress to a host not allowed",
        new String[] {
          "wasm_http_get", "{\"url\":\"https://not-allowed.test/api/x\"}", "egress denied"
        });
    cases.put(
        "host resolving to 169.254.169.254",
        new String[] {"wasm_http_get", "{\"url\":\"https://meta.test/api/x\"}", "address_refused"});
    cases.put(
        "host resolving to 10.x",
        new String[] {"wasm_http_get", "{\"url\":\"https://ten.test/api/x\"}", "address_refused"});
    cases.put(
        "host resolving to ::1",
        new String[] {"wasm_http_get", "{\"url\":\"https://v6.test/api/x\"}", "address_refused"});
    cases.put(
        "host resolving to IPv4-mapped ::ffff:10.0.0.1",
        new String[] {
          "wasm_http_get", "{\"url\":\"https://mapped.test/api/x\"}", "address_refused"
        });
    cases.put(
        "redirect to an allowed host",
        new String[] {
          "wasm_http_get",
          "{\"url\":\"http://127.0.0.1:" + apiPort + "/api/redirect\"}",
          "redirect_refused"
        });
    cases.put(
        "symlink escape from the allowed directory",
        new String[] {
          "wasm_file_read",
          "{\"path\":\"" + allowed.resolve("link.txt") + "\"}",
          "fs path not allowed"
        });
    cases.put(
        "path traversal",
        new String[] {
          "wasm_file_read",
          "{\"path\":\"" + allowed + "/../outside/secret.txt\"}",
          "fs path not allowed"
        });
    List<String> report = new ArrayList<>();
    for (Map.Entry<String, String[]> c : cases.entrySet()) {
      String[] v = c.getValue();
      JsonNode r = approvedCall(v[0], v[1]);
      String what = c.getKey() + ": " + r;
      assertEquals(what, "denied", r.path("status").asText());
      String reason = r.path("reason").asText();
      assertTrue(what, reason.startsWith("sandbox_violation:"));
      assertTrue(what, reason.contains(v[2]));
      assertFalse(what, r.toString().contains("TOP-SECRET"));
      JsonNode receipt = receipt(r.path("receipt_id").asLong());
      assertEquals(what, "tool_call", receipt.path("type").asText());
      assertEquals(what, v[0], receipt.path("tool_id").asText());
      assertEquals(what, "deny", receipt.path("decision").asText());
      assertEquals(what, reason, receipt.path("reason").asText());
      report.add(
          String.format(
              "  %-46s -> %s (receipt %d)", c.getKey(), reason, r.path("receipt_id").asLong()));
    }
    System.out.println("escape-regression suite through the distribution:");
    report.forEach(System.out::println);
    // no side effects
    assertEquals("the redirect target was contacted", 0, targetHits.get());
    assertEquals("a name that is not allowed was looked up", 0, dns.questions("not-allowed.test"));
    assertEquals(
        "receipt chain", true, d.post("/v1/receipts/verify", "").json().path("ok").asBoolean());
  }

  @Test
  public void c_dnsRebindingNeverReachesThePrivateAddress() throws Exception {
    try (ServerSocket pub = new ServerSocket();
        ServerSocket priv = new ServerSocket()) {
      pub.bind(new InetSocketAddress(InetAddress.getByName(PUBLIC_ADDRESS), 0));
      int port = pub.getLocalPort();
      priv.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      AtomicInteger publicConnections = countConnections(pub);
      AtomicInteger privateConnections = countConnections(priv);
      String args = "{\"url\":\"https://rebind.test:" + port + "/api/x\"}";

      // First lookup answers the public address: the call dials exactly it (TLS then fails
      // against this plain listener, an ordinary tool error, not a violation).
      JsonNode first = approvedCall("wasm_http_get", args);
      assertEquals(first.toString(), "ok", first.path("status").asText());
      assertFalse(first.path("result").path("content").path("ok").asBoolean(true));
      waitFor(() -> publicConnections.get() == 1, "the validated public address to be dialled");

      // The name now answers 127.0.0.1: refused before any connection.
      JsonNode second = approvedCall("wasm_http_get", args);
      assertEquals(second.toString(), "denied", second.path("status").asText());
      assertTrue(second.toString(), second.path("reason").asText().contains("address_refused"));
      assertEquals("deny", receipt(second.path("receipt_id").asLong()).path("decision").asText());

      assertEquals("one A lookup per call", 2, dns.questions("rebind.test", 1));
      assertEquals("the private address was contacted", 0, privateConnections.get());
      assertEquals(1, publicConnections.get());
      System.out.printf(
          "DNS rebinding: A lookups %d, public connections %d, private connections %d%n",
          dns.questions("rebind.test", 1), publicConnections.get(), privateConnections.get());
    }
  }

  @Test
  public void d_requestApprovalAsksAHumanForExactlyThisCall() throws Exception {
    JsonNode first = call("esc_approval", "{\"summary\":\"pay bob 5 USD\"}");
    assertEquals(first.toString(), "approval_required", first.path("status").asText());
    assertEquals("tool_requested_approval", first.path("approval").path("reason").asText());
    String id = first.path("approval").path("id").asText();
    assertEquals(
        "invalid_or_expired_approval",
        call("esc_approval", "{\"summary\":\"pay bob 5 USD\"}", id).path("reason").asText());
    Distribution.Answer approved = d.post("/v1/approvals/" + id + "/approve", "");
    assertEquals(200, approved.status());
    String token = approved.json().path("approval_token").asText();
    assertEquals(
        "invalid_or_expired_approval",
        call("esc_approval", "{\"summary\":\"pay eve 500 USD\"}", token).path("reason").asText());
    JsonNode ok = call("esc_approval", "{\"summary\":\"pay bob 5 USD\"}", token);
    assertEquals(ok.toString(), "ok", ok.path("status").asText());
    assertTrue(ok.path("result").path("content").path("approved").asBoolean());
  }

  @Test
  public void e_hotSwapUnderConcurrentCallsDropsNothing() throws Exception {
    byte[] v1 = swapBundle(1);
    byte[] v2 = swapBundle(2);
    byte[] v3 = swapBundle(3);
    long id = install(v1);
    waitFor(() -> hasTool("swap_version"), "swap_version after install");

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicBoolean uninstalling = new AtomicBoolean(false);
    AtomicLong ok = new AtomicLong();
    AtomicLong failedBeforeUninstall = new AtomicLong();
    AtomicLong unavailableAfter = new AtomicLong();
    AtomicLong unknownAfter = new AtomicLong();
    AtomicLong otherAfter = new AtomicLong();
    Map<Integer, AtomicLong> byVersion = new java.util.concurrent.ConcurrentHashMap<>();
    List<String> firstFailures = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  JsonNode r;
                  try {
                    r = call("swap_version", "{}");
                  } catch (Exception e) {
                    r =
                        JSON.createObjectNode()
                            .put("status", "exception")
                            .put("message", e.toString());
                  }
                  boolean after = uninstalling.get();
                  if ("ok".equals(r.path("status").asText())) {
                    ok.incrementAndGet();
                    int v = r.path("result").path("content").path("v").asInt();
                    byVersion.computeIfAbsent(v, k -> new AtomicLong()).incrementAndGet();
                  } else if (!after) {
                    failedBeforeUninstall.incrementAndGet();
                    if (firstFailures.size() < 5) {
                      firstFailures.add(r.toString());
                    }
                  } else if (r.path("message").asText().startsWith("backend_unavailable")) {
                    unavailableAfter.incrementAndGet();
                  } else if ("unknown_tool".equals(r.path("reason").asText())) {
                    unknownAfter.incrementAndGet();
                  } else {
                    otherAfter.incrementAndGet();
                    if (firstFailures.size() < 5) {
                      firstFailures.add(r.toString());
                    }
                  }
                }
              },
              "wasm-caller-" + i);
      t.start();
      callers.add(t);
    }
    try {
      waitFor(() -> ok.get() > 100, "calls on v1");
      assertEquals(200, d.postBytes("/v1/plugins/" + id + "/update", v2, JAR).status());
      waitFor(() -> byVersion.containsKey(2), "calls answered by v2");
      long mark = ok.get();
      waitFor(() -> ok.get() > mark + 100, "more calls on v2");
      assertEquals(200, d.postBytes("/v1/plugins/" + id + "/update", v3, JAR).status());
      waitFor(() -> byVersion.containsKey(3), "calls answered by v3");
      long mark3 = ok.get();
      waitFor(() -> ok.get() > mark3 + 100, "more calls on v3");
      uninstalling.set(true);
      assertEquals(200, d.post("/v1/plugins/" + id + "/uninstall", "").status());
      waitFor(() -> !hasTool("swap_version"), "swap_version to disappear");
      long gone = unknownAfter.get() + unavailableAfter.get();
      waitFor(
          () -> unknownAfter.get() + unavailableAfter.get() > gone + 20,
          "calls after the uninstall");
    } finally {
      running.set(false);
      for (Thread t : callers) {
        t.join(30_000);
      }
    }
    System.out.printf(
        "WASM hot swap (install, update x2, uninstall; 4 callers through the admin API): ok %d"
            + " (by version %s), failed before uninstall %d, after uninstall: backend_unavailable"
            + " %d, unknown_tool %d, other %d%n",
        ok.get(),
        byVersion,
        failedBeforeUninstall.get(),
        unavailableAfter.get(),
        unknownAfter.get(),
        otherAfter.get());
    assertEquals("failures before uninstall: " + firstFailures, 0, failedBeforeUninstall.get());
    assertEquals("unexpected failures after uninstall: " + firstFailures, 0, otherAfter.get());
    assertTrue(byVersion.keySet().containsAll(List.of(1, 2, 3)));
  }

  @Test
  public void z_kvIsPerToolPersistentAndSurvivesARestart() throws Exception {
    JsonNode put = call("esc_kv", "{\"key\":\"greeting\",\"value\":{\"n\":42}}");
    assertEquals(put.toString(), "ok", put.path("status").asText());
    assertEquals(42, put.path("result").path("content").path("value").path("n").asInt());
    // another tool has its own namespace
    assertFalse(
        call("esc_kv_other", "{\"key\":\"greeting\"}")
            .path("result")
            .path("content")
            .path("found")
            .asBoolean(true));
    // over the 1 MiB quota: a violation, and the namespace keeps what it had
    String big = "x".repeat(600_000);
    JsonNode first = call("esc_kv", "{\"key\":\"big1\",\"value\":\"" + big + "\"}");
    assertEquals("ok", first.path("status").asText());
    JsonNode over = call("esc_kv", "{\"key\":\"big2\",\"value\":\"" + big + "\"}");
    assertEquals(over.toString(), "denied", over.path("status").asText());
    assertTrue(over.path("reason").asText().contains("kv quota exceeded"));

    d.stop();
    d.start();
    waitFor(() -> hasTool("esc_kv"), "the escape bundle to be restored after restart");
    JsonNode got = call("esc_kv", "{\"key\":\"greeting\"}");
    assertEquals(got.toString(), "ok", got.path("status").asText());
    JsonNode content = got.path("result").path("content");
    assertTrue(content.toString(), content.path("found").asBoolean());
    assertEquals(42, content.path("value").path("n").asInt());
    assertFalse(
        call("esc_kv", "{\"key\":\"big2\"}")
            .path("result")
            .path("content")
            .path("found")
            .asBoolean(true));
  }

  // --- helpers ---

  private static final String JAR = "application/java-archive";

  private static byte[] escapeBundle() throws Exception {
    String fsRead = "(import \"host\" \"fs_read\" (func $fs (param i32 i32) (result i64)))";
    return new WasmBundles()
        .tool("esc_loop", WasmBundles.run("", "(loop $l (br $l)) (i64.const 0)"), "", null)
        .tool(
            "esc_membomb",
            WasmBundles.run(
                "", "(loop $l (drop (memory.grow (i32.const 16))) (br $l)) (i64.const 0)"),
            "",
            null)
        .tool(
            "esc_oob",
            WasmBundles.run(fsRead, "(call $fs (i32.const 0xFFFFFF00) (i32.const 4096))"),
            "",
            null)
        .tool(
            "esc_oversize",
            WasmBundles.run(
                "", "(i64.or (i64.shl (i64.const 5242880) (i64.const 32)) (i64.const 0))"),
            "",
            null)
        .tool(
            "esc_argsmut",
            WasmBundles.run(
                fsRead,
                // point the validated path elsewhere, then hand the region to fs_read
                "(i32.store8 (i32.add (local.get 0) (i32.const 10)) (i32.const 47))"
                    + " (call $fs (local.get 0) (local.get 1))"),
            "\"path\":{\"type\":\"string\"}",
            null)
        .tool(
            "esc_approval",
            WasmBundles.forward("request_approval"),
            "\"summary\":{\"type\":\"string\",\"maxLength\":200}",
            null)
        .tool(
            "esc_kv",
            // kv_put with the args (refused as bad_request without a value), then kv_get
            WasmBundles.run(
                "(import \"host\" \"kv_put\" (func $put (param i32 i32) (result i64)))"
                    + " (import \"host\" \"kv_get\" (func $get (param i32 i32) (result i64)))",
                "(drop (call $put (local.get 0) (local.get 1)))"
                    + " (call $get (local.get 0) (local.get 1))"),
            "\"key\":{\"type\":\"string\"},\"value\":{}",
            null)
        .tool("esc_kv_other", WasmBundles.forward("kv_get"), "\"key\":{\"type\":\"string\"}", null)
        .jar("itest.wasm.escapes", "1.0.0");
  }

  private static byte[] swapBundle(int version) throws Exception {
    String body = "{\"v\":" + version + "}";
    String wat =
        "(module (memory (export \"memory\") 1) (data (i32.const 40000) \""
            + body.replace("\"", "\\\"")
            + "\") (func (export \"run\") (param i32 i32) (result i64)"
            + " (i64.or (i64.shl (i64.const "
            + body.length()
            + ") (i64.const 32)) (i64.const 40000))))";
    return new WasmBundles()
        .tool("swap_version", wat, "", null)
        .jar("itest.wasm.swap", "1.0." + version);
  }

  private static long install(byte[] jar) throws Exception {
    Distribution.Answer a = d.postBytes("/v1/plugins", jar, JAR);
    assertTrue(a.body(), a.status() == 200 || a.status() == 201);
    return a.json().path("bundle_id").asLong();
  }

  private static void manifest(String tool, String body) throws Exception {
    Distribution.Answer a = d.post("/v1/tools/" + tool + "/manifest", body);
    assertEquals(a.body(), 200, a.status());
  }

  private static JsonNode call(String tool, String args) throws Exception {
    return call(tool, args, null);
  }

  /**
   * A call whose URL-like args make the risk heuristics ask a human (SPEC §20): approved as an
   * operator would, then retried with the token, so the sandbox is what decides.
   */
  private static JsonNode approvedCall(String tool, String args) throws Exception {
    JsonNode r = call(tool, args);
    if ("approval_required".equals(r.path("status").asText())
        && r.path("approval").path("reason").asText().startsWith("risk:")) {
      String id = r.path("approval").path("id").asText();
      Distribution.Answer approved = d.post("/v1/approvals/" + id + "/approve", "");
      assertEquals(200, approved.status());
      r = call(tool, args, approved.json().path("approval_token").asText());
    }
    return r;
  }

  private static JsonNode call(String tool, String args, String token) throws Exception {
    ObjectNode c = JSON.createObjectNode();
    ObjectNode call = c.putObject("call");
    call.put("tool_id", tool);
    call.set("args", JSON.readTree(args));
    if (token != null) {
      call.put("approval_token", token);
    }
    return d.post("/v1/tools/call", c.toString()).json();
  }

  private static JsonNode receipt(long id) throws Exception {
    assertTrue("no receipt id", id > 0);
    for (JsonNode r : d.get("/v1/receipts?limit=200").json().path("receipts")) {
      if (r.path("id").asLong() == id) {
        return r.path("event");
      }
    }
    throw new AssertionError("receipt " + id + " not found");
  }

  private static boolean hasTool(String id) {
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

  private static AtomicInteger countConnections(ServerSocket server) {
    AtomicInteger n = new AtomicInteger();
    Thread t =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                  n.incrementAndGet();
                } catch (IOException e) {
                  return;
                }
              }
            },
            "listener-" + server.getLocalSocketAddress());
    t.setDaemon(true);
    t.start();
    return n;
  }

  private static void respond(
      com.sun.net.httpserver.HttpExchange ex, int status, String body, String location)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    if (location != null) {
      ex.getResponseHeaders().add("Location", location);
    }
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      ex.getResponseBody().write(b);
    }
    ex.close();
  }

  /**
   * Adds (or removes) TEST-NET-2 198.51.100.7 on the loopback interface, so the rebinding test's
   * "public" answer is served locally. Needs root, like the other tests that install packages.
   *
   * @return whether this run added it
   */
  private static boolean loopbackAlias(boolean add) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("ip", "addr", add ? "add" : "del", PUBLIC_ADDRESS + "/32", "dev", "lo")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    if (add && p.exitValue() != 0 && !out.contains("File exists")) {
      throw new AssertionError("cannot add " + PUBLIC_ADDRESS + " to lo (needs root): " + out);
    }
    return add && p.exitValue() == 0;
  }
}
