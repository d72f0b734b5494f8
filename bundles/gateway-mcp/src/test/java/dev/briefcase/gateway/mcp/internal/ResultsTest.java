package dev.briefcase.gateway.mcp.internal;

import static org.junit.Assert.assertEquals;

import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class ResultsTest {

  @Test
  public void aToolsInputSchemaIsListedMemberForMemberWithEveryNumberAsGiven() {
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("type", "number");
    n.put("multipleOf", new BigDecimal("0.010"));
    n.put("maximum", 1.0E20);
    n.put("minimum", new BigInteger("-123456789012345678901234567890"));
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", Map.of("n", n));
    schema.put("required", List.of("n"));
    schema.put("additionalProperties", false);
    ToolSpec spec =
        new ToolSpec("t", "T", "d", schema, null, ToolSpec.READ, 0, OutputFirewall.allowAll());

    assertEquals(
        "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\",\"multipleOf\":0.010,"
            + "\"maximum\":1.0E20,\"minimum\":-123456789012345678901234567890}},"
            + "\"required\":[\"n\"],\"additionalProperties\":false}",
        Results.tool(spec).get("inputSchema").toString());
  }
}
