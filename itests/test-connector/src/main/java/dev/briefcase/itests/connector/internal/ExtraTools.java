package dev.briefcase.itests.connector.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * A second connector for the hot-swap and deployment tests: {@code extra_ping} (read) answers with
 * the version of the bundle serving it; {@code extra_wipe} (admin) exists so tests can see the
 * default policy deny an administrative tool; {@code extra_slow} (read) answers after a delay and
 * fails if its component was deactivated before or during the call (the drain tests); {@code
 * extra_paid} (read, estimated {@link #PAID_COST_MICROUSD} µUSD) answers after a delay, so the
 * budget tests can race it and hold its reservation while they kill the runtime.
 */
@Component(property = Connector.ID + "=extra")
public final class ExtraTools implements Connector {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The estimated cost of {@code extra_paid}: 0.001 USD. */
  public static final long PAID_COST_MICROUSD = 1000;

  private final String version;
  private final List<ToolSpec> tools;
  private volatile boolean active = true;

  @Activate
  public ExtraTools(BundleContext context) throws IOException {
    this.version = context.getBundle().getVersion().toString();
    this.tools =
        List.of(
            new ToolSpec(
                "extra_ping",
                "Extra ping",
                "Answers pong with the serving bundle's version.",
                schema("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"),
                null,
                ToolSpec.READ,
                0,
                OutputFirewall.allowAll()),
            new ToolSpec(
                "extra_wipe",
                "Extra wipe",
                "An administrative tool; the default policy never lets it run.",
                schema("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"),
                null,
                ToolSpec.ADMIN,
                0,
                OutputFirewall.allowAll()),
            new ToolSpec(
                "extra_slow",
                "Extra slow",
                "Answers after ms milliseconds; reports whether it was deactivated meanwhile.",
                schema(
                    "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":\"integer\","
                        + "\"minimum\":0,\"maximum\":10000}},\"required\":[\"ms\"],"
                        + "\"additionalProperties\":false}"),
                null,
                ToolSpec.READ,
                0,
                OutputFirewall.allowAll()),
            new ToolSpec(
                "extra_paid",
                "Extra paid",
                "A costed call that answers after ms milliseconds.",
                schema(
                    "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":\"integer\","
                        + "\"minimum\":0,\"maximum\":120000}},\"required\":[\"ms\"],"
                        + "\"additionalProperties\":false}"),
                null,
                ToolSpec.READ,
                PAID_COST_MICROUSD,
                OutputFirewall.allowAll()));
  }

  /** The kernel must never hand a call to a deactivated component, nor stop one under a call. */
  @Deactivate
  void deactivate() {
    active = false;
  }

  @Override
  public List<ToolSpec> tools() {
    return tools;
  }

  @Override
  public ToolResult execute(ToolInvocation invocation) throws ToolException {
    if (!active) {
      throw new ToolException(
          ToolException.CALLED_AFTER_DEACTIVATION, "extra connector is deactivated");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    if ("extra_paid".equals(invocation.toolId())) {
      try {
        Thread.sleep(((Number) invocation.args().get("ms")).longValue());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ToolException(ToolException.INTERRUPTED, "extra_paid was interrupted");
      }
      out.put("paid", true);
      return ToolResult.of(out, "local:extra");
    }
    if ("extra_slow".equals(invocation.toolId())) {
      try {
        Thread.sleep(((Number) invocation.args().get("ms")).longValue());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (!active) {
        throw new ToolException(
            ToolException.DEACTIVATED_DURING_CALL, "extra connector stopped under a call");
      }
      out.put("slept", true);
      out.put("version", version);
      return ToolResult.of(out, "local:extra");
    }
    if (!"extra_ping".equals(invocation.toolId())) {
      out.put("wiped", true); // never reached under the default policy
      return ToolResult.of(out, "local:extra");
    }
    out.put("pong", true);
    out.put("version", version);
    return ToolResult.of(out, "local:extra");
  }

  /** A JSON Schema from its text, as the plain JSON tree the SPI carries. */
  private static Map<String, Object> schema(String json) throws IOException {
    return JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
  }
}
