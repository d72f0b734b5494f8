package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.builtin.internal.BuiltinTools;
import dev.briefcase.risk.RiskAssessor;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallOutcome.Status;
import dev.briefcase.tools.ToolCallRequest;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Lone UTF-16 surrogates are not I-JSON: no hash, no collision, and still a receipt. */
public class CallHashTest {
  private static final String HIGH = "\uD800";
  private static final String LOW = "\uDFFF";

  private Fixture k;
  private FakeConnector fake;

  @Before
  public void setUp() throws Exception {
    k = new Fixture();
    k.add(new BuiltinTools(k.store), "builtin", 0);
    fake = new FakeConnector();
    k.add(fake, "fake", 0);
  }

  @After
  public void tearDown() {
    k.close();
  }

  private static ObjectNode text(String value) {
    ObjectNode args = CanonicalJson.MAPPER.createObjectNode();
    args.put("text", value);
    return args;
  }

  private ToolCallOutcome call(String tool, ObjectNode args) {
    return k.pipeline.call(
        new ToolCallRequest(tool, args, new CallContext("r", null, null, "test"), null));
  }

  private ObjectNode lastReceipt() {
    List<ObjectNode> calls = k.receipts.toolCalls();
    return calls.get(calls.size() - 1);
  }

  @Test
  public void canonicalFormRefusesLoneSurrogates() {
    for (String bad : List.of(HIGH, LOW, "a" + HIGH + "b", LOW + HIGH, HIGH + HIGH)) {
      try {
        CanonicalJson.callHash("echo", text(bad));
        fail("hashed a lone surrogate");
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage().contains("surrogate"));
      }
      ObjectNode key = CanonicalJson.MAPPER.createObjectNode();
      key.put(bad, "v");
      assertEquals(1, CanonicalJson.iJsonProblems(key, 5).size());
      try {
        CanonicalJson.sha256Hex(bad);
        fail("hashed a lone surrogate");
      } catch (IllegalArgumentException expected) {
        // refused rather than replaced by '?'
      }
    }
    // a proper pair (U+1F600) is fine and differs from '?'
    String pair = new String(Character.toChars(0x1F600));
    assertNotEquals(
        CanonicalJson.callHash("echo", text(pair)), CanonicalJson.callHash("echo", text("?")));
  }

  @Test
  public void printableIsWellFormedAndKeepsDistinctStringsDistinct() {
    assertEquals("a\\uD800b", CanonicalJson.printable("a" + HIGH + "b"));
    assertEquals("\\\\uD800\\uD800", CanonicalJson.printable("\\uD800" + HIGH));
    assertEquals("plain\\text", CanonicalJson.printable("plain\\text"));
    assertTrue(CanonicalJson.wellFormed(CanonicalJson.printable(LOW + HIGH)));
    assertNotEquals(CanonicalJson.printable(HIGH), CanonicalJson.printable(LOW));
  }

  @Test
  public void surrogateArgsAreInvalidArgsWithAReceiptAndNothingRuns() {
    for (String bad : List.of(HIGH, LOW)) {
      ToolCallOutcome r = call("mutate", text(bad));
      assertEquals(Status.DENIED, r.status());
      assertTrue(r.reason(), r.reason().startsWith("invalid_args: $.text: lone UTF-16 surrogate"));
      assertEquals("deny", lastReceipt().get("decision").asText());
      assertFalse(lastReceipt().has("call_hash"));
    }
    ObjectNode badKey = CanonicalJson.MAPPER.createObjectNode();
    badKey.put("k" + HIGH, "v");
    ToolCallOutcome r = call("mutate", badKey);
    assertEquals(Status.DENIED, r.status());
    assertTrue(r.reason(), r.reason().contains("$.k\\uD800: key lone UTF-16 surrogate"));
    assertEquals(0, fake.executions.get());
    // the well-formed "?" still runs
    assertEquals(Status.OK, call("mutate", text("?")).status());
  }

  @Test
  public void unknownToolWithASurrogateIsDeniedAndReceipted() {
    ToolCallOutcome r = call("nope" + HIGH, text("a"));
    assertEquals(Status.DENIED, r.status());
    assertEquals("invalid_args: tool_id: lone UTF-16 surrogate (not I-JSON)", r.reason());
    assertTrue(r.receiptId() > 0);
    ObjectNode receipt = lastReceipt();
    assertEquals("deny", receipt.get("decision").asText());
    assertEquals("nope\\uD800", receipt.get("tool_id").asText());
  }

  @Test
  public void surrogateInTheContextIsDeniedAndReceipted() {
    ToolCallOutcome r =
        k.pipeline.call(
            new ToolCallRequest(
                "echo", text("a"), new CallContext("r" + LOW, "agent" + HIGH, null, "test"), null));
    assertEquals(Status.DENIED, r.status());
    assertTrue(r.reason(), r.reason().startsWith("invalid_args: context.request_id"));
    ObjectNode receipt = lastReceipt();
    assertEquals("r\\uDFFF", receipt.get("request_id").asText());
    assertEquals("agent\\uD800", receipt.get("agent_id").asText());
  }

  @Test
  public void transportDefectQuotingASurrogateStillGetsAReceipt() {
    ToolCallOutcome r =
        k.pipeline.call(
            new ToolCallRequest(
                "echo", text("a"), new CallContext("r", null, null, "test"), null, "$.x" + HIGH));
    assertEquals(Status.DENIED, r.status());
    assertEquals("invalid_args: $.x\\uD800", r.reason());
    assertEquals(r.reason(), lastReceipt().get("reason").asText());
  }

  @Test
  public void anyThrowableFromAStepIsAnErrorWithAReceipt() {
    RiskAssessor broken =
        (spec, args) -> {
          throw new AssertionError("a step failed with an Error");
        };
    k.pipeline.bindRiskAssessor(broken);
    ToolCallOutcome r = k.call("echo", "{\"text\":\"hi\"}");
    assertEquals(Status.ERROR, r.status());
    assertEquals("internal_error", r.message());
    assertTrue(r.receiptId() > 0);
    assertEquals("error", lastReceipt().get("decision").asText());
  }

  @Test
  public void clippingNeverSplitsAPair() {
    String pair = new String(Character.toChars(0x1F600));
    String id = "x".repeat(127) + pair + "tail";
    ToolCallOutcome r = call(id, text("a"));
    assertEquals(Status.DENIED, r.status());
    assertEquals("unknown_tool", r.reason());
    assertEquals("x".repeat(127), lastReceipt().get("tool_id").asText());
  }
}
