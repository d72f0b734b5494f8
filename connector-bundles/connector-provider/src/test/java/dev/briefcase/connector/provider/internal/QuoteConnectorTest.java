package dev.briefcase.connector.provider.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.error.BriefcaseException;
import dev.briefcase.testing.Configs;
import dev.briefcase.testing.MemoryReceiptLog;
import dev.briefcase.testing.Upstream;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class QuoteConnectorTest {
  private Upstream upstream;
  private ProviderPeer peer;
  private Fakes.Registry registry;
  private CapabilityStrategy strategy;
  private final MemoryReceiptLog receipts = new MemoryReceiptLog();
  private QuoteConnector connector;

  @Before
  public void setUp() throws Exception {
    upstream = new Upstream();
    peer = new ProviderPeer();
    upstream.script(peer);
    registry = new Fakes.Registry();
    registry.bases.put("demo", upstream.base());
    strategy =
        new CapabilityStrategy(
            registry,
            new Fakes.Keys(),
            CapabilityStrategyTest.EGRESS,
            receipts,
            new Fakes.Secrets(),
            "require_approval",
            java.util.Set.of(),
            true,
            Clock.systemUTC());
    connector = connector("");
  }

  private QuoteConnector connector(String prefix) {
    return new QuoteConnector(
        registry,
        CapabilityStrategyTest.EGRESS,
        Configs.of(
            QuoteConnector.Config.class,
            Map.of("connector_id", "prov", "provider_id", "demo", "tool_prefix", prefix)),
        true);
  }

  @After
  public void tearDown() {
    upstream.close();
  }

  static ToolManifest manifest(String... prefixes) {
    return new ToolManifest(
        "quote", "builtin", List.of("127.0.0.1"), List.of(prefixes), List.of(), 1 << 20);
  }

  private ToolResult quote(String symbol, ToolManifest manifest) {
    CredentialNeed need = connector.tools().get(0).credential();
    return connector.execute(
        new ToolInvocation(
            connector.tools().get(0).id(),
            Map.of("symbol", symbol),
            manifest,
            new CallContext("req-1", "agent-1", null, "mcp"),
            null,
            new KernelCredential(need, strategy, manifest)));
  }

  private ToolResult quote(String symbol) {
    return quote(symbol, manifest("/api/quote", "/token"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> content(ToolResult r) {
    return (Map<String, Object>) r.content();
  }

  @Test
  public void theToolDeclaresTheCapabilityNeedAndAStrictSchema() {
    ToolSpec spec = connector.tools().get(0);
    assertEquals("quote", spec.id());
    assertEquals(new CredentialNeed(CredentialNeed.CAPABILITY, "demo"), spec.credential());
    assertEquals(false, spec.inputSchema().get("additionalProperties"));
    assertEquals("demo_quote", connector("demo_").tools().get(0).id());
  }

  @Test
  public void aQuoteMintsOnceAndReuses() {
    assertEquals("ABC", content(quote("ABC")).get("symbol"));
    assertEquals("XYZ", content(quote("XYZ")).get("symbol"));
    assertEquals(1, peer.mints.get());
    assertEquals("symbol=XYZ", upstream.seen.get(2).rawQuery());
  }

  /** SPEC §8.2 acceptance 7: the call after max_calls gets 429, then a re-mint succeeds. */
  @Test
  public void maxCallsThen429ThenAReMint() {
    peer.limit = 1;
    quote("ABC");
    assertEquals("XYZ", content(quote("XYZ")).get("symbol"));
    assertEquals(2, peer.mints.get());
    assertEquals("/token /api/quote /api/quote(429) /token /api/quote", 5, upstream.seen.size());
  }

  /** SPEC §15 acceptance 4: a provider-side jti revoke → a fresh capability is used. */
  @Test
  public void aRevokedCapabilityIsReplacedByAFreshOne() {
    quote("ABC");
    peer.revoked.add(peer.minted.get(0));
    assertEquals("ABC", content(quote("ABC")).get("symbol"));
    assertEquals(2, peer.mints.get());
    assertEquals(
        "DPoP " + peer.minted.get(1),
        upstream.seen.get(upstream.seen.size() - 1).header("Authorization"));
  }

  @Test
  public void aResourceNonceIsAnsweredOnce() {
    peer.quoteNonce = "qn-1";
    assertEquals("ABC", content(quote("ABC")).get("symbol"));
    assertEquals(1, peer.mints.get());
    assertEquals(3, upstream.seen.size());
  }

  @Test
  public void aSecondRefreshIsNotAllowedInOneCall() {
    peer.limit = 0; // every quote is 429: one re-mint, then the call ends
    try {
      quote("ABC");
      fail();
    } catch (BriefcaseException e) {
      assertEquals("credential_expired", e.code());
    }
    assertEquals(2, peer.mints.get());
  }

  @Test
  public void aManifestThatDoesNotAllowTheQuoteRouteSendsNothing() {
    for (ToolManifest m :
        new ToolManifest[] {
          ToolManifest.denyAll("quote", "builtin"), manifest("/other"), manifest("/token")
        }) {
      try {
        quote("ABC", m);
        fail();
      } catch (BriefcaseException e) {
        assertEquals("credential_target_refused", e.code());
      }
    }
    assertEquals(0, upstream.seen.size());
  }

  @Test
  public void aBadSymbolIsRefusedBeforeAnyRequest() {
    for (String s : new String[] {"abc", "", "ABCDEFGHIJK", "A&B", "A/../B"}) {
      try {
        quote(s);
        fail(s);
      } catch (BriefcaseException e) {
        assertEquals(QuoteConnector.INVALID_SYMBOL, e.code());
      }
    }
    assertEquals(0, upstream.seen.size());
  }

  /**
   * Attack: a provider that echoes the capability and the proof (in a result and in an error) and a
   * log at DEBUG never hand either to the agent.
   */
  @Test
  public void theCapabilityNeverReachesTheAgentOrTheLog() {
    PrintStream original = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    System.setErr(new PrintStream(new Tee(original, log), true, StandardCharsets.UTF_8));
    List<String> texts = new ArrayList<>();
    try {
      peer.echo = true;
      ToolResult ok = quote("ABC");
      texts.add(String.valueOf(ok.content()));
      assertTrue(texts.get(0), texts.get(0).contains("[REDACTED:credential]"));
      peer.failStatus = 500;
      try {
        quote("ABC");
        fail();
      } catch (BriefcaseException e) {
        assertEquals(QuoteConnector.PROVIDER_ERROR, e.code());
        texts.add(e.getMessage());
      }
      peer.failStatus = 0;
      peer.mintBody = "{\"token\":\"" + "cap-canary-hostile\\r\\n" + "\"}";
      strategy.revoke("demo");
      try {
        quote("ABC");
        fail();
      } catch (BriefcaseException e) {
        texts.add(e.getMessage());
      }
    } finally {
      System.setErr(original);
    }
    String captured = log.toString(StandardCharsets.UTF_8);
    assertTrue("log capture works", captured.contains("capability minted for provider demo"));
    List<String> secrets = new ArrayList<>(peer.minted);
    secrets.add("cap-canary-hostile");
    upstream.seen.forEach(
        s -> {
          if (s.header("DPoP") != null) {
            secrets.add(s.header("DPoP"));
          }
        });
    assertFalse(secrets.isEmpty());
    for (String secret : secrets) {
      assertFalse("in the log", captured.contains(secret));
      assertFalse("in a receipt", receipts.events().toString().contains(secret));
      for (String t : texts) {
        assertFalse("in " + t, t.contains(secret));
      }
    }
  }

  @Test
  public void aStoppedConnectorFailsFast() {
    connector.deactivate();
    try {
      quote("ABC");
      fail();
    } catch (BriefcaseException e) {
      assertEquals("backend_unavailable", e.code());
    }
  }

  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
