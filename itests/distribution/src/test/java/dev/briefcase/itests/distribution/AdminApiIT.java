package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.itests.common.Distribution;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The admin API against its own OpenAPI document: every documented operation is called, answers
 * with a documented status and carries the documented required fields; bad input gets a 400 with a
 * stable code and changes nothing.
 */
public class AdminApiIT {
  private static Distribution d;
  private static JsonNode openApi;

  @BeforeClass
  public static void start() throws Exception {
    d = new Distribution(Files.createTempDirectory("briefcase-api")).start();
    d.awaitCredentialService(Duration.ofSeconds(60));
    openApi = d.get("/openapi.json").json();
  }

  @AfterClass
  public static void stop() throws Exception {
    d.close();
  }

  /** One example request per documented operation. */
  private Map<String, Distribution.Answer> exercise() throws Exception {
    Map<String, Distribution.Answer> out = new LinkedHashMap<>();
    String approvalId =
        d.post("/v1/tools/call", "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"x\"}}}")
            .json()
            .path("approval")
            .path("id")
            .asText();
    String denyId =
        d.post("/v1/tools/call", "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"y\"}}}")
            .json()
            .path("approval")
            .path("id")
            .asText();
    out.put("GET /health", d.get("/health"));
    out.put("GET /ready", d.get("/ready"));
    out.put("GET /openapi.json", d.get("/openapi.json"));
    out.put("GET /v1/tools", d.get("/v1/tools"));
    out.put(
        "POST /v1/tools/call",
        d.post("/v1/tools/call", "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"hi\"}}}"));
    out.put("GET /v1/tools/{id}/manifest", d.get("/v1/tools/file_read/manifest"));
    out.put(
        "POST /v1/tools/{id}/manifest",
        d.post(
            "/v1/tools/notes_list/manifest",
            "{\"egress\":{\"allowed_hosts\":[]},\"limits\":{\"max_output_bytes\":65536}}"));
    out.put("GET /v1/approvals", d.get("/v1/approvals"));
    out.put(
        "POST /v1/approvals/{id}/approve", d.post("/v1/approvals/" + approvalId + "/approve", ""));
    out.put("POST /v1/approvals/{id}/deny", d.post("/v1/approvals/" + denyId + "/deny", ""));
    out.put("GET /v1/approvals/stream", streamHead());
    out.put("GET /v1/receipts", d.get("/v1/receipts?limit=5"));
    out.put("POST /v1/receipts/verify", d.post("/v1/receipts/verify", ""));
    out.put("GET /v1/receipts/export", d.get("/v1/receipts/export?after_id=0"));
    out.put("GET /v1/budgets", d.get("/v1/budgets"));
    out.put(
        "POST /v1/budgets/{category}",
        d.post("/v1/budgets/read", "{\"daily_limit_microusd\":3000000}"));
    // no payment rail is installed: an empty page, and an unknown id is 404
    out.put("GET /v1/payments", d.get("/v1/payments?day=2026-12-08&rail=x402&limit=10"));
    out.put("GET /v1/payments/{id}", d.get("/v1/payments/00000000-0000-0000-0000-000000000000"));
    Distribution.Answer policy = d.get("/v1/policy");
    out.put("GET /v1/policy", policy);
    com.fasterxml.jackson.databind.node.ObjectNode same =
        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    same.put("policy_text", policy.json().get("policy_text").asText());
    out.put("POST /v1/policy", d.post("/v1/policy", same.toString()));
    out.put("POST /v1/secrets/{id}", d.post("/v1/secrets/contract", "{\"value_b64\":\"AAEC\"}"));
    out.put("GET /v1/secrets", d.get("/v1/secrets"));
    out.put("POST /v1/secrets/{id}/delete", d.post("/v1/secrets/contract/delete", ""));
    byte[] jar =
        java.nio.file.Files.readAllBytes(
            dev.briefcase.itests.common.FeatureBundles.root()
                .resolve(
                    "itests/test-connector/target/dev.briefcase.itests.connector-0.1.0-SNAPSHOT.jar"));
    Distribution.Answer installed = d.postBytes("/v1/plugins", jar, "application/java-archive");
    out.put("POST /v1/plugins", installed);
    long bundle = installed.json().path("bundle_id").asLong();
    out.put("GET /v1/plugins", d.get("/v1/plugins"));
    out.put(
        "POST /v1/plugins/{id}/update",
        d.postBytes("/v1/plugins/" + bundle + "/update", jar, "application/java-archive"));
    out.put("POST /v1/plugins/{id}/stop", d.post("/v1/plugins/" + bundle + "/stop", ""));
    out.put("POST /v1/plugins/{id}/start", d.post("/v1/plugins/" + bundle + "/start", ""));
    out.put("POST /v1/plugins/{id}/uninstall", d.post("/v1/plugins/" + bundle + "/uninstall", ""));
    out.put("POST /v1/keys/{role}", d.post("/v1/keys/dpop:contract", "{\"algorithm\":\"p256\"}"));
    out.put("GET /v1/keys", d.get("/v1/keys"));
    out.put("POST /v1/keys/{role}/rotate", d.post("/v1/keys/dpop:contract/rotate", ""));
    out.put("GET /v1/keys/{role}/public", d.get("/v1/keys/dpop:contract/public"));
    out.put("GET /v1/diagnostics/security", d.get("/v1/diagnostics/security"));
    out.put("POST /v1/keys/{role}/delete", d.post("/v1/keys/dpop:contract/delete", ""));
    // a provider on the discard port: nothing answers, so the login start fails closed (502)
    out.put(
        "POST /v1/providers",
        d.post("/v1/providers", "{\"id\":\"contract\",\"base_url\":\"http://127.0.0.1:9\"}"));
    out.put("GET /v1/providers", d.get("/v1/providers"));
    out.put("GET /v1/providers/{id}", d.get("/v1/providers/contract"));
    out.put(
        "POST /v1/providers/{id}/oauth/start",
        d.post(
            "/v1/providers/contract/oauth/start",
            "{\"redirect_uri\":\"http://127.0.0.1:40000/callback\"}"));
    out.put(
        "POST /v1/providers/{id}/oauth/exchange",
        d.post("/v1/providers/contract/oauth/exchange", "{\"code\":\"c\",\"state\":\"s\"}"));
    out.put(
        "POST /v1/providers/{id}/oauth/revoke", d.post("/v1/providers/contract/oauth/revoke", ""));
    // without the provider connector (connectors feature) no entitlement service exists: 503
    out.put("POST /v1/providers/{id}/vc/fetch", d.post("/v1/providers/contract/vc/fetch", ""));
    out.put("POST /v1/providers/{id}/revoke", d.post("/v1/providers/contract/revoke", ""));
    out.put("POST /v1/revocations/{kind}/{id}", d.post("/v1/revocations/oauth/contract", ""));
    out.put(
        "DELETE /v1/providers/{id}",
        d.send(
            HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/providers/contract")).DELETE(),
            true));
    return out;
  }

  @Test
  public void everyDocumentedOperationIsExercisedAndMatchesItsSchema() throws Exception {
    Map<String, Distribution.Answer> answers = exercise();
    Set<String> documented = new HashSet<>();
    Iterator<Map.Entry<String, JsonNode>> paths = openApi.get("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> p = paths.next();
      Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields();
      while (ops.hasNext()) {
        Map.Entry<String, JsonNode> op = ops.next();
        String key = op.getKey().toUpperCase() + " " + p.getKey();
        documented.add(key);
        Distribution.Answer a = answers.get(key);
        assertTrue("no contract test for " + key, a != null);
        JsonNode response = op.getValue().path("responses").path(String.valueOf(a.status()));
        assertFalse(
            key + " answered undocumented " + a.status() + ": " + a.body(),
            response.isMissingNode());
        JsonNode schema = response.path("content").path("application/json").path("schema");
        if (!schema.isMissingNode()) {
          checkRequired(key, resolve(schema), a.json());
        }
      }
    }
    assertEquals("tests for undocumented operations", documented, answers.keySet());
  }

  /**
   * {@code POST /v1/revocations/capability/{id}}: the kind exists only while a revoker of it is
   * registered (the provider connector of the connectors feature); it drops a provider's cached
   * capability, knows unknown providers, and the CLI's {@code revoke capability} calls it.
   */
  @Test
  public void capabilityRevocationArrivesWithItsPluginAndKnowsProviders() throws Exception {
    assertCode(d.post("/v1/revocations/capability/contract", ""), 404, "unknown_revocation_kind");
    assertCode(d.post("/v1/revocations/no_such_kind/contract", ""), 404, "unknown_revocation_kind");
    assertCode(d.post("/v1/revocations/Bad%20Kind/contract", ""), 404, "unknown_revocation_kind");
    try (Distribution c =
        new Distribution(Files.createTempDirectory("briefcase-api-cap"))
            .startArgs("--feature", "connectors")
            .start()) {
      c.awaitCredentialService(Duration.ofSeconds(60));
      assertEquals(
          201,
          c.post("/v1/providers", "{\"id\":\"cap\",\"base_url\":\"http://127.0.0.1:9\"}").status());
      Distribution.Answer ok = c.post("/v1/revocations/capability/cap", "");
      assertEquals(ok.body(), 200, ok.status());
      assertEquals("capability", ok.json().path("kind").asText());
      assertEquals("cap", ok.json().path("id").asText());
      assertTrue(ok.json().path("revoked").asBoolean());
      assertFalse("nothing was minted yet", ok.json().path("had_credential").asBoolean(true));
      checkRequired(
          "capability revocation",
          openApi.path("components").path("schemas").path("CredentialRevocation"),
          ok.json());
      assertCode(c.post("/v1/revocations/capability/nope", ""), 404, "unknown_provider");
      assertCode(c.get("/v1/revocations/capability/cap"), 405, "method_not_allowed");
      Distribution.CliResult cli = c.cli("revoke", "capability", "cap");
      assertEquals(cli.stderr(), 0, cli.exit());
      assertTrue(cli.stdout(), cli.stdout().contains("no capability was cached"));
      Distribution.CliResult unknown = c.cli("revoke", "capability", "nope");
      assertEquals(1, unknown.exit());
      assertTrue(unknown.stderr(), unknown.stderr().contains("unknown_provider"));

      // the vc kind and the VC fetch arrive with the same plugin (SPEC §8.4, §15)
      Distribution.Answer vc = c.post("/v1/revocations/vc/cap", "");
      assertEquals(vc.body(), 200, vc.status());
      assertEquals("vc", vc.json().path("kind").asText());
      assertFalse("no VC was stored", vc.json().path("had_credential").asBoolean(true));
      assertCode(c.post("/v1/revocations/vc/nope", ""), 404, "unknown_provider");
      Distribution.CliResult revokeVc = c.cli("revoke", "vc", "cap");
      assertEquals(revokeVc.stderr(), 0, revokeVc.exit());
      assertTrue(revokeVc.stdout(), revokeVc.stdout().contains("no VC was stored"));
      assertCode(c.post("/v1/providers/cap/vc/fetch", ""), 400, "missing_refresh_token");
      assertCode(c.post("/v1/providers/nope/vc/fetch", ""), 404, "unknown_provider");
      assertCode(c.get("/v1/providers/cap/vc/fetch"), 405, "method_not_allowed");
      Distribution.CliResult fetch = c.cli("providers", "vc", "fetch", "cap");
      assertEquals(1, fetch.exit());
      assertTrue(fetch.stderr(), fetch.stderr().contains("missing_refresh_token"));
      assertFalse(
          "a failed fetch stores nothing", c.get("/v1/secrets").body().contains("vc.cap.jwt"));

      // deleting a provider removes its VC with it (SPEC §15 "Deletes"), not only its OAuth grant
      Distribution.Answer planted =
          c.post(
              "/v1/secrets/vc.cap.jwt",
              "{\"value_b64\":\""
                  + java.util.Base64.getEncoder()
                      .encodeToString("stored-vc".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                  + "\"}");
      assertEquals(planted.body(), 200, planted.status());
      assertTrue(c.get("/v1/secrets").body().contains("vc.cap.jwt"));
      Distribution.Answer deleted =
          c.send(
              java.net.http.HttpRequest.newBuilder(URI.create(c.baseUrl() + "/v1/providers/cap"))
                  .DELETE(),
              true);
      assertEquals(deleted.body(), 200, deleted.status());
      assertFalse(
          "the provider's VC went with it", c.get("/v1/secrets").body().contains("vc.cap.jwt"));
      assertCode(c.get("/v1/providers/cap"), 404, "unknown_provider");
    }
  }

  @Test
  public void missingOrWrongTokenIs401() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (String auth : new String[] {null, "Bearer wrong", "Basic abc", "Bearer "}) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/tools"));
      if (auth != null) {
        b.header("Authorization", auth);
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, r.statusCode());
      assertTrue(r.body().contains("\"code\":\"unauthorized\""));
    }
  }

  @Test
  public void badInputIs400WithStableCodesAndChangesNothing() throws Exception {
    long before = d.get("/v1/receipts?limit=1").json().path("receipts").path(0).path("id").asLong();
    assertCode(d.post("/v1/tools/call", "{not json"), 400, "invalid_json");
    assertCode(d.post("/v1/tools/call", "[1,2]"), 400, "invalid_request");
    assertCode(d.post("/v1/tools/call", "{\"call\":{}}"), 400, "invalid_request");
    assertCode(d.post("/v1/tools/call", "{\"call\":{\"tool_id\":5}}"), 400, "invalid_request");
    assertCode(
        d.post("/v1/tools/call", "{\"call\":{\"tool_id\":\"echo\",\"tool_id\":\"x\"}}"),
        400,
        "invalid_json");
    assertCode(d.post("/v1/budgets/read", "{\"daily_limit_microusd\":-1}"), 400, "invalid_budget");
    assertCode(
        d.post("/v1/budgets/read", "{\"daily_limit_microusd\":\"x\"}"), 400, "invalid_budget");
    assertCode(
        d.post("/v1/budgets/bad%20name", "{\"daily_limit_microusd\":1}"), 400, "invalid_category");
    assertCode(d.get("/v1/receipts?limit=abc"), 400, "invalid_request");
    // the kernel's payment history is there (not 503) and empty without a rail
    Distribution.Answer payments = d.get("/v1/payments");
    assertEquals(payments.body(), 200, payments.status());
    assertEquals(0, payments.json().path("payments").size());
    assertCode(d.get("/v1/payments?day=yesterday"), 400, "invalid_day");
    assertCode(d.get("/v1/payments?day=2026-13-40"), 400, "invalid_day");
    assertCode(d.get("/v1/payments?rail=X402%0A"), 400, "invalid_rail");
    assertCode(d.get("/v1/payments?limit=abc"), 400, "invalid_request");
    assertCode(d.get("/v1/payments/not-an-id"), 404, "not_found");
    assertCode(d.post("/v1/approvals/nope/approve", ""), 404, "not_found");
    assertCode(d.get("/v1/nothing"), 404, "not_found");
    assertCode(d.post("/v1/policy", "{\"policy_text\":\"\"}"), 400, "invalid_policy_text");
    assertCode(
        d.post("/v1/tools/echo/manifest", "{\"egress\":{\"allowed_hosts\":[\"http://x\"]}}"),
        400,
        "invalid_manifest");
    assertCode(
        d.post(
            "/v1/tools/echo/manifest", "{\"filesystem\":{\"allowed_path_prefixes\":[\"../etc\"]}}"),
        400,
        "invalid_manifest");
    assertCode(
        d.post("/v1/tools/echo/manifest", "{\"tool_id\":\"other\"}"), 400, "invalid_manifest");
    assertCode(d.post("/v1/policy", "{\"policy_text\":\"permit(\"}"), 400, "invalid_cedar");
    assertCode(d.post("/v1/tools", ""), 405, "method_not_allowed");
    assertCode(d.post("/v1/keys/root", ""), 400, "invalid_role");
    assertCode(d.post("/v1/keys/dpop:a%2Fb", ""), 400, "invalid_role");
    assertCode(d.post("/v1/keys/identity", "{\"algorithm\":\"p256\"}"), 400, "invalid_algorithm");
    assertCode(d.post("/v1/keys/pop", "{\"algorithm\":\"rsa\"}"), 400, "invalid_algorithm");
    assertCode(d.post("/v1/keys/pop", "{\"backend\":\"a b\"}"), 400, "invalid_backend");
    assertCode(d.post("/v1/keys/pop", "{\"colour\":\"red\"}"), 400, "invalid_request");
    assertCode(d.post("/v1/keys/pop", "{nope"), 400, "invalid_json");
    assertCode(d.post("/v1/keys/dpop:none/rotate", ""), 404, "key_not_found");
    assertCode(d.post("/v1/keys/dpop:none/delete", ""), 404, "key_not_found");
    StringBuilder big = new StringBuilder("{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"");
    big.append("a".repeat(1 << 20)).append("\"}}}");
    assertCode(d.post("/v1/tools/call", big.toString()), 413, "body_too_large");
    long after = d.get("/v1/receipts?limit=1").json().path("receipts").path(0).path("id").asLong();
    assertEquals("bad requests must not write receipts", before, after);
    long readLimit = -1;
    for (JsonNode b : d.get("/v1/budgets").json().path("budgets")) {
      if ("read".equals(b.path("category").asText())) {
        readLimit = b.path("daily_limit_microusd").asLong();
      }
    }
    assertEquals("refused budget changes must change nothing", 3_000_000, readLimit);
  }

  @Test
  public void softwareKeysFailTheCustodyCheckAndEveryChangeIsReceipted() throws Exception {
    JsonNode created = d.post("/v1/keys/dpop:custody", "").json();
    assertEquals("software", created.path("backend").asText());
    assertEquals("p256", created.path("algorithm").asText());
    assertFalse(created.toString(), created.toString().contains("\"d\""));
    assertCode(d.post("/v1/keys/dpop:custody", ""), 409, "key_exists");
    JsonNode rotated = d.post("/v1/keys/dpop:custody/rotate", "{\"algorithm\":\"ed25519\"}").json();
    assertEquals("ed25519", rotated.path("algorithm").asText());
    assertFalse(created.path("thumbprint").asText().equals(rotated.path("thumbprint").asText()));
    JsonNode custody = d.get("/v1/diagnostics/security").json().path("key_custody");
    assertFalse("software keys must fail key_custody: " + custody, custody.path("ok").asBoolean());
    assertEquals("auto", custody.path("configured_backend").asText());
    assertEquals(200, d.post("/v1/keys/dpop:custody/delete", "").status());
    String receipts = d.get("/v1/receipts?limit=20").body();
    for (String action : new String[] {"create", "rotate", "delete"}) {
      assertTrue(
          action + " receipted: " + receipts,
          receipts.contains("\"type\":\"key_lifecycle\"")
              && receipts.contains("\"action\":\"" + action + "\""));
    }
    assertTrue(receipts.contains("\"old_key_destroyed\":true"));
  }

  @Test
  public void duplicateKeysInArgsAreDeniedAndReceipted() throws Exception {
    Distribution.Answer a =
        d.post(
            "/v1/tools/call",
            "{\"call\":{\"tool_id\":\"echo\",\"args\":{\"text\":\"a\",\"text\":\"b\"}}}");
    assertEquals(200, a.status());
    assertEquals("denied", a.json().get("status").asText());
    assertTrue(a.json().get("reason").asText().startsWith("invalid_args:"));
    assertTrue(a.json().get("receipt_id").asLong() > 0);
  }

  @Test
  public void approvalStreamAnnouncesCreatedApprovals() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/approvals/stream"))
            .header("Authorization", "Bearer " + d.token())
            .build();
    HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    try (InputStream in = r.body()) {
      long t0 = System.nanoTime();
      String id =
          d.post(
                  "/v1/tools/call",
                  "{\"call\":{\"tool_id\":\"note_add\",\"args\":{\"text\":\"s\"}}}")
              .json()
              .path("approval")
              .path("id")
              .asText();
      StringBuilder seen = new StringBuilder();
      byte[] buf = new byte[4096];
      while (!seen.toString().contains(id)) {
        int n = in.read(buf);
        assertTrue("stream closed before the event", n > 0);
        seen.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(seen.toString().contains("event: approval.created"));
      System.out.println("approval.created reached the stream after " + ms + " ms");
    }
  }

  private Distribution.Answer streamHead() throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(d.baseUrl() + "/v1/approvals/stream"))
            .header("Authorization", "Bearer " + d.token())
            .timeout(Duration.ofSeconds(10))
            .build();
    HttpResponse<InputStream> r =
        HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
    r.body().close();
    return new Distribution.Answer(r.statusCode(), "");
  }

  private JsonNode resolve(JsonNode schema) {
    if (schema.has("$ref")) {
      String name = schema.get("$ref").asText().replace("#/components/schemas/", "");
      return openApi.path("components").path("schemas").path(name);
    }
    return schema;
  }

  private void checkRequired(String key, JsonNode schema, JsonNode body) {
    if (schema.has("oneOf")) {
      // one of the alternatives must fit: its required fields are all present
      for (JsonNode alternative : schema.get("oneOf")) {
        boolean fits = true;
        for (JsonNode field : resolve(alternative).path("required")) {
          fits &= body.has(field.asText());
        }
        if (fits) {
          return;
        }
      }
      throw new AssertionError(key + " fits none of its documented answers: " + body);
    }
    for (JsonNode field : schema.path("required")) {
      assertTrue(
          key + " lacks required field " + field.asText() + ": " + body, body.has(field.asText()));
    }
  }

  /**
   * {@code POST /v1/plugins} with {@code {"url":...}}: a {@code file:} path through the CLI's
   * {@code --from}, a loopback {@code http:} URL (dev profile) fetched by the daemon, each
   * receipted with its source (without the query); bad URLs and failed fetches have stable codes
   * and install and receipt nothing.
   */
  @Test
  public void pluginsInstallFromAFileOrLoopbackUrl() throws Exception {
    java.nio.file.Path jarPath =
        dev.briefcase.itests.common.FeatureBundles.root()
            .resolve(
                "itests/test-connector/target/dev.briefcase.itests.connector-0.1.0-SNAPSHOT.jar");
    byte[] jar = Files.readAllBytes(jarPath);
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/plugin.jar",
        ex -> {
          ex.sendResponseHeaders(200, jar.length);
          ex.getResponseBody().write(jar);
          ex.close();
        });
    server.createContext(
        "/moved.jar",
        ex -> {
          ex.getResponseHeaders().add("Location", "/plugin.jar");
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    try {
      long before =
          d.get("/v1/receipts?limit=1").json().path("receipts").path(0).path("id").asLong();
      String[][] bad = {
        {"{\"url\":\"ftp://127.0.0.1/x.jar\"}", "400", "invalid_url"},
        {"{\"url\":\"plugin.jar\"}", "400", "invalid_url"},
        {"{\"url\":\"file://host/tmp/x.jar\"}", "400", "invalid_url"},
        {"{\"url\":\"file:///tmp/../etc/x.jar\"}", "400", "invalid_url"},
        {"{\"url\":\"http://example.com/x.jar\"}", "400", "invalid_url"},
        {"{\"url\":\"file:///no/such/plugin.jar\"}", "502", "fetch_failed"},
        {"{\"url\":\"file:///tmp\"}", "502", "fetch_failed"},
        {"{\"url\":\"" + d.dataDir.resolve("auth_token").toUri() + "\"}", "400", "invalid_bundle"},
        {"{\"url\":\"" + base + "/missing.jar\"}", "502", "fetch_failed"},
        {"{\"url\":\"" + base + "/moved.jar\"}", "403", "fetch_refused"},
        {"{\"url\":\"https://10.0.0.1/x.jar\"}", "403", "fetch_refused"},
        {"{\"uri\":\"file:///tmp/x.jar\"}", "400", "invalid_request"},
        {"{\"url\":5}", "400", "invalid_request"},
        {"{\"url\":", "400", "invalid_json"},
      };
      for (String[] b : bad) {
        assertCode(d.post("/v1/plugins", b[0]), Integer.parseInt(b[1]), b[2]);
      }
      assertFalse(
          "nothing installed",
          d.get("/v1/plugins").body().contains("dev.briefcase.itests.connector"));
      long after =
          d.get("/v1/receipts?limit=1").json().path("receipts").path(0).path("id").asLong();
      assertEquals("refused URLs must not write receipts", before, after);

      Distribution.CliResult viaCli =
          d.cli("plugins", "install", "--from", jarPath.toUri().toString(), "--json");
      assertEquals(viaCli.stdout() + viaCli.stderr(), 0, viaCli.exit());
      long fromFile =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(viaCli.stdout())
              .path("bundle_id")
              .asLong();
      assertEquals(200, d.post("/v1/plugins/" + fromFile + "/uninstall", "").status());

      Distribution.Answer fromHttp =
          d.post("/v1/plugins", "{\"url\":\"" + base + "/plugin.jar?token=s3cr3t\"}");
      assertEquals(fromHttp.body(), 200, fromHttp.status());
      assertEquals(
          "dev.briefcase.itests.connector", fromHttp.json().path("symbolic_name").asText());
      long fromUrl = fromHttp.json().path("bundle_id").asLong();
      assertEquals(200, d.post("/v1/plugins/" + fromUrl + "/uninstall", "").status());

      Set<String> sources = new HashSet<>();
      for (JsonNode r : d.get("/v1/receipts?limit=20").json().path("receipts")) {
        JsonNode e = r.path("event");
        if ("plugin_lifecycle".equals(e.path("type").asText())
            && "install".equals(e.path("action").asText())
            && e.has("source")) {
          sources.add(e.path("source").asText());
          assertTrue(e.toString(), e.path("sha256_hex").asText().length() == 64);
        }
      }
      assertEquals(Set.of(jarPath.toUri().toString(), base + "/plugin.jar"), sources);
      assertFalse(
          "the query never reaches a receipt",
          d.get("/v1/receipts?limit=20").body().contains("s3cr3t"));
      assertEquals(
          "a JAR or --from, not both",
          2,
          d.cli("plugins", "install", jarPath.toString(), "--from", jarPath.toUri().toString())
              .exit());
    } finally {
      server.stop(0);
    }
  }

  private static void assertCode(Distribution.Answer a, int status, String code) throws Exception {
    assertEquals(a.body(), status, a.status());
    assertEquals(a.body(), code, a.json().path("code").asText());
  }
}
