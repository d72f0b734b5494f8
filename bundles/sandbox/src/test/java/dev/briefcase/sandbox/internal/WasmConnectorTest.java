package dev.briefcase.sandbox.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.Test;

/** The connector around a WASM tool: plain JSON trees in and out, the bytes the module sees. */
public class WasmConnectorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};
  private static final String ARGS =
      "{\"z\":1,\"a\":[1.0E20,1.0E-5,0.1,100.0,null,true,\"\\u00e9\\ud83d\\ude00\\n\"],"
          + "\"long\":4294967296,\"o\":{\"y\":{},\"x\":[]}}";

  private static ToolSpec spec(String id) {
    return new ToolSpec(
        id, id, id, Map.of("type", "object"), null, ToolSpec.READ, 0, OutputFirewall.allowAll());
  }

  private static ToolResult call(Connector c, String tool, String args) throws Exception {
    return c.execute(
        new ToolInvocation(
            tool,
            JSON.readValue(args, OBJECT),
            ToolManifest.denyAll(tool, "wasm"),
            new CallContext("r", null, null, "test")));
  }

  /** A module whose {@code run} ignores its input and answers {@code out}. */
  private static String constant(String out) {
    int len = out.getBytes(StandardCharsets.UTF_8).length;
    return "(module (memory (export \"memory\") 1)"
        + " (data (i32.const 1024) \""
        + Wat.str(out)
        + "\")"
        + " (func (export \"run\") (param i32 i32) (result i64)"
        + " (i64.or (i64.shl (i64.const "
        + len
        + ") (i64.const 32)) (i64.const 1024))))";
  }

  @Test
  public void theModuleReadsTheArgumentsAsJacksonWroteThemAndTheAnswerComesBackUnchanged()
      throws Exception {
    Connector echo = SandboxTestHook.connector(Wat.compile(WasmToolTest.ECHO), spec("echo"), true);
    ToolResult r = call(echo, "echo", ARGS);
    // the echo module returns its input: what it read is what the result serialises to
    assertEquals(JSON.readTree(ARGS).toString(), JSON.writeValueAsString(r.content()));
    assertEquals("wasm:echo", r.source());
  }

  @Test
  public void anAnswerThatIsNotJsonIsWasmOutputInvalid() throws Exception {
    for (String out : new String[] {"{\"a\":", "not json", "", "{\"a\":1,}"}) {
      Connector c = SandboxTestHook.connector(Wat.compile(constant(out)), spec("bad"), true);
      try {
        call(c, "bad", "{}");
        fail("accepted " + out);
      } catch (ToolException e) {
        assertEquals(out, "wasm_output_invalid", e.code());
      }
    }
  }
}
