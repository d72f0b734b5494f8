package dev.briefcase.itests.connector.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code extra_dpop} (read): asks the key directory for a fresh ES256 DPoP proof from the key of
 * {@code dpop:itest} over {@code POST https://rs.example/resource} and returns it, the way a
 * connector needing a proof of possession per call would. The proof is public by design; the key
 * never leaves its backend. A key-directory error becomes a tool error with the same code.
 */
@Component(property = Connector.ID + "=extra-dpop")
public final class DpopTools implements Connector {
  static final String SERVER = "itest";
  static final String HTU = "https://rs.example/resource";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<ToolSpec> tools;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile KeyDirectory keys;

  @Activate
  public DpopTools() throws IOException {
    this.tools =
        List.of(
            new ToolSpec(
                "extra_dpop",
                "Extra DPoP",
                "Returns a fresh DPoP proof signed by the dpop:itest key.",
                schema("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"),
                null,
                ToolSpec.READ,
                0,
                OutputFirewall.allowAll()));
  }

  @Override
  public List<ToolSpec> tools() {
    return tools;
  }

  @Override
  public ToolResult execute(ToolInvocation invocation) throws ToolException {
    KeyDirectory directory = keys;
    if (directory == null) {
      throw ToolException.unavailable("key directory");
    }
    try {
      String proof = directory.dpopProof(SERVER, KeyAlgorithm.P256, "POST", HTU, null, null);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("proof", proof);
      return ToolResult.of(out, "local:extra-dpop");
    } catch (KeyException e) {
      throw new ToolException(e.code(), e.code() + ": " + e.getMessage());
    }
  }

  /** A JSON Schema from its text, as the plain JSON tree the SPI carries. */
  private static Map<String, Object> schema(String json) throws IOException {
    return JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
  }
}
