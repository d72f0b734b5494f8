package dev.briefcase.examples.wordcount.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Unit tests need no framework: build the component with its test constructor and call it. */
public class WordCountConnectorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final WordCountConnector connector = new WordCountConnector("1.2.3");

  private ToolResult call(String args) throws Exception {
    return connector.execute(
        new ToolInvocation(
            WordCountConnector.TOOL,
            JSON.readValue(args, Map.class),
            ToolManifest.denyAll(WordCountConnector.TOOL, "connector"),
            new CallContext("r1", null, null, "test")));
  }

  @Test
  public void countsWordsLinesAndCharacters() throws Exception {
    ToolResult r = call("{\"text\":\"the cat and the hat\\nThe end\",\"top\":2}");
    JsonNode out = JSON.valueToTree(r.content());
    assertEquals(
        "{\"words\":7,\"lines\":2,\"characters\":27,\"top_words\":[{\"word\":\"the\","
            + "\"count\":3},{\"word\":\"and\",\"count\":1}],\"version\":\"1.2.3\"}",
        out.toString());
    assertEquals(7, out.get("words").asInt());
    assertEquals(2, out.get("lines").asInt());
    assertEquals(27, out.get("characters").asInt());
    assertEquals("the", out.get("top_words").get(0).get("word").asText());
    assertEquals(3, out.get("top_words").get(0).get("count").asInt());
    assertEquals(2, out.get("top_words").size());
    assertEquals("1.2.3", out.get("version").asText());
    assertEquals("local:text_stats", r.source());
  }

  @Test
  public void emptyTextIsZero() throws Exception {
    Map<?, ?> out = (Map<?, ?>) call("{\"text\":\"  \"}").content();
    assertEquals(0, out.get("words"));
    assertEquals(List.of(), out.get("top_words"));
  }

  @Test
  public void theSchemaRefusesWhatTheKernelWouldRefuse() {
    ToolSpec spec = connector.tools().get(0);
    JsonSchema schema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(JSON.valueToTree(spec.inputSchema()));
    assertTrue(schema.validate(json("{\"text\":\"ok\",\"top\":5}")).isEmpty());
    assertFalse(schema.validate(json("{}")).isEmpty()); // text is required
    assertFalse(schema.validate(json("{\"text\":5}")).isEmpty());
    assertFalse(schema.validate(json("{\"text\":\"a\",\"top\":11}")).isEmpty());
    assertFalse(schema.validate(json("{\"text\":\"a\",\"extra\":true}")).isEmpty());
  }

  @Test
  public void afterDeactivationCallsFailFastWithBackendUnavailable() throws Exception {
    connector.deactivate();
    try {
      call("{\"text\":\"x\"}");
      fail("a stopped connector answered");
    } catch (ToolException e) {
      assertEquals(ToolException.BACKEND_UNAVAILABLE, e.code());
    }
  }

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
