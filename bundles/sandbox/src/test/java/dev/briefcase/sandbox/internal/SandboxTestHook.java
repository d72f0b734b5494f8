package dev.briefcase.sandbox.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.egress.EgressException;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.util.Map;

/**
 * The sandbox's published test hook: a WASM tool wrapped as the connector the kernel calls, built
 * from module bytes without a bundle or the extender. Published in the sandbox's test-jar, which
 * the WASM benchmark (bench) uses instead of placing classes into this package.
 */
public final class SandboxTestHook {
  private SandboxTestHook() {}

  /**
   * A connector with the one tool {@code spec} running {@code wasm} under the default limits:
   * {@code pooled}, with the default pool of instances reset from a snapshot after each call, else
   * with a fresh instance per call. The tool declares nothing and gets no egress.
   */
  public static Connector connector(byte[] wasm, ToolSpec spec, boolean pooled)
      throws ToolException {
    SandboxLimits limits = SandboxLimits.defaults();
    ToolManifest declared = ToolManifest.denyAll(spec.name(), "wasm");
    WasmToolDescriptor d =
        new WasmToolDescriptor(spec, spec.name() + ".wasm", declared, ManifestCeiling.Parts.ALL);
    WasmTool tool =
        new WasmTool(wasm, declared, pooled ? limits : limits.withPoolSize(0), refusingEgress());
    return new WasmConnector("bench", Map.of(spec.name(), new WasmConnector.Tool(d, tool)));
  }

  /** What installing a WASM tool costs: parse, check and instantiate a module. */
  public static final class ColdStart {
    private final byte[] wasm;
    private final WasmTool parsed;

    public ColdStart(byte[] wasm) throws ToolException {
      this.wasm = wasm;
      this.parsed = parse(wasm);
    }

    /** Parses and checks the module and creates its first instance. */
    public void parseCheckInstantiate() throws ToolException {
      parse(wasm);
    }

    /** A new instance of the already parsed module (a pool miss). */
    public void instantiateParsed() {
      parsed.instantiateOnce();
    }

    private static WasmTool parse(byte[] wasm) throws ToolException {
      return new WasmTool(
          wasm, ToolManifest.denyAll("cold", "wasm"), SandboxLimits.defaults(), refusingEgress());
    }
  }

  private static FakeEgress refusingEgress() {
    FakeEgress egress = new FakeEgress();
    egress.refuseWith = EgressException.UNAVAILABLE;
    return egress;
  }
}
