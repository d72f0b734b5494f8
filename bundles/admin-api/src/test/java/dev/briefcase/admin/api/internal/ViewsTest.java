package dev.briefcase.admin.api.internal;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;

public class ViewsTest {

  @Test
  public void aToolsSchemasAreShownMemberForMemberWithEveryNumberAsGiven() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("type", "object");
    in.put("properties", Map.of("n", Map.of("multipleOf", new BigDecimal("0.010"))));
    in.put("additionalProperties", false);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "object");
    out.put("maximum", 1.0E20);
    ToolSpec spec = new ToolSpec("t", "T", "d", in, out, "read", 0, OutputFirewall.allowAll());

    ObjectNode view = Views.tool(spec);
    assertEquals(
        "{\"type\":\"object\",\"properties\":{\"n\":{\"multipleOf\":0.010}},"
            + "\"additionalProperties\":false}",
        view.get("input_schema").toString());
    assertEquals("{\"type\":\"object\",\"maximum\":1.0E20}", view.get("output_schema").toString());
  }

  @Test
  public void noOutputSchemaIsNull() {
    ToolSpec spec =
        new ToolSpec(
            "t", "T", "d", Map.of("type", "object"), null, "read", 0, OutputFirewall.allowAll());
    assertEquals(true, Views.tool(spec).get("output_schema").isNull());
  }
}
