package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class ArgsValidatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ArgsValidator validator = new ArgsValidator();

  /**
   * A plugin's schema holds a backtracking pattern and the agent sends the text that makes the JDK
   * engine try every split (the back-reference turns off the engine's loop memo): without a time
   * limit this validation runs for hours on one kernel thread (22 characters take 0.3 s here, each
   * further one doubles it); with it the call is refused with a problem, within the budget.
   */
  @Test(timeout = 30_000)
  public void aCatastrophicPatternCannotHoldAKernelThread() throws Exception {
    ToolSpec spec =
        spec(
            "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\","
                + "\"pattern\":\"^(a+)+\\\\1$\"}}}");
    JsonNode args = JSON.readTree("{\"x\":\"" + "a".repeat(40) + "!\"}");

    List<String> problems = validator.problems(spec, args);

    assertEquals(1, problems.size());
    assertTrue(problems.get(0), problems.get(0).contains("pattern check took longer"));
  }

  @Test(timeout = 30_000)
  public void patternPropertiesAreBoundedToo() throws Exception {
    ToolSpec spec =
        spec(
            "{\"type\":\"object\",\"patternProperties\":{\"^(b+)+\\\\1$\":{\"type\":\"string\"}}}");
    JsonNode args = JSON.readTree("{\"" + "b".repeat(40) + "!\":\"v\"}");

    List<String> problems = validator.problems(spec, args);

    assertEquals(1, problems.size());
    assertTrue(problems.get(0), problems.get(0).contains("pattern check took longer"));
  }

  @Test
  public void ordinaryPatternsKeepTheirMeaning() throws Exception {
    ToolSpec spec =
        spec(
            "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\","
                + "\"pattern\":\"^[a-z]+-[0-9]{2}$\"}}}");

    assertEquals(List.of(), validator.problems(spec, JSON.readTree("{\"x\":\"abc-42\"}")));
    List<String> bad = validator.problems(spec, JSON.readTree("{\"x\":\"ABC-4\"}"));
    assertEquals(1, bad.size());
    assertTrue(bad.get(0), bad.get(0).contains("pattern"));
  }

  @SuppressWarnings("unchecked")
  private static ToolSpec spec(String schema) throws Exception {
    return new ToolSpec(
        "t",
        "t",
        "pattern test tool",
        JSON.readValue(schema, Map.class),
        null,
        ToolSpec.READ,
        0,
        OutputFirewall.allowAll());
  }
}
