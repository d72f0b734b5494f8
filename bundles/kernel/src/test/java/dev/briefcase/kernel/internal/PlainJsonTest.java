package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import org.junit.Test;

public class PlainJsonTest {
  private static final String MIXED =
      "{\"z\":1,\"a\":[1.0E20,1.0E-5,0.1,100.0,-0.0,null,true,\"\\u00e9\\ud83d\\ude00\"],"
          + "\"big\":123456789012345678901234567890,\"long\":4294967296,"
          + "\"o\":{\"y\":{},\"x\":[]}}";

  @Test
  public void aRoundTripWritesTheSameBytesAndHashesTheSame() throws Exception {
    for (ObjectMapper mapper :
        new ObjectMapper[] {
          new ObjectMapper(),
          new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        }) {
      JsonNode before = mapper.readTree(MIXED.replace("100.0", "100.000"));
      JsonNode after = PlainJson.node(PlainJson.object(before));
      assertEquals(mapper.writeValueAsString(before), mapper.writeValueAsString(after));
      assertEquals(before.toString(), after.toString());
      ((com.fasterxml.jackson.databind.node.ObjectNode) before).remove("big");
      ((com.fasterxml.jackson.databind.node.ObjectNode) after).remove("big");
      assertEquals(CanonicalJson.hash(before), CanonicalJson.hash(after));
      // what a plugin writes with any Jackson of its own is what the kernel would have written
      assertEquals(before.toString(), mapper.writeValueAsString(PlainJson.object(before)));
    }
  }

  @Test
  public void numbersReachPluginsExactlyAsParsed() throws Exception {
    ObjectMapper exact =
        new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    Map<String, Object> plain =
        PlainJson.object(
            exact.readTree(
                "{\"d\":0.10000000000000000000001,\"i\":7,\"b\":" + "9".repeat(30) + "}"));
    assertEquals(new BigDecimal("0.10000000000000000000001"), plain.get("d"));
    assertEquals(7, plain.get("i"));
    assertEquals(new BigInteger("9".repeat(30)), plain.get("b"));
  }

  @Test
  public void theArgumentsAPluginGetsAreUnmodifiable() throws Exception {
    Map<String, Object> plain =
        PlainJson.object(new ObjectMapper().readTree("{\"a\":{\"b\":[1]}}"));
    try {
      ((Map<String, Object>) plain.get("a")).put("c", 2);
      assertTrue("a nested object could be changed", false);
    } catch (UnsupportedOperationException expected) {
      // a plugin cannot change what the kernel hashed
    }
  }

  @Test(expected = IllegalArgumentException.class)
  public void onlyAnObjectIsArguments() throws Exception {
    PlainJson.object(new ObjectMapper().readTree("[1]"));
  }
}
