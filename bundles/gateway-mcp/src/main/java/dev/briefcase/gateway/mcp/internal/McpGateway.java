package dev.briefcase.gateway.mcp.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import dev.briefcase.edge.ListenerUrlFile;
import dev.briefcase.edge.LoopbackAuthority;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.tools.ApprovalWatch;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolCatalogListener;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent-facing MCP server (SPEC §10) as a servlet on the HTTP whiteboard at {@code /mcp}. It
 * uses only the gateway API: {@link ToolCallService} to list and call tools, {@link ApprovalWatch}
 * to hold a call open while a human decides, and it is a {@link ToolCatalogListener} so that open
 * GET streams learn about tool changes. The kernel services are optional and dynamic: without them
 * requests answer {@code -32603 Briefcase kernel unavailable}.
 *
 * <p>Once the servlet is live in an HTTP runtime, the URL is written to {@code <data_dir>/mcp.url}
 * (mode 0600) and removed again when it stops. The listener itself is Felix HTTP, configured
 * through the {@code org.apache.felix.http} PID in {@code features/core.json}.
 */
@Component(
    service = {Servlet.class, ToolCatalogListener.class},
    immediate = true,
    configurationPid = McpGateway.PID,
    property = "osgi.http.whiteboard.target=" + McpGateway.AGENT_LISTENER)
@Designate(ocd = McpGateway.Config.class)
@HttpWhiteboardServletName("briefcase-mcp")
@HttpWhiteboardServletPattern("/mcp")
@HttpWhiteboardServletAsyncSupported
public final class McpGateway extends HttpServlet implements ToolCatalogListener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(McpGateway.class);

  /** The configuration PID. */
  public static final String PID = "dev.briefcase.gateway.mcp";

  /**
   * The HTTP runtime the gateway binds to: only the agent listener ({@code
   * org.apache.felix.http.name=briefcase-mcp}, features/core.json), never the operator console's
   * ({@code briefcase-console}, features/console.json) or the reference provider's ({@code
   * briefcase-provider}, features/provider.json), so the agent endpoint shares a port with neither.
   */
  public static final String AGENT_LISTENER = "(org.apache.felix.http.name=briefcase-mcp)";

  /** Framework property (from {@code BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS}) that overrides. */
  static final String WAIT_OVERRIDE = "briefcase.mcp.approval.wait.seconds";

  /**
   * Framework property (from {@code BRIEFCASE_MCP_ALLOW_NO_TOKEN=1}, set by the launcher only): the
   * development setting that serves loopback requests without the bearer token. Ignored, with an
   * error, in {@code ga} (the launcher refuses to start with it there).
   */
  static final String ALLOW_NO_TOKEN = "briefcase.mcp.allow.no.token";

  /** Framework property (from {@code BRIEFCASE_MCP_ALLOWED_ORIGINS}): more allowed origins. */
  static final String ALLOWED_ORIGINS = "briefcase.mcp.allowed.origins";

  /** Configuration of the MCP gateway. */
  @ObjectClassDefinition(
      name = "Briefcase MCP gateway",
      description =
          "The agent-facing MCP server on /mcp (the port is set on org.apache.felix.http).")
  public @interface Config {
    @AttributeDefinition(
        name = "Approval wait (seconds)",
        description =
            "How long a tools/call that needs approval is held open waiting for a human; 0 answers"
                + " at once. The framework property briefcase.mcp.approval.wait.seconds"
                + " (BRIEFCASE_MCP_APPROVAL_WAIT_SECONDS) overrides it.",
        min = "0",
        max = "600")
    int approval_wait_seconds() default 25;

    @AttributeDefinition(
        name = "Session idle time (minutes)",
        description = "A session without requests for this long is ended.",
        min = "1")
    int session_idle_minutes() default 30;

    @AttributeDefinition(
        name = "Maximum sessions",
        description = "initialize answers 503 while this many sessions are open.",
        min = "1")
    int max_sessions() default 1000;

    @AttributeDefinition(
        name = "Allowed origins",
        description =
            "Browser origins accepted, e.g. https://app.example.com (exact scheme, host and port)."
                + " A request without Origin (MCP SDK clients) is always accepted; any other Origin,"
                + " loopback ones included, is refused with 403. The framework property"
                + " briefcase.mcp.allowed.origins (BRIEFCASE_MCP_ALLOWED_ORIGINS, comma-separated)"
                + " adds to this list.")
    String[] allowed_origins() default {};

    @AttributeDefinition(
        name = "Public host name",
        description =
            "A host name accepted in the Host header besides loopback names, for a listener"
                + " reachable beyond loopback. Empty accepts only loopback names and the address"
                + " the connection arrived on.")
    String public_host() default "";
  }

  private final transient McpEndpoint endpoint;
  private final transient ListenerUrlFile urlFile;
  private transient volatile ToolCallService tools;
  private transient volatile ApprovalWatch watch;
  private transient volatile ServiceReference<HttpServiceRuntime> runtime;
  private transient volatile boolean live;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  void bindTools(ToolCallService s) {
    tools = s;
  }

  void unbindTools(ToolCallService s) {
    if (tools == s) {
      tools = null;
    }
  }

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  void bindWatch(ApprovalWatch s) {
    watch = s;
  }

  void unbindWatch(ApprovalWatch s) {
    if (watch == s) {
      watch = null;
    }
  }

  @Reference(
      service = HttpServiceRuntime.class,
      cardinality = OPTIONAL,
      policy = DYNAMIC,
      policyOption = GREEDY,
      target = AGENT_LISTENER,
      updated = "updatedRuntime")
  void bindRuntime(ServiceReference<HttpServiceRuntime> ref) {
    runtime = ref;
    publishUrl();
  }

  void updatedRuntime(ServiceReference<HttpServiceRuntime> ref) {
    if (runtime == ref) {
      publishUrl();
    }
  }

  void unbindRuntime(ServiceReference<HttpServiceRuntime> ref) {
    if (runtime == ref) {
      runtime = null;
      withdrawUrl();
    }
  }

  /** Reads the configuration and starts the timers; the servlet is live once the runtime has it. */
  @Activate
  public McpGateway(BundleContext context, Config config) throws IOException {
    String dataDir = context.getProperty("briefcase.data.dir");
    Path dir = dataDir == null || dataDir.isBlank() ? null : Path.of(dataDir);
    if (dir != null) {
      Files.createDirectories(dir);
    } else {
      LOG.warn("briefcase.data.dir is not set: no mcp.url and no bearer token file");
    }
    String mode = context.getProperty(ProfileMode.PROPERTY);
    if (mode == null || mode.isBlank()) {
      mode = "reference";
    }
    int waitSeconds =
        waitSeconds(config.approval_wait_seconds(), context.getProperty(WAIT_OVERRIDE));
    boolean requireToken = requireToken(mode, context.getProperty(ALLOW_NO_TOKEN));
    List<String> origins = new ArrayList<>(List.of(config.allowed_origins()));
    String extraOrigins = context.getProperty(ALLOWED_ORIGINS);
    if (extraOrigins != null) {
      origins.addAll(List.of(extraOrigins.split(",")));
    }
    Settings settings =
        new Settings(
            mode,
            context.getBundle().getVersion().toString(),
            waitSeconds * 1000L,
            5_000,
            15_000,
            Math.max(1, config.session_idle_minutes()) * 60_000L,
            60_000,
            Math.max(1, config.max_sessions()),
            256,
            requireToken,
            origins,
            config.public_host(),
            dir == null ? null : dir.resolve("mcp_token"));
    this.urlFile = new ListenerUrlFile(dir == null ? null : dir.resolve("mcp.url"));
    this.endpoint = new McpEndpoint(settings, () -> tools, () -> watch);
    endpoint.start();
    LOG.info(
        "MCP gateway active (profile {}, approval wait {} s, token {})",
        mode,
        waitSeconds,
        requireToken
            ? "required"
            : "NOT required on loopback (development setting " + ALLOW_NO_TOKEN + ")");
  }

  /**
   * Whether the token is required on loopback too: yes, unless the development setting is on
   * outside {@code ga}.
   */
  static boolean requireToken(String mode, String allowNoToken) {
    boolean allow =
        allowNoToken != null
            && (allowNoToken.strip().equals("1") || allowNoToken.strip().equalsIgnoreCase("true"));
    if (!allow) {
      return true;
    }
    if (ProfileMode.isStrict(mode)) {
      LOG.error(
          "mcp_token_required: {} is a development setting and is ignored in the ga profile;"
              + " the bearer token stays required",
          ALLOW_NO_TOKEN);
      return true;
    }
    return false;
  }

  static int waitSeconds(int configured, String override) {
    if (override == null || override.isBlank()) {
      return Math.max(0, configured);
    }
    try {
      return Math.max(0, Math.min(600, Integer.parseInt(override.trim())));
    } catch (NumberFormatException e) {
      LOG.warn("ignoring {}={}: not an integer", WAIT_OVERRIDE, override);
      return Math.max(0, configured);
    }
  }

  @Deactivate
  void deactivate() {
    live = false;
    endpoint.close();
    withdrawUrl();
    LOG.info("MCP gateway stopped");
  }

  @Override
  public void init(ServletConfig config) throws ServletException {
    super.init(config);
    live = true;
    publishUrl();
  }

  @Override
  public void destroy() {
    live = false;
    withdrawUrl();
    super.destroy();
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    try {
      endpoint.handle(new ServletExchange(req, resp));
    } catch (RuntimeException e) {
      LOG.error("MCP request failed", e);
      if (!resp.isCommitted()) {
        resp.reset();
        resp.setStatus(500);
        resp.setContentType(JsonRpc.JSON_TYPE);
        resp.getWriter()
            .write(
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                    + "\"message\":\"Internal error\"}}");
      }
    }
  }

  @Override
  public void toolsChanged() {
    endpoint.toolsChanged();
  }

  /**
   * Writes {@code mcp.url} (the URL of {@code /mcp}) once the servlet is live and the runtime says
   * where it listens; an endpoint beyond loopback makes the guard require the token from now on.
   */
  private synchronized void publishUrl() {
    ServiceReference<HttpServiceRuntime> ref = runtime;
    if (!live || ref == null) {
      return;
    }
    List<String> endpoints =
        ListenerUrlFile.endpoints(
            ref.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT));
    if (endpoints.isEmpty()) {
      LOG.warn("the HTTP runtime reports no endpoint; mcp.url not written");
      return;
    }
    try {
      for (String e : endpoints) {
        String host = URI.create(e).getHost();
        if (host != null
            && !LoopbackAuthority.isLoopbackName(host.replace("[", "").replace("]", ""))) {
          endpoint.guard().markExposed();
        }
      }
      String url = ListenerUrlFile.resolve(ListenerUrlFile.preferred(endpoints), "/mcp");
      if (urlFile.publish(url)) {
        LOG.info("MCP gateway serving at {}", url);
      }
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("could not publish the MCP URL: {}", e.toString());
    }
  }

  private synchronized void withdrawUrl() {
    try {
      urlFile.withdraw();
    } catch (IOException e) {
      LOG.warn("could not remove {}", urlFile.file());
    }
  }
}
