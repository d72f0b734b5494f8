package dev.briefcase.admin.api.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import dev.briefcase.approvals.ApprovalService;
import dev.briefcase.budgets.BudgetService;
import dev.briefcase.credentials.CredentialRevoker;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.EntitlementService;
import dev.briefcase.edge.OwnerOnlyFile;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.manifests.ManifestService;
import dev.briefcase.payment.PaymentHistory;
import dev.briefcase.plugins.PluginService;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.profile.ProfileMode;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.ToolCallService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API of SPEC §18 on its own loopback listener ({@link AdminListener}): the DS shell that
 * holds the kernel services, the token and {@code admin.url}. Every {@code /v1} route needs the
 * bearer token from {@code <data_dir>/auth_token}; {@code /health}, {@code /ready} and {@code
 * /openapi.json} are open ({@link Router}). Kernel services are looked up per request, so a missing
 * one answers 503 {@code backend_unavailable} and shows in {@code /ready}, never a hang.
 */
@Component(configurationPid = AdminApi.PID, immediate = true)
@Designate(ocd = AdminApi.Config.class)
public final class AdminApi {
  /** The configuration PID, named after the bundle (the features configure it). */
  static final String PID = "dev.briefcase.admin.api";

  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);

  /**
   * Open approval streams at most. Streams run on their own pool of this many threads, well below
   * the request threads, so open streams never take the threads that serve {@code /health}, approve
   * and deny.
   */
  static final int MAX_STREAMS = 8;

  @ObjectClassDefinition(name = "Briefcase admin API", description = "The operator API listener.")
  public @interface Config {
    @AttributeDefinition(
        name = "Bind address",
        description =
            "host:port to listen on; loopback only. Port 0 picks a free port, written to"
                + " <data_dir>/admin.url.")
    String bind() default "127.0.0.1:0";

    @AttributeDefinition(name = "Request threads", description = "Threads serving requests.")
    int threads() default 16;
  }

  private final Sensitive<byte[]> token;
  private final Path urlFile;
  private final SseStreams streams;
  private final AdminListener listener;

  // Kernel services are optional, dynamic and greedy: a missing one answers 503 and shows in /ready
  // instead of taking the whole listener down, and a replacement is picked up for the next request.
  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile ToolCallService tools;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile ApprovalService approvals;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile BudgetService budgets;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile ReceiptLog receipts;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile PolicyEngine policy;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile PluginService plugins;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile EgressClient egress;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile ManifestService manifests;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile KeyDirectory keys;

  // Held as service objects, not the service, so the secret store (whose key derivation is slow
  // on purpose) is activated on its first use rather than on the kernel's start-up path.
  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile ComponentServiceObjects<SecretStore> secrets;

  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile ComponentServiceObjects<CredentialService> credentials;

  // VC entitlements (SPEC §8.4), registered by the provider connector when it runs
  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile EntitlementService entitlements;

  // what the kernel paid (SPEC §14.5)
  @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY)
  private volatile PaymentHistory payments;

  // revocation kinds beyond oauth (SPEC §15): service → its properties, looked up per request
  private final Map<CredentialRevoker, Map<String, Object>> revokers = new ConcurrentHashMap<>();

  @Reference(
      service = CredentialRevoker.class,
      cardinality = ReferenceCardinality.MULTIPLE,
      policy = DYNAMIC,
      unbind = "unbindRevoker")
  void bindRevoker(CredentialRevoker revoker, Map<String, Object> properties) {
    revokers.put(revoker, Map.copyOf(properties));
  }

  void unbindRevoker(CredentialRevoker revoker) {
    revokers.remove(revoker);
  }

  /** The revoker of a kind; the higher {@code service.ranking} wins a duplicate kind. */
  Optional<CredentialRevoker> revoker(String kind) {
    return revokers.entrySet().stream()
        .filter(e -> kind.equals(e.getValue().get(CredentialRevoker.KIND)))
        .max(
            Comparator.comparingInt(
                e -> e.getValue().get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0))
        .map(Map.Entry::getKey);
  }

  @Activate
  public AdminApi(BundleContext context, Config config) throws IOException {
    boolean devLoopback = !ProfileMode.isStrict(context.getProperty(ProfileMode.PROPERTY));
    String dataDir = context.getProperty("briefcase.data.dir");
    if (dataDir == null || dataDir.isBlank()) {
      throw new IllegalStateException("briefcase.data.dir is not set; the admin API cannot start");
    }
    Path dir = Path.of(dataDir);
    Files.createDirectories(dir);
    InetSocketAddress bind = parseBind(config.bind());
    if (!bind.getAddress().isLoopbackAddress()) {
      throw new IllegalStateException("admin API bind address must be loopback: " + config.bind());
    }
    this.token = TokenFile.loadOrCreate(dir.resolve("auth_token"));
    this.urlFile = dir.resolve("admin.url");
    Backends backends =
        new Backends(
            () -> tools,
            () -> approvals,
            () -> budgets,
            () -> receipts,
            () -> policy,
            () -> plugins,
            () -> egress,
            () -> manifests,
            () -> keys,
            () -> secrets,
            () -> credentials);
    this.streams = new SseStreams(MAX_STREAMS);
    OpenRoutes open = new OpenRoutes(backends);
    ProvidersResource providers =
        new ProvidersResource(backends, () -> entitlements, () -> List.copyOf(revokers.keySet()));
    Map<String, Router.Resource> families =
        Map.ofEntries(
            Map.entry("tools", new ToolsResource(backends, new ManifestsResource(backends))),
            Map.entry("approvals", new ApprovalsResource(backends, streams)),
            Map.entry("receipts", new ReceiptsResource(backends)),
            Map.entry("budgets", new BudgetsResource(backends)),
            Map.entry("secrets", new SecretsResource(backends)),
            Map.entry("plugins", new PluginsResource(backends, devLoopback)),
            Map.entry("keys", new KeysResource(backends)),
            Map.entry("diagnostics", new DiagnosticsResource(backends)),
            Map.entry("policy", new PolicyResource(backends)),
            Map.entry("providers", providers),
            Map.entry("payments", new PaymentsResource(() -> payments)),
            Map.entry("revocations", new RevocationsResource(providers, this::revoker)));
    try {
      this.listener =
          new AdminListener(
              bind,
              config.threads(),
              (deadlines, bodyMillis, port) ->
                  new Router(token, open, families, streams, deadlines, bodyMillis, port));
    } catch (IOException e) {
      streams.closeAll();
      token.wipe();
      throw e;
    }
    String host = bind.getAddress().getHostAddress();
    String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + listener.port();
    OwnerOnlyFile.writeAtomically(urlFile, url);
    LOG.info("admin API listening on {}", url);
  }

  @Deactivate
  void deactivate() {
    streams.closeAll();
    listener.stop();
    try {
      Files.deleteIfExists(urlFile);
    } catch (IOException e) {
      LOG.warn("could not remove {}", urlFile);
    }
    token.wipe();
    LOG.info("admin API stopped");
  }

  private static InetSocketAddress parseBind(String bind) {
    int colon = bind.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("bind must be host:port: " + bind);
    }
    String host = bind.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(bind.substring(colon + 1));
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("unknown bind host: " + host, e);
    }
  }
}
