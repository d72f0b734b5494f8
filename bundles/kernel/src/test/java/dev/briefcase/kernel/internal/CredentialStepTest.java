package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallOutcome.Status;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Step 8 of the pipeline (credential strategy): the strategy is looked up per call, its pre-flight
 * ends a call that cannot succeed before the tool runs, the connector's credential is bound to the
 * manifest and to the call, and each kind of retry is allowed once.
 */
public class CredentialStepTest {
  private static final String CANARY = "CANARY-token-7f3a9";
  private static final CredentialNeed NEED = new CredentialNeed("oauth", "demo");

  private Fixture k;
  private final AtomicInteger ran = new AtomicInteger();
  private final AtomicReference<CallCredential> seen = new AtomicReference<>();
  private volatile Function<CallCredential, Object> body = c -> Map.of("ok", true);

  @Before
  public void setUp() throws Exception {
    k = new Fixture();
    k.add(
        new Connector() {
          @Override
          public List<ToolSpec> tools() {
            return List.of(
                new ToolSpec(
                    "api_get",
                    "api get",
                    "calls an API with a credential",
                    Fixture.object("{\"type\":\"object\",\"additionalProperties\":false}"),
                    null,
                    ToolSpec.READ,
                    0,
                    OutputFirewall.allowAll(),
                    NEED));
          }

          @Override
          public ToolResult execute(ToolInvocation call) {
            ran.incrementAndGet();
            seen.set(call.credential());
            return ToolResult.of(body.apply(call.credential()), "http:api.example.com");
          }
        },
        "http",
        0);
    k.manifests.put(
        new ToolManifest(
            "api_get", "builtin", List.of("api.example.com"), List.of("/v1/"), List.of(), 1 << 20),
        "test");
  }

  @After
  public void tearDown() {
    k.close();
  }

  /** A strategy whose answers the test scripts. */
  static final class ScriptedStrategy implements CredentialStrategy {
    volatile CredentialException preflightFails;
    final List<String> calls = new ArrayList<>();

    @Override
    public synchronized void preflight(CredentialNeed need) {
      calls.add("preflight " + need);
      if (preflightFails != null) {
        throw preflightFails;
      }
    }

    @Override
    public synchronized RequestCredential authorize(
        CredentialNeed need, String method, URI target) {
      calls.add("authorize " + method + " " + target);
      return new RequestCredential(Map.of("Authorization", Sensitive.of("Bearer " + CANARY)), null);
    }

    @Override
    public synchronized Retry rejected(
        CredentialNeed need, String method, URI target, Rejection rejection) {
      calls.add("rejected " + rejection.error());
      return "use_dpop_nonce".equals(rejection.error()) ? Retry.NONCE : Retry.REFRESHED;
    }
  }

  @Test
  public void aToolWithoutItsStrategyRunsNothingAndSaysWhy() {
    ToolCallOutcome r = k.call("api_get", "{}");
    assertEquals(Status.ERROR, r.status());
    assertTrue(r.message(), r.message().startsWith("invalid_credential_need"));
    assertEquals(0, ran.get());
    assertEquals("oauth", k.receipts.toolCalls().get(0).path("auth_method").asText());
  }

  @Test
  public void aFailedPreflightEndsTheCallBeforeTheTool() {
    ScriptedStrategy s = new ScriptedStrategy();
    s.preflightFails =
        new CredentialException(
            CredentialException.CREDENTIAL_REVOKED, "provider demo was revoked");
    k.strategies.bind("oauth", s, 1);
    ToolCallOutcome r = k.call("api_get", "{}");
    assertEquals(Status.ERROR, r.status());
    assertEquals("credential_revoked: provider demo was revoked", r.message());
    assertEquals("no upstream request when no credential exists", 0, ran.get());
    var receipt = k.receipts.toolCalls().get(0);
    assertEquals("error", receipt.path("decision").asText());
    assertEquals("oauth", receipt.path("auth_method").asText());
  }

  @Test
  public void theConnectorGetsHeadersOnlyForTargetsTheManifestAllows() {
    ScriptedStrategy s = new ScriptedStrategy();
    k.strategies.bind("oauth", s, 1);
    List<String> refused = new ArrayList<>();
    body =
        c -> {
          RequestCredential ok = c.authorize("GET", URI.create("https://api.example.com/v1/me"));
          assertNotNull(ok.headers().get("Authorization"));
          for (String bad :
              List.of(
                  "https://evil.example.com/v1/me",
                  "https://api.example.com/v2/me",
                  "https://api.example.com/v1/../admin",
                  "https://user@api.example.com/v1/me",
                  "https://api.example.com/v1/me#frag",
                  "ftp://api.example.com/v1/me",
                  "/v1/me")) {
            try {
              c.authorize("GET", URI.create(bad));
              fail("headers for " + bad);
            } catch (CredentialException e) {
              assertEquals(CredentialException.CREDENTIAL_TARGET_REFUSED, e.code());
              refused.add(bad);
            }
          }
          return Map.of("ok", true);
        };
    ToolCallOutcome r = k.call("api_get", "{}");
    assertEquals(r.message(), Status.OK, r.status());
    assertEquals(7, refused.size());
    assertEquals(
        List.of("preflight oauth:demo", "authorize GET https://api.example.com/v1/me"), s.calls);
    assertFalse("no token in the receipts", k.receipts.events.toString().contains(CANARY));
    assertFalse("no token in the answer", r.toString().contains(CANARY));
  }

  @Test
  public void anEchoedCredentialNeverReachesTheAgent() {
    k.strategies.bind("oauth", new ScriptedStrategy(), 1);
    URI target = URI.create("https://api.example.com/v1/me");
    body =
        c -> {
          c.authorize("GET", target);
          // an upstream error body and header that reflect the request's Authorization
          return Map.of(
              "status",
              400,
              "body",
              Map.of("error", "invalid key Bearer " + CANARY, CANARY, List.of("t=" + CANARY)),
              "escaped",
              java.net.URLEncoder.encode(
                  "Bearer " + CANARY, java.nio.charset.StandardCharsets.UTF_8));
        };
    ToolCallOutcome r = k.call("api_get", "{}");
    assertEquals(r.message(), Status.OK, r.status());
    assertFalse(
        "the agent saw the credential: " + r.content(), r.content().toString().contains(CANARY));
    assertTrue(r.content().toString(), r.content().toString().contains(CredentialEcho.MARK));
    var receipt = k.receipts.toolCalls().get(0);
    assertEquals(4, receipt.path("credential_redactions").asInt());
    assertFalse(k.receipts.events.toString().contains(CANARY));
  }

  @Test
  public void anEchoedCredentialIsCutFromApprovalSummariesAndErrors() {
    k.strategies.bind("oauth", new ScriptedStrategy(), 1);
    URI target = URI.create("https://api.example.com/v1/me");
    body =
        c -> {
          c.authorize("GET", target);
          throw new dev.briefcase.connector.ApprovalRequiredException(
              "re-authorize with scope '" + CANARY + "'");
        };
    ToolCallOutcome asks = k.call("api_get", "{}");
    assertEquals(Status.APPROVAL_REQUIRED, asks.status());
    assertFalse(asks.approval().toString(), asks.approval().toString().contains(CANARY));
    body =
        c -> {
          c.authorize("GET", target);
          throw new dev.briefcase.connector.ToolException(
              dev.briefcase.connector.ToolException.TOOL_FAILED,
              "tool_failed: upstream said " + CANARY);
        };
    ToolCallOutcome failed = k.call("api_get", "{}");
    assertEquals(Status.ERROR, failed.status());
    assertFalse(failed.message(), failed.message().contains(CANARY));
    assertFalse(k.receipts.events.toString().contains(CANARY));
  }

  @Test
  public void theCredentialDiesWithItsCall() {
    k.strategies.bind("oauth", new ScriptedStrategy(), 1);
    assertEquals(Status.OK, k.call("api_get", "{}").status());
    try {
      seen.get().authorize("GET", URI.create("https://api.example.com/v1/me"));
      fail("a kept credential still works after its call");
    } catch (CredentialException e) {
      assertEquals(CredentialException.CREDENTIAL_EXPIRED, e.code());
    }
  }

  @Test
  public void eachRetryKindIsAllowedOncePerCall() {
    ScriptedStrategy s = new ScriptedStrategy();
    k.strategies.bind("oauth", s, 1);
    URI target = URI.create("https://api.example.com/v1/me");
    Rejection nonce = new Rejection(401, "DPoP error=\"use_dpop_nonce\"", "n1", null);
    Rejection expired =
        new Rejection(401, "DPoP error=\"invalid_token\", algs=\"ES256\"", null, null);
    body =
        c -> {
          c.rejected("GET", target, nonce);
          c.rejected("GET", target, expired);
          try {
            c.rejected("GET", target, expired);
            fail("a second refresh in one call");
          } catch (CredentialException e) {
            assertEquals(CredentialException.CREDENTIAL_EXPIRED, e.code());
          }
          try {
            c.rejected("GET", target, nonce);
            fail("a second nonce retry in one call");
          } catch (CredentialException e) {
            assertEquals(CredentialException.DPOP_NONCE_REJECTED, e.code());
          }
          throw new CredentialException(CredentialException.CREDENTIAL_EXPIRED, "refused again");
        };
    ToolCallOutcome r = k.call("api_get", "{}");
    assertEquals(Status.ERROR, r.status());
    assertEquals("credential_expired: refused again", r.message());
    // the strategy was asked once per kind: the kernel refused the second ones itself
    assertEquals(2, s.calls.stream().filter(c -> c.startsWith("rejected")).count());
  }

  @Test
  public void theStrategyIsLookedUpPerCall() {
    ScriptedStrategy first = new ScriptedStrategy();
    k.strategies.bind("oauth", first, 1);
    assertEquals(Status.OK, k.call("api_get", "{}").status());
    ScriptedStrategy second = new ScriptedStrategy();
    k.strategies.bind("oauth", second, 0); // older service id: outranks the first on a tie
    assertEquals(Status.OK, k.call("api_get", "{}").status());
    assertEquals(1, first.calls.size());
    assertEquals(1, second.calls.size());
    assertNull("a tool without a need gets no credential", noNeedCredential());
  }

  private CallCredential noNeedCredential() {
    AtomicReference<CallCredential> got = new AtomicReference<>(NO_CALL);
    k.add(
        new Connector() {
          @Override
          public List<ToolSpec> tools() {
            return List.of(
                new ToolSpec(
                    "plain",
                    "plain",
                    "no credential",
                    Fixture.object("{\"type\":\"object\",\"additionalProperties\":false}"),
                    null,
                    ToolSpec.READ,
                    0,
                    OutputFirewall.allowAll()));
          }

          @Override
          public ToolResult execute(ToolInvocation call) {
            got.set(call.credential());
            return ToolResult.of(Map.of("ok", true), "local:plain");
          }
        },
        "plain",
        0);
    assertEquals(Status.OK, k.call("plain", "{}").status());
    return got.get();
  }

  private static final CallCredential NO_CALL =
      new CallCredential() {
        @Override
        public CredentialNeed need() {
          return null;
        }

        @Override
        public RequestCredential authorize(String method, URI target) {
          return null;
        }

        @Override
        public void rejected(String method, URI target, Rejection rejection) {}
      };
}
