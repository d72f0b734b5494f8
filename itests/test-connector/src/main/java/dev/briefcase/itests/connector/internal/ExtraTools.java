package dev.briefcase.itests.connector.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * A second connector for the hot-swap and deployment tests: {@code extra_ping} (read) answers with
 * the version of the bundle serving it; {@code extra_wipe} (admin) exists so tests can see the
 * default policy deny an administrative tool.
 */
@Component(property = Connector.ID + "=extra")
public final class ExtraTools implements Connector {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String version;
  private final List<ToolSpec> tools;

  @Activate
  public ExtraTools(BundleContext context) throws IOException {
    this.version = context.getBundle().getVersion().toString();
    this.tools =
        List.of(
            new ToolSpec(
                "extra_ping",
                "Extra ping",
                "Answers pong with the serving bundle's version.",
                JSON.readTree(
                    "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"),
                null,
                ToolSpec.READ,
                0,
                OutputFirewall.allowAll()),
            new ToolSpec(
                "extra_wipe",
                "Extra wipe",
                "An administrative tool; the default policy never lets it run.",
                JSON.readTree(
                    "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"),
                null,
                ToolSpec.ADMIN,
                0,
                OutputFirewall.allowAll()));
  }

  @Override
  public List<ToolSpec> tools() {
    return tools;
  }

  @Override
  public ToolResult execute(ToolInvocation invocation) {
    ObjectNode out = JSON.createObjectNode();
    if (!"extra_ping".equals(invocation.toolId())) {
      out.put("wiped", true); // never reached under the default policy
      return ToolResult.of(out, "local:extra");
    }
    out.put("pong", true);
    out.put("version", version);
    return ToolResult.of(out, "local:extra");
  }
}
