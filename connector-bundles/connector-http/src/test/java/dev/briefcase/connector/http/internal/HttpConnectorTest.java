package dev.briefcase.connector.http.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.connector.ApprovalRequiredException;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.error.BriefcaseException;
import dev.briefcase.testing.Upstream;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The connector against a JDK HTTP server on 127.0.0.1, through the real {@code HttpEgressClient}
 * (dev loopback), with a credential double that hands out canary headers. Every result, exception
 * message and log line of the class is checked for the canary at the end.
 */
public class HttpConnectorTest {
  private static final List<String> SEEN_TEXT = Collections.synchronizedList(new ArrayList<>());
  private static Harness.LogCapture log;

  private Upstream upstream;
  private HttpConnector connector;
  private ScriptedCredential oauth;

  @BeforeClass
  public static void captureLog() {
    log = new Harness.LogCapture();
  }

  @AfterClass
  public static void noCanaryAnywhere() {
    log.close();
    String captured = log.text();
    assertTrue("the log capture works", captured.contains("http tool get_issue GET -> 200"));
    assertFalse("a credential reached the log", captured.contains(ScriptedCredential.CANARY));
    assertFalse("nothing was collected", SEEN_TEXT.isEmpty());
    for (String text : SEEN_TEXT) {
      assertFalse(
          "a credential reached a result or message: " + text,
          text.contains(ScriptedCredential.CANARY));
    }
  }

  @Before
  public void start() throws Exception {
    upstream = new Upstream();
    Path dir = Files.createTempDirectory("http-connector");
    String file =
        """
        { "base_url": "%s/v1",
          "credential": {"strategy": "oauth", "reference": "github"},
          "tools": [
            { "id": "get_issue", "name": "Get an issue", "description": "One issue.",
              "method": "GET", "path": "/repos/{owner}/{repo}/issues/{number}",
              "query": ["state", "labels"],
              "input_schema": {"type": "object", "properties": {
                  "owner": {"type": "string"}, "repo": {"type": "string"},
                  "number": {"type": "integer"}, "state": {"type": "string"},
                  "labels": {"type": "array", "items": {"type": "string"}}},
                "required": ["owner", "repo", "number"], "additionalProperties": false},
              "max_response_bytes": 4096 },
            { "id": "create_issue", "method": "POST", "path": "/repos/{owner}/{repo}/issues",
              "input_schema": {"type": "object", "properties": {
                  "owner": {"type": "string"}, "repo": {"type": "string"},
                  "title": {"type": "string"}, "labels": {"type": "array"}},
                "required": ["owner", "repo"], "additionalProperties": false},
              "category": "write", "cost_micro_usd": 5,
              "credential": {"strategy": "api_key", "reference": "gh.key",
                             "options": {"header": "X-Api-Key"}} },
            { "id": "public_get", "method": "GET", "path": "/public",
              "input_schema": {"type": "object"}, "credential": null },
            { "id": "big", "method": "GET", "path": "/big",
              "input_schema": {"type": "object"}, "max_response_bytes": 100 }
          ] }
        """
            .formatted(upstream.base());
    connector = Harness.connector(Harness.write(dir, "tools.json", file), true);
    oauth = new ScriptedCredential(new CredentialNeed("oauth", "github"));
  }

  @After
  public void stop() {
    upstream.close();
  }

  private ToolResult run(
      String tool, Map<String, Object> args, ToolManifest manifest, boolean approved) {
    try {
      ToolResult r = connector.execute(Harness.call(tool, args, manifest, approved, oauth));
      SEEN_TEXT.add(String.valueOf(r.content()));
      return r;
    } catch (BriefcaseException e) {
      SEEN_TEXT.add(e.getMessage());
      if (e instanceof ApprovalRequiredException a) {
        SEEN_TEXT.add(a.summary());
      }
      throw e;
    }
  }

  private ToolResult run(String tool, Map<String, Object> args) {
    return run(tool, args, Harness.manifest(tool, 1 << 20, "/v1"), false);
  }

  private String code(String tool, Map<String, Object> args) {
    try {
      run(tool, args);
      fail("expected a refusal");
      return null;
    } catch (BriefcaseException e) {
      if (!(e instanceof CredentialException)) {
        // the kernel prefixes a CredentialException's message with its code itself
        assertTrue(
            "message starts with the code: " + e.getMessage(), e.getMessage().startsWith(e.code()));
      }
      return e.code();
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> content(ToolResult r) {
    return (Map<String, Object>) r.content();
  }

  private static Map<String, Object> issue(String owner) {
    Map<String, Object> args = new HashMap<>();
    args.put("owner", owner);
    args.put("repo", "hello");
    args.put("number", 42);
    return args;
  }

  @Test
  public void offersTheFileToolsWithTheirCredentialNeeds() {
    Map<String, ToolSpec> specs = new HashMap<>();
    connector.tools().forEach(s -> specs.put(s.id(), s));
    assertEquals(4, specs.size());
    assertEquals("oauth:github", specs.get("get_issue").credential().toString());
    assertEquals("Get an issue", specs.get("get_issue").name());
    assertEquals(ToolSpec.READ, specs.get("get_issue").category());
    assertEquals("api_key:gh.key", specs.get("create_issue").credential().toString());
    assertEquals("X-Api-Key", specs.get("create_issue").credential().options().get("header"));
    assertEquals(5, specs.get("create_issue").costMicroUsd());
    assertNull("an explicit null means none", specs.get("public_get").credential());
    assertEquals("oauth:github", specs.get("big").credential().toString());
  }

  @Test
  public void getBuildsPathAndQueryAndSendsTheCredentialHeaders() {
    Map<String, Object> args = issue("octo cat");
    args.put("state", "open");
    args.put("labels", List.of("bug", "ui"));
    ToolResult r = run("get_issue", args);
    Upstream.Seen seen = upstream.seen.get(0);
    assertEquals("GET", seen.method());
    assertEquals("/v1/repos/octo%20cat/hello/issues/42", seen.rawPath());
    assertEquals("state=open&labels=bug&labels=ui", seen.rawQuery());
    assertEquals("Bearer " + ScriptedCredential.token(1), seen.header("Authorization"));
    assertEquals("", seen.body());
    assertEquals(200, content(r).get("status"));
    assertEquals(Map.of("ok", true), content(r).get("body"));
    assertEquals(Map.of("content-type", "application/json"), content(r).get("headers"));
    assertFalse(r.truncated());
    assertEquals("http:test", r.source());
    assertEquals(
        "the credential was asked for exactly the URL sent",
        upstream.base() + "/v1/repos/octo%20cat/hello/issues/42?state=open&labels=bug&labels=ui",
        oauth.targets.get(0).toString());
  }

  @Test
  public void postSendsTheRemainingArgumentsAsJson() throws Exception {
    Map<String, Object> args = new HashMap<>();
    args.put("owner", "octo");
    args.put("repo", "hello");
    args.put("title", "it \"breaks\"");
    args.put("labels", List.of("bug"));
    run("create_issue", args);
    Upstream.Seen seen = upstream.seen.get(0);
    assertEquals("POST", seen.method());
    assertEquals("/v1/repos/octo/hello/issues", seen.rawPath());
    assertNull(seen.rawQuery());
    assertEquals("application/json", seen.header("Content-type"));
    assertEquals(
        Map.of("title", "it \"breaks\"", "labels", List.of("bug")),
        ToolsFile.JSON.readValue(seen.body(), Map.class));
  }

  @Test
  public void pathValuesCannotLeaveTheirSegment() {
    for (String hostile : List.of("..", ".", "", "../admin", "a/b", "a\\b", "/etc/passwd")) {
      assertEquals(hostile, RequestPlan.INVALID_PATH_PARAMETER, code("get_issue", issue(hostile)));
    }
    assertEquals("nothing refused was sent", 0, upstream.seen.size());
    // already-encoded text is encoded again: it stays one literal segment
    run("get_issue", issue("%2e%2e"));
    run("get_issue", issue("..%2f..%2fadmin"));
    run("get_issue", issue("a;b?c#d"));
    assertEquals("/v1/repos/%252e%252e/hello/issues/42", upstream.seen.get(0).rawPath());
    assertEquals("/v1/repos/..%252f..%252fadmin/hello/issues/42", upstream.seen.get(1).rawPath());
    assertEquals("/v1/repos/a%3Bb%3Fc%23d/hello/issues/42", upstream.seen.get(2).rawPath());
    assertNull(upstream.seen.get(2).rawQuery());
  }

  @Test
  public void theRequestTargetIsCappedAtEightKibibytes() {
    String code = RequestPlan.INVALID_REQUEST_TARGET;
    assertEquals(code, code("get_issue", issue("a".repeat(RequestPlan.MAX_REQUEST_TARGET))));
    // 3 000 characters that encode to 18 000
    assertEquals(code, code("get_issue", issue("\u00e9".repeat(3000))));
    Map<String, Object> many = issue("octo");
    many.put("labels", Collections.nCopies(100_000, "a"));
    assertEquals(code, code("get_issue", many));
    assertEquals("nothing refused was sent", 0, upstream.seen.size());
    String longest =
        "a".repeat(RequestPlan.MAX_REQUEST_TARGET - "/v1/repos//hello/issues/42".length());
    run("get_issue", issue(longest));
    assertEquals(RequestPlan.MAX_REQUEST_TARGET, upstream.seen.get(0).rawPath().length());
    assertEquals(code, code("get_issue", issue(longest + "a")));
  }

  @Test
  public void queryValuesCannotAddParametersOrHeaderLines() {
    Map<String, Object> args = issue("octo");
    args.put("state", "open\r\nX-Injected: 1&admin=true");
    run("get_issue", args);
    Upstream.Seen seen = upstream.seen.get(0);
    assertEquals("state=open%0D%0AX-Injected%3A%201%26admin%3Dtrue", seen.rawQuery());
    assertNull(seen.header("X-injected"));
    Map<String, Object> nested = issue("octo");
    nested.put("labels", List.of(Map.of("a", 1)));
    assertEquals(RequestPlan.INVALID_QUERY_PARAMETER, code("get_issue", nested));
  }

  @Test
  public void invalidTokenIsRetriedOnceWithNewHeadersThenFailsWithTheCredentialsCode() {
    upstream.script(
        (r, i) ->
            new Upstream.Answer(
                401,
                Map.of(
                    "WWW-Authenticate",
                    "Bearer error=\"invalid_token\", error_description=\"token "
                        + r.header("Authorization")
                        + " expired\""),
                ("{\"echo\":\"" + r.header("Authorization") + "\"}")
                    .getBytes(StandardCharsets.UTF_8)));
    assertEquals(CredentialException.CREDENTIAL_EXPIRED, code("get_issue", issue("octo")));
    assertEquals(2, upstream.seen.size());
    assertEquals(
        "Bearer " + ScriptedCredential.token(1), upstream.seen.get(0).header("Authorization"));
    assertEquals(
        "Bearer " + ScriptedCredential.token(2), upstream.seen.get(1).header("Authorization"));
    assertEquals(2, oauth.rejections.size());
    assertEquals("invalid_token", oauth.rejections.get(0).error());
    assertEquals(401, oauth.rejections.get(0).status());
  }

  @Test
  public void dpopNonceChallengeIsRetriedWithTheNonce() {
    upstream.script(
        (r, i) ->
            i == 0
                ? new Upstream.Answer(
                    401,
                    Map.of(
                        "WWW-Authenticate", "DPoP error=\"use_dpop_nonce\"", "DPoP-Nonce", "n-123"),
                    new byte[0])
                : Upstream.Answer.json(200, "{\"ok\":true}"));
    ToolResult r = run("get_issue", issue("octo"));
    assertEquals(200, content(r).get("status"));
    assertEquals(2, upstream.seen.size());
    assertTrue(upstream.seen.get(1).header("DPoP").endsWith("-nonce-n-123"));
    assertEquals("n-123", oauth.rejections.get(0).dpopNonce());
  }

  @Test
  public void atMostThreeSendsWhateverTheCredentialAllows() {
    upstream.script(
        (r, i) ->
            new Upstream.Answer(
                401,
                Map.of(
                    "WWW-Authenticate",
                    i == 0 ? "DPoP error=\"use_dpop_nonce\"" : "Bearer error=\"invalid_token\"",
                    "DPoP-Nonce",
                    "n-" + i),
                new byte[0]));
    // nonce retry, then refresh retry, then the third refusal
    assertEquals(CredentialException.CREDENTIAL_EXPIRED, code("get_issue", issue("octo")));
    assertEquals(3, upstream.seen.size());
  }

  @Test
  public void insufficientScopeAsksAHumanFirstThenFails() {
    upstream.script(
        (r, i) ->
            new Upstream.Answer(
                403,
                Map.of(
                    "WWW-Authenticate",
                    "Bearer error=\"insufficient_scope\", scope=\"repo\", error_description=\""
                        + r.header("Authorization")
                        + "\""),
                new byte[0]));
    try {
      run("get_issue", issue("octo"), Harness.manifest("get_issue", 1 << 20, "/v1"), false);
      fail("expected an approval request");
    } catch (ApprovalRequiredException e) {
      assertEquals(ToolException.APPROVAL_REQUIRED, e.code());
      assertEquals(
          "re-authorize provider github with scope 'repo' (briefcase login github), then approve",
          e.summary());
    }
    try {
      run("get_issue", issue("octo"), Harness.manifest("get_issue", 1 << 20, "/v1"), true);
      fail("expected insufficient_scope");
    } catch (CredentialException e) {
      assertEquals(CredentialException.INSUFFICIENT_SCOPE, e.code());
    }
    assertEquals(2, upstream.seen.size());
  }

  @Test
  public void scopeTextFromTheUpstreamIsFilteredBeforeTheApproverSeesIt() {
    ApprovalRequiredException e =
        (ApprovalRequiredException)
            HttpCall.insufficientScope(
                new CredentialNeed("oauth", "github"), "repo\u0000 \"x\" ok:write", false);
    assertEquals(
        "re-authorize provider github with scope 'ok:write' (briefcase login github), then approve",
        e.summary());
    ApprovalRequiredException key =
        (ApprovalRequiredException)
            HttpCall.insufficientScope(new CredentialNeed("api_key", "gh.key"), null, false);
    assertEquals(
        "credential api_key:gh.key lacks the scope the resource asks for: replace it, then approve",
        key.summary());
  }

  @Test
  public void otherStatusesAreResultsThatCarryTheUpstreamsAnswer() {
    upstream.script((r, i) -> Upstream.Answer.json(404, "{\"message\":\"Not Found\"}"));
    ToolResult r = run("get_issue", issue("octo"));
    assertEquals(404, content(r).get("status"));
    assertEquals(Map.of("message", "Not Found"), content(r).get("body"));
    upstream.script(
        (r2, i) ->
            new Upstream.Answer(
                500,
                Map.of("Content-Type", "text/plain"),
                "oops".getBytes(StandardCharsets.UTF_8)));
    assertEquals("oops", content(run("get_issue", issue("octo"))).get("body"));
    upstream.script(
        (r3, i) ->
            new Upstream.Answer(
                200,
                Map.of("Content-Type", "application/json"),
                "{not json".getBytes(StandardCharsets.UTF_8)));
    assertEquals("{not json", content(run("get_issue", issue("octo"))).get("body"));
  }

  @Test
  public void anOversizedBodyIsCutToTheToolsCapAndMarked() {
    String big = "\"" + "x".repeat(1_000) + "\"";
    upstream.script((r, i) -> Upstream.Answer.json(200, big));
    ToolResult r = run("big", Map.of());
    assertTrue(r.truncated());
    assertEquals(true, content(r).get("truncated"));
    assertEquals(big.substring(0, 100), content(r).get("body"));
  }

  @Test
  public void theManifestsOutputLimitCapsTooAndTheResultFitsIt() throws Exception {
    // quotes double when the body is escaped into the result: the text is cut further to fit
    String body = "\"".repeat(2_000);
    upstream.script(
        (r, i) ->
            new Upstream.Answer(
                200, Map.of("Content-Type", "text/plain"), body.getBytes(StandardCharsets.UTF_8)));
    ToolResult r =
        run("get_issue", issue("octo"), Harness.manifest("get_issue", 300, "/v1"), false);
    assertTrue(r.truncated());
    assertTrue(ToolsFile.JSON.writeValueAsBytes(r.content()).length <= 300);
    assertTrue(((String) content(r).get("body")).length() > 50);
  }

  @Test
  public void egressRefusalsAreToolErrorsWithTheEgressCode() {
    ToolManifest otherHost =
        new ToolManifest(
            "public_get", "builtin", List.of("api.example.com"), List.of("/"), List.of(), 1 << 20);
    try {
      run("public_get", Map.of(), otherHost, false);
      fail();
    } catch (ToolException e) {
      assertEquals("egress_host_not_allowed", e.code());
      assertTrue(e.getMessage().startsWith("egress_host_not_allowed: "));
    }
    try {
      run("public_get", Map.of(), Harness.manifest("public_get", 1 << 20, "/v2"), false);
      fail();
    } catch (ToolException e) {
      assertEquals("egress_path_not_allowed", e.code());
    }
    ToolManifest denyAll = ToolManifest.denyAll("public_get", "builtin");
    try {
      run("public_get", Map.of(), denyAll, false);
      fail();
    } catch (ToolException e) {
      assertEquals("egress_host_not_allowed", e.code());
    }
    assertEquals(0, upstream.seen.size());
  }

  @Test
  public void aToolWithoutCredentialSendsNoAuthorization() {
    ToolResult r = run("public_get", Map.of());
    assertEquals(200, content(r).get("status"));
    assertNull(upstream.seen.get(0).header("Authorization"));
  }

  @Test
  public void unknownToolsAndStoppedConnectorsFailFast() {
    assertEquals(ToolException.UNKNOWN_TOOL, code("nope", Map.of()));
    connector.deactivate();
    assertEquals(ToolException.BACKEND_UNAVAILABLE, code("get_issue", issue("octo")));
    assertEquals(0, upstream.seen.size());
  }

  @SuppressWarnings("unused")
  private static ToolInvocation unused() {
    return null;
  }
}
