package dev.briefcase.sandbox.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link Connector} one WASM tool bundle contributes: its tools, each a parsed {@link WasmTool}
 * with its declared manifest. Each call runs under the manifest the kernel hands in (the stored
 * one, or deny-all) narrowed to the declaration ({@link ManifestCeiling}). Thread-safe.
 *
 * <p>Replaced by a newer revision of its bundle, it keeps serving the calls that already resolved
 * it (they finish on the old module); {@link #close} (bundle stopped or uninstalled) makes later
 * calls fail with {@code backend_unavailable}.
 */
final class WasmConnector implements Connector {

  /** One tool of the bundle. */
  record Tool(WasmToolDescriptor descriptor, WasmTool wasm) {}

  private final ObjectMapper json = new ObjectMapper();
  private final String bundleName;
  private final Map<String, Tool> tools;
  private final List<ToolSpec> specs;
  private volatile boolean closed;

  WasmConnector(String bundleName, Map<String, Tool> tools) {
    this.bundleName = bundleName;
    this.tools = Map.copyOf(tools);
    List<ToolSpec> list = new ArrayList<>();
    for (Tool t : this.tools.values()) {
      list.add(t.descriptor().spec());
    }
    list.sort((a, b) -> a.id().compareTo(b.id()));
    this.specs = List.copyOf(list);
  }

  @Override
  public List<ToolSpec> tools() {
    return specs;
  }

  @Override
  public ToolResult execute(ToolInvocation invocation) throws ToolException {
    Tool tool = tools.get(invocation.toolId());
    if (closed || tool == null) {
      throw ToolException.unavailable("wasm tool bundle " + bundleName + " is gone");
    }
    ToolManifest inForce =
        ManifestCeiling.intersect(
            invocation.manifest(), tool.descriptor().declared(), tool.descriptor().ceilings());
    String args;
    try {
      args = json.writeValueAsString(invocation.args());
    } catch (JsonProcessingException e) {
      throw new ToolException(
          ToolException.TOOL_FAILED, "tool_failed: arguments could not be written");
    }
    String out = tool.wasm().run(args, inForce, invocation.approvalId());
    try {
      // plain JSON tree: integers as Integer/Long/BigInteger, other numbers as Double
      return ToolResult.of(json.readValue(out, Object.class), "wasm:" + invocation.toolId());
    } catch (IOException | IllegalArgumentException e) {
      // not JSON, or not a value a JSON tree can hold (a number beyond double's range)
      throw new ToolException(
          ToolException.WASM_OUTPUT_INVALID, "wasm_output_invalid: result is not JSON");
    }
  }

  /** Ends service: later calls are {@code backend_unavailable}; running calls finish. */
  void close() {
    closed = true;
    for (Tool t : tools.values()) {
      t.wasm().close();
    }
  }

  String bundleName() {
    return bundleName;
  }
}
