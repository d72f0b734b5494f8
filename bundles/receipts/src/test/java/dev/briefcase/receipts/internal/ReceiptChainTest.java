package dev.briefcase.receipts.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.Test;

public class ReceiptChainTest {

  private final ObjectMapper mapper = new ObjectMapper();

  private static String sha256Hex(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  public void genesisHashIsSha256OfZerosAndCanonicalEvent() throws Exception {
    ObjectNode event = mapper.createObjectNode();
    event.put("type", "tool_call");
    event.put("ts", "2025-01-01T00:00:00Z");
    event.put("cost_usd", new BigDecimal("2.0E-3"));
    event.put("n", 1.0);
    String expectedCanonical =
        "{\"cost_usd\":0.002,\"n\":1,\"ts\":\"2025-01-01T00:00:00Z\",\"type\":\"tool_call\"}";
    assertEquals(expectedCanonical, ReceiptChain.canonicalize(event));
    assertEquals(
        sha256Hex("0".repeat(64) + expectedCanonical),
        ReceiptChain.hashEvent(ReceiptChain.GENESIS_HASH_HEX, event));
  }

  @Test
  public void costUsdInExponentFormHashesAsPlainDecimal() throws Exception {
    ObjectNode fromText = (ObjectNode) mapper.readTree("{\"cost_usd\":2.0E-3,\"ts\":\"t\"}");
    ObjectNode fromDecimal = mapper.createObjectNode();
    fromDecimal.put("ts", "t");
    fromDecimal.put("cost_usd", new BigDecimal("2.0E-3"));
    ObjectNode fromDouble = mapper.createObjectNode();
    fromDouble.put("cost_usd", 0.002);
    fromDouble.put("ts", "t");
    String canonical = "{\"cost_usd\":0.002,\"ts\":\"t\"}";
    assertEquals(canonical, ReceiptChain.canonicalize(fromText));
    assertEquals(canonical, ReceiptChain.canonicalize(fromDecimal));
    assertEquals(canonical, ReceiptChain.canonicalize(fromDouble));
  }

  @Test
  public void keysSortByUtf16CodeUnits() throws Exception {
    // the property-sorting example of RFC 8785 section 3.2.3
    String input =
        "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew\","
            + "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji\",\"\\u0080\":\"Control\","
            + "\"\\u00f6\":\"o\"}";
    String canonical = ReceiptChain.canonicalize(mapper.readTree(input));
    String expected =
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"o\","
            + "\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji\",\"\ufb33\":\"Hebrew\"}";
    assertEquals(expected, canonical);
  }

  @Test
  public void numbersTakeTheEcmaScriptForm() throws Exception {
    assertEquals(
        "[1e+21,1e-7,0,100,333333333.3333333,9007199254740991]",
        ReceiptChain.canonicalJson("[1E21,1E-7,-0.0,1.0E2,333333333.33333329,9007199254740991]"));
  }

  @Test
  public void reorderedKeysHashTheSame() throws Exception {
    ObjectNode a = (ObjectNode) mapper.readTree("{\"a\":1,\"b\":{\"y\":[1,2],\"x\":\"s\"}}");
    ObjectNode b = (ObjectNode) mapper.readTree("{\"b\":{\"x\":\"s\",\"y\":[1,2]},\"a\":1}");
    assertEquals(
        ReceiptChain.hashEvent(ReceiptChain.GENESIS_HASH_HEX, a),
        ReceiptChain.hashEvent(ReceiptChain.GENESIS_HASH_HEX, b));
    ObjectNode c = (ObjectNode) mapper.readTree("{\"b\":{\"x\":\"s\",\"y\":[2,1]},\"a\":1}");
    assertNotEquals(
        ReceiptChain.hashEvent(ReceiptChain.GENESIS_HASH_HEX, a),
        ReceiptChain.hashEvent(ReceiptChain.GENESIS_HASH_HEX, c));
  }

  @Test
  public void nonIJsonIsRejected() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    long max = ReceiptChain.MAX_SAFE_INTEGER;
    ReceiptChain.requireIJson(f.objectNode().put("n", max).put("m", -max));
    ReceiptChain.requireIJson(f.objectNode().put("d", 1e300).put("e", new BigDecimal("1E+15")));
    for (ObjectNode bad :
        new ObjectNode[] {
          f.objectNode().put("n", max + 1),
          f.objectNode().put("n", -max - 1),
          f.objectNode().put("n", new BigInteger("123456789012345678901234567890")),
          f.objectNode().put("n", new BigDecimal("9007199254740993")),
          f.objectNode().put("n", new BigDecimal("1E+400")),
          f.objectNode().put("n", Double.NaN),
          f.objectNode().put("n", Double.POSITIVE_INFINITY),
          f.objectNode().put("n", Float.NEGATIVE_INFINITY),
          f.objectNode().put("s", "lone \ud800 surrogate"),
          f.objectNode().put("\udc00", "lone low surrogate key"),
          f.objectNode().put("b", new byte[] {1, 2}),
          f.objectNode().putPOJO("p", new Object()),
        }) {
      assertThrows(
          bad.toString(), IllegalArgumentException.class, () -> ReceiptChain.canonicalize(bad));
    }
  }

  @Test
  public void deepNestingIsRejected() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode node = root;
    for (int i = 0; i < 100; i++) {
      node = node.putObject("x");
    }
    assertThrows(IllegalArgumentException.class, () -> ReceiptChain.canonicalize(root));
  }

  @Test
  public void hashHexValidatesPrev() {
    assertTrue(ReceiptChain.isHashHex(ReceiptChain.GENESIS_HASH_HEX));
    assertFalse(ReceiptChain.isHashHex("0".repeat(63)));
    assertFalse(ReceiptChain.isHashHex("A".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> ReceiptChain.hashHex("abc", "{}"));
  }

  @Test
  public void duplicateKeysInTextAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> ReceiptChain.canonicalJson("{\"a\":1,\"a\":2}"));
    assertThrows(IllegalArgumentException.class, () -> ReceiptChain.canonicalJson("{\"a\":"));
  }
}
