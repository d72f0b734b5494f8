package dev.briefcase.connector.provider.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.connector.ApprovalRequiredException;
import dev.briefcase.connector.Connector;
import dev.briefcase.connector.ToolException;
import dev.briefcase.connector.ToolInvocation;
import dev.briefcase.connector.ToolResult;
import dev.briefcase.credentials.CallCredential;
import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.OutputFirewall;
import dev.briefcase.tools.ToolManifest;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider tool {@code quote} of one registered provider: {@code GET {base}/api/quote?symbol=}
 * through egress with the call's {@code capability} credential. One factory configuration per
 * provider. The base URL is read from the provider registry for each call, so the tool follows the
 * registry. Thread-safe; after deactivation calls fail with {@code backend_unavailable}.
 */
@Component(
    service = Connector.class,
    configurationPid = QuoteConnector.PID,
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = QuoteConnector.Config.class, factory = true)
public final class QuoteConnector implements Connector {
  static final String PID = "dev.briefcase.connector.provider";

  /** Logged when {@code connector_id}, {@code provider_id} or {@code tool_prefix} is malformed. */
  static final String CONFIG_INVALID = "provider_connector_config_invalid";

  /** The symbol is not {@code [A-Z]{1,10}}. */
  static final String INVALID_SYMBOL = "invalid_symbol";

  /** The provider answered the quote with a status other than 200 after the credential's tries. */
  static final String PROVIDER_ERROR = "provider_error";

  /** The path of the quote route on the provider. */
  static final String QUOTE_PATH = "/api/quote";

  /** Sends per call at most: the first, and a retry after each of two allowed refusals. */
  static final int MAX_SENDS = 3;

  private static final Logger LOG = LoggerFactory.getLogger(QuoteConnector.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REDACTED = "[REDACTED:credential]";

  /** One provider's tool. No secrets here: the provider is named, its capability never given. */
  @ObjectClassDefinition(
      name = "Briefcase provider connector",
      description = "The provider tool quote of one registered provider (SPEC §8.2).")
  public @interface Config {
    @AttributeDefinition(
        name = "Connector id",
        description = "Published as the connector.id service property; [A-Za-z0-9_.-]{1,64}.")
    String connector_id();

    @AttributeDefinition(
        name = "Provider id",
        description = "A provider of the registry (briefcase providers add); the capability's.")
    String provider_id() default "demo";

    @AttributeDefinition(
        name = "Tool prefix",
        description =
            "Put before the tool id (e.g. demo_ gives demo_quote), so tools of several providers"
                + " do not clash; [a-z0-9_]{0,32}.")
    String tool_prefix() default "";

    @AttributeDefinition(
        name = "Price",
        description = "Estimated cost of one quote in micro-USD, for budgets.")
    long cost_micro_usd() default 0;
  }

  private final String connectorId;
  private final String providerId;
  private final String toolId;
  private final ToolSpec spec;
  private final CredentialService registry;
  private final EgressClient egress;
  private final boolean loopbackAllowed;
  private volatile boolean closed;

  @Activate
  public QuoteConnector(
      BundleContext context,
      @Reference CredentialService registry,
      @Reference EgressClient egress,
      Config config) {
    this(
        registry, egress, config, !ProfileMode.isStrict(context.getProperty(ProfileMode.PROPERTY)));
  }

  QuoteConnector(
      CredentialService registry, EgressClient egress, Config config, boolean loopbackAllowed) {
    String id = config.connector_id();
    String provider = config.provider_id();
    String prefix = config.tool_prefix() == null ? "" : config.tool_prefix();
    if (id == null
        || !id.matches("[A-Za-z0-9_.-]{1,64}")
        || provider == null
        || !provider.matches("[A-Za-z0-9._-]{1,64}")
        || !prefix.matches("[a-z0-9_]{0,32}")
        || config.cost_micro_usd() < 0) {
      LOG.error(
          "{}: a provider connector needs connector_id, provider_id, tool_prefix", CONFIG_INVALID);
      throw new IllegalArgumentException(CONFIG_INVALID);
    }
    this.connectorId = id;
    this.providerId = provider;
    this.toolId = prefix + "quote";
    this.registry = registry;
    this.egress = egress;
    this.loopbackAllowed = loopbackAllowed;
    this.spec =
        new ToolSpec(
            toolId,
            "Quote from " + provider,
            "A price quote for a ticker symbol from provider " + provider + ".",
            inputSchema(),
            null,
            ToolSpec.READ,
            config.cost_micro_usd(),
            OutputFirewall.allowAll(),
            new CredentialNeed(CredentialNeed.CAPABILITY, provider));
    LOG.info("provider connector {} offers {} of provider {}", id, toolId, provider);
  }

  static Map<String, Object> inputSchema() {
    Map<String, Object> symbol = new LinkedHashMap<>();
    symbol.put("type", "string");
    symbol.put("pattern", "^[A-Z]{1,10}$");
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", Map.of("symbol", symbol));
    schema.put("required", List.of("symbol"));
    schema.put("additionalProperties", false);
    return schema;
  }

  @Override
  public List<ToolSpec> tools() {
    return List.of(spec);
  }

  /**
   * Runs the quote with the call's approval visible to the capability strategy: a VC whose status
   * is unknown (SPEC §8.4, {@code require_approval} mode) asks for a local approval of exactly this
   * call; the approved retry then mints with the VC.
   */
  @Override
  public ToolResult execute(ToolInvocation invocation) throws ToolException {
    boolean approved = invocation.approved();
    try {
      return ApprovedCall.run(invocation, () -> quote(invocation));
    } catch (CapabilityStrategy.StatusUnknownApproval e) {
      if (approved) {
        // approved for another reason before the status turned unknown: ask again next call
        throw new CredentialException(
            CapabilityStrategy.VC_STATUS_UNKNOWN,
            "the VC status of provider " + e.providerId + " is unknown");
      }
      throw new ApprovalRequiredException(
          "vc_status_unknown: the entitlement status of provider "
              + e.providerId
              + " cannot be checked; approve to use the VC anyway");
    }
  }

  private ToolResult quote(ToolInvocation invocation) throws ToolException {
    if (closed) {
      throw ToolException.unavailable("provider connector " + connectorId + " is stopped");
    }
    if (!toolId.equals(invocation.toolId())) {
      throw new ToolException(
          ToolException.UNKNOWN_TOOL, ToolException.UNKNOWN_TOOL + ": not offered here");
    }
    Object symbol = invocation.args().get("symbol");
    if (!(symbol instanceof String s) || !s.matches("[A-Z]{1,10}")) {
      throw new ToolException(INVALID_SYMBOL, INVALID_SYMBOL + ": a symbol is 1 to 10 of A-Z");
    }
    CallCredential credential = invocation.credential();
    if (credential == null) {
      throw new ToolException(
          ToolException.TOOL_FAILED, "tool_failed: the call carries no capability credential");
    }
    URI base = URI.create(registry.status(providerId).provider().baseUrl());
    URI target = URI.create(base + QUOTE_PATH + "?symbol=" + s);
    EgressPolicy policy = policy(invocation.manifest(), base);
    Set<String> issued = new LinkedHashSet<>();
    for (int send = 1; ; send++) {
      EgressResponse response = send(target, credential, policy, issued);
      LOG.debug("quote of provider {} -> {}", providerId, response.status());
      int status = response.status();
      Rejection rejection = rejection(response);
      boolean revoked = status == 403 && "capability_revoked".equals(rejection.errorDetail());
      if (status == 401 || status == 429 || revoked) {
        // throws the credential's code when no retry is left; returns when one more may succeed
        credential.rejected("GET", target, rejection);
        if (send >= MAX_SENDS) {
          throw new CredentialException(
              CredentialException.CREDENTIAL_REJECTED,
              "the provider refused the capability after " + MAX_SENDS + " tries");
        }
        continue;
      }
      if (status == 403) {
        credential.rejected("GET", target, rejection); // insufficient_scope, credential_rejected
      }
      if (status != 200) {
        throw new ToolException(
            PROVIDER_ERROR,
            PROVIDER_ERROR + ": provider " + providerId + " answered HTTP " + status);
      }
      return new ToolResult(body(response, issued), "provider:" + connectorId, null);
    }
  }

  /**
   * The manifest's hosts and paths, narrowed to the provider's host and the quote route: the tool
   * reaches nothing else even under a wide manifest, and nothing at all under a deny-all one.
   */
  private EgressPolicy policy(ToolManifest manifest, URI base) {
    String host = base.getHost().toLowerCase(Locale.ROOT);
    EgressPolicy declared =
        EgressPolicy.of(lowerCase(manifest.allowedHosts()), manifest.allowedHttpPathPrefixes());
    boolean allowed = declared.allowsHost(host) && declared.allowsPath(QUOTE_PATH);
    return EgressPolicy.of(allowed ? Set.of(host) : Set.of(), List.of(QUOTE_PATH))
        .withDevLoopback(loopbackAllowed && ProviderUrls.loopback(host))
        .withMaxResponseBytes(Math.min(64 * 1024, manifest.maxOutputBytes()));
  }

  private EgressResponse send(
      URI target, CallCredential credential, EgressPolicy policy, Set<String> issued)
      throws ToolException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Accept", "application/json");
    RequestCredential granted = credential.authorize("GET", target);
    for (Map.Entry<String, Sensitive<String>> h : granted.headers().entrySet()) {
      String value = h.getValue().reveal();
      headers.put(h.getKey(), value);
      issued.add(value);
      int space = value.indexOf(' ');
      if (space > 0) {
        issued.add(value.substring(space + 1)); // the token after its scheme
      }
    }
    try {
      return egress.send(new EgressRequest("GET", target.toString(), headers, null), policy);
    } catch (EgressException e) {
      // egress messages never carry header values, bodies or query strings
      throw new ToolException(e.code(), e.code() + ": " + e.getMessage());
    }
  }

  private static Rejection rejection(EgressResponse response) {
    List<String> challenges = response.headers().get("www-authenticate");
    return new Rejection(
        response.status(),
        challenges == null ? null : String.join(", ", challenges),
        response.header("dpop-nonce"),
        response.header("x-briefcase-error"));
  }

  /**
   * The answer as a JSON object (else {@code {text}}), with every credential value this call sent
   * cut out: a provider that echoes the capability or a proof must not hand it to the agent (the
   * kernel cuts them too; this is the connector's own line).
   */
  private static Object body(EgressResponse response, Set<String> issued) {
    String text = response.bodyText();
    List<String> values = new java.util.ArrayList<>(issued);
    values.sort((a, b) -> Integer.compare(b.length(), a.length()));
    for (String v : values) {
      if (v.length() >= 8) {
        text = text.replace(v, REDACTED);
      }
    }
    try {
      Object parsed = JSON.readValue(text, Object.class);
      if (parsed instanceof Map<?, ?>) {
        return parsed;
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: handed on as text
    }
    return Map.of("text", text);
  }

  private static Set<String> lowerCase(List<String> hosts) {
    Set<String> out = new LinkedHashSet<>();
    for (String h : hosts) {
      out.add(h.toLowerCase(Locale.ROOT));
    }
    return out;
  }

  @Deactivate
  void deactivate() {
    closed = true;
    LOG.info("provider connector {} stopped", connectorId);
  }
}
