package dev.briefcase.connector.http.internal;

import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.payment.PaymentService;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.tools.ToolSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connector whose tools call an HTTP API, described in a tool file (optionally importing
 * operations of an OpenAPI document). One factory configuration per file; {@code connector_id} is
 * published as {@code connector.id}. The file is read once at activation: a file with any problem
 * is logged as one line with its code and the connector offers no tool at all. Calls go only
 * through the {@link EgressClient}, under the invocation's manifest, with the headers of the call's
 * credential. Thread-safe; after deactivation calls fail with {@code backend_unavailable}.
 */
@Component(
    service = Connector.class,
    configurationPid = HttpConnector.PID,
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = HttpConnector.Config.class, factory = true)
public final class HttpConnector implements Connector {
  static final String PID = "dev.briefcase.connector.http";

  /** Logged when {@code connector_id} is missing or malformed; no service is registered. */
  static final String CONNECTOR_ID_INVALID = "connector_id_invalid";

  private static final Logger LOG = LoggerFactory.getLogger(HttpConnector.class);

  /** One tool description file. No secrets here: credentials are named, never given. */
  @ObjectClassDefinition(
      name = "Briefcase HTTP connector",
      description = "Tools that call an HTTP API, described in a JSON tool file.")
  public @interface Config {
    @AttributeDefinition(
        name = "Connector id",
        description = "Published as the connector.id service property; [A-Za-z0-9_.-]{1,64}.")
    String connector_id();

    @AttributeDefinition(
        name = "Tool file",
        description = "Absolute path of the JSON tool description file (see the bundle README).")
    String tools_file() default "";

    @AttributeDefinition(
        name = "Dev loopback",
        description =
            "Development only: allow http:// base URLs and calls to loopback hosts, as the"
                + " sandbox's dev_loopback. Refused (stays off) in the ga profile.")
    boolean dev_loopback() default false;
  }

  private final String connectorId;
  private final Map<String, HttpTool> tools;
  private final List<ToolSpec> specs;
  private final HttpCall call;
  private volatile boolean closed;
  // read once per call; a payment service that leaves mid-call finishes that call
  private volatile PaymentService payments;

  @Activate
  public HttpConnector(BundleContext context, @Reference EgressClient egress, Config config) {
    this(egress, config, context.getProperty(ProfileMode.PROPERTY));
  }

  HttpConnector(EgressClient egress, Config config, String profileMode) {
    String id = config.connector_id();
    if (id == null || !id.matches("[A-Za-z0-9_.-]{1,64}")) {
      LOG.error("{}: an http connector configuration needs a connector_id", CONNECTOR_ID_INVALID);
      throw new IllegalArgumentException(CONNECTOR_ID_INVALID);
    }
    this.connectorId = id;
    boolean devLoopback = loopbackDevMode(config.dev_loopback(), profileMode, id);
    Map<String, HttpTool> loaded = new LinkedHashMap<>();
    try {
      for (HttpTool tool : ToolsFile.load(config.tools_file(), devLoopback)) {
        loaded.put(tool.spec().id(), tool);
      }
      LOG.info("http connector {} offers {} tools", id, loaded.size());
    } catch (ToolsFileException e) {
      loaded.clear(); // never half a file
      LOG.warn("http connector {} offers no tools: {}", id, e.getMessage());
    }
    this.tools = Map.copyOf(loaded);
    this.specs = loaded.values().stream().map(HttpTool::spec).toList();
    this.call = new HttpCall(egress, devLoopback, id);
  }

  /**
   * Whether calls may use http and loopback hosts: only when asked for, and never in the strict
   * profile (however its name is spelled), where the request is refused and logged, as the
   * sandbox's. A file with an http base URL then offers no tools ({@code base_url_invalid}).
   */
  static boolean loopbackDevMode(boolean requested, String profileMode, String connectorId) {
    if (requested && ProfileMode.isStrict(profileMode)) {
      LOG.warn(
          "http connector {}: dev_loopback is refused in the strict (ga) profile; it stays off",
          connectorId);
      return false;
    }
    return requested;
  }

  @Override
  public List<ToolSpec> tools() {
    return specs;
  }

  @Override
  public ToolResult execute(ToolInvocation invocation) throws ToolException {
    if (closed) {
      throw ToolException.unavailable("http connector " + connectorId + " is stopped");
    }
    HttpTool tool = tools.get(invocation.toolId());
    if (tool == null) {
      throw new ToolException(
          ToolException.UNKNOWN_TOOL, ToolException.UNKNOWN_TOOL + ": not offered here");
    }
    return call.run(tool, invocation, payments);
  }

  /** The kernel's payment step, when present: a 402 then pays and retries once. */
  @Reference(
      cardinality = ReferenceCardinality.OPTIONAL,
      policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY)
  void bindPayments(PaymentService service) {
    payments = service;
  }

  void unbindPayments(PaymentService service) {
    if (payments == service) {
      payments = null;
    }
  }

  @Deactivate
  void deactivate() {
    closed = true;
    LOG.info("http connector {} stopped", connectorId);
  }
}
