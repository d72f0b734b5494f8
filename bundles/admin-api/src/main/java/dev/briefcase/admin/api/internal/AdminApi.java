package dev.briefcase.admin.api.internal;

import static org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL;
import static org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC;
import static org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.approvals.ApprovalException;
import dev.briefcase.approvals.ApprovalGrant;
import dev.briefcase.approvals.ApprovalService;
import dev.briefcase.budgets.BudgetService;
import dev.briefcase.edge.IJsonText;
import dev.briefcase.edge.LoopbackAuthority;
import dev.briefcase.edge.OwnerOnlyFile;
import dev.briefcase.egress.EgressClient;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.KeyException;
import dev.briefcase.keys.KeyInfo;
import dev.briefcase.manifests.ManifestCodec;
import dev.briefcase.manifests.ManifestService;
import dev.briefcase.plugins.PluginException;
import dev.briefcase.plugins.PluginService;
import dev.briefcase.policy.ActivePolicy;
import dev.briefcase.policy.PolicyEngine;
import dev.briefcase.policy.PolicyException;
import dev.briefcase.receipts.ReceiptLog;
import dev.briefcase.receipts.VerifyResult;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.signer.KeyAlgorithm;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API of SPEC §18 on its own loopback listener. Every {@code /v1} route needs the bearer
 * token from {@code <data_dir>/auth_token}; {@code /health}, {@code /ready} and {@code
 * /openapi.json} are open. Kernel services are looked up per request, so a missing one answers 503
 * {@code backend_unavailable} and shows in {@code /ready}, never a hang. Bad input is a 400 with a
 * stable code and changes nothing.
 */
@Component(immediate = true)
@Designate(ocd = AdminApi.Config.class)
public final class AdminApi {
  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
  static final int MAX_BODY = 1 << 20;

  /**
   * Open approval streams at most. Streams run on their own pool of this many threads, well below
   * the request workers, so open streams never take the workers that serve {@code /health}, approve
   * and deny.
   */
  static final int MAX_STREAMS = 8;

  /**
   * Seconds a client has to send a whole request (headers and body) before the JDK server closes
   * the connection: a client that sends headers slowly holds a worker at most this long.
   */
  static final int REQUEST_TIMEOUT_SECONDS = 10;

  /**
   * The JDK server's request timeout property (seconds; read once, when its first server starts).
   */
  static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";

  static final int MAX_PLUGIN_BODY = 64 << 20;

  @ObjectClassDefinition(name = "Briefcase admin API", description = "The operator API listener.")
  public @interface Config {
    @AttributeDefinition(
        name = "Bind address",
        description =
            "host:port to listen on; loopback only. Port 0 picks a free port, written to"
                + " <data_dir>/admin.url.")
    String bind() default "127.0.0.1:0";

    @AttributeDefinition(name = "Worker threads", description = "Threads serving requests.")
    int threads() default 16;
  }

  private static final ObjectMapper STRICT =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final HttpServer server;
  private final ExecutorService workers;
  private final Sensitive<byte[]> token;
  private final Path urlFile;
  private final String openApi;
  private final SseStreams streams;
  private final int boundPort;
  private final boolean devLoopback;

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

  @Activate
  public AdminApi(BundleContext context, Config config) throws IOException {
    this.devLoopback = !"ga".equals(context.getProperty("briefcase.profile.mode"));
    String dataDir = context.getProperty("briefcase.data.dir");
    if (dataDir == null || dataDir.isBlank()) {
      throw new IllegalStateException("briefcase.data.dir is not set; the admin API cannot start");
    }
    Path dir = Path.of(dataDir);
    Files.createDirectories(dir);
    this.token = TokenFile.loadOrCreate(dir.resolve("auth_token"));
    this.urlFile = dir.resolve("admin.url");
    this.openApi = loadOpenApi();
    InetSocketAddress bind = parseBind(config.bind());
    if (!bind.getAddress().isLoopbackAddress()) {
      throw new IllegalStateException("admin API bind address must be loopback: " + config.bind());
    }
    requestTimeout();
    this.workers = Executors.newFixedThreadPool(Math.max(2, config.threads()), threads());
    this.streams = new SseStreams(MAX_STREAMS);
    this.server = HttpServer.create(bind, 128);
    InetSocketAddress bound = server.getAddress();
    this.boundPort = bound.getPort();
    server.setExecutor(workers);
    server.createContext("/", this::handle);
    server.start();
    String host = bound.getAddress().getHostAddress();
    String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
    OwnerOnlyFile.writeAtomically(urlFile, url);
    LOG.info("admin API listening on {}", url);
  }

  /**
   * The JDK server has no per-server read timeout; its {@code sun.net.httpserver.maxReqTime} closes
   * a connection whose request (headers and body) is not read completely within that many seconds.
   * The launcher sets it before anything starts; set it here too when a framework is started some
   * other way. There is deliberately no response timeout: it would cut event streams.
   */
  private static void requestTimeout() {
    String configured = System.getProperty(MAX_REQ_TIME);
    if (configured == null || configured.isBlank()) {
      System.setProperty(MAX_REQ_TIME, Integer.toString(REQUEST_TIMEOUT_SECONDS));
      configured = Integer.toString(REQUEST_TIMEOUT_SECONDS);
    }
    LOG.info("admin API request timeout {} s ({})", configured, MAX_REQ_TIME);
  }

  @Deactivate
  void deactivate() {
    streams.closeAll();
    server.stop(0);
    workers.shutdownNow();
    try {
      Files.deleteIfExists(urlFile);
    } catch (IOException e) {
      LOG.warn("could not remove {}", urlFile);
    }
    token.wipe();
    LOG.info("admin API stopped");
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getRawPath();
      String method = ex.getRequestMethod();
      try {
        if (!LoopbackAuthority.host(ex.getRequestHeaders().getFirst("Host"), boundPort)) {
          // DNS rebinding: a web page whose name now points at 127.0.0.1 sends its own name
          throw new HttpError(
              421, "invalid_host", "Host must be a loopback name with this listener's port");
        }
        if (path.equals("/health")) {
          requireMethod(method, "GET");
          ObjectNode o = Views.JSON.createObjectNode();
          o.put("status", "ok");
          o.put("ts", Instant.now().toString());
          send(ex, 200, o);
          return;
        }
        if (path.equals("/ready")) {
          requireMethod(method, "GET");
          ready(ex);
          return;
        }
        if (path.equals("/openapi.json")) {
          requireMethod(method, "GET");
          sendRaw(ex, 200, "application/json", openApi.getBytes(StandardCharsets.UTF_8));
          return;
        }
        if (!path.startsWith("/v1/")) {
          throw HttpError.notFound("not_found", "no such route");
        }
        if (!TokenFile.matches(token, ex.getRequestHeaders().getFirst("Authorization"))) {
          throw new HttpError(401, "unauthorized", "missing or wrong bearer token");
        }
        route(ex, method, path.substring(3));
      } catch (HttpError e) {
        send(ex, e.status, Views.error(e.code, e.getMessage()));
      } catch (IOException e) {
        LOG.debug("client went away", e);
      } catch (RuntimeException e) {
        LOG.error("admin API request failed", e);
        send(ex, 500, Views.error("internal_error", "internal_error"));
      }
    } finally {
      // an event stream carries on on the stream pool, which closes its exchange
      if (!streams.handedOff(ex)) {
        ex.close();
      }
    }
  }

  private void route(HttpExchange ex, String method, String path) throws IOException, HttpError {
    String[] p = path.split("/", -1); // "", "tools", ...
    String head = p.length > 1 ? p[1] : "";
    switch (head) {
      case "tools" -> {
        if (p.length == 2) {
          requireMethod(method, "GET");
          ArrayNode arr = Views.JSON.createArrayNode();
          for (ToolSpec t : need(tools, "tool pipeline").listTools()) {
            arr.add(Views.tool(t));
          }
          send(ex, 200, wrap("tools", arr));
          return;
        }
        if (p.length == 3 && p[2].equals("call")) {
          requireMethod(method, "POST");
          callTool(ex);
          return;
        }
        if (p.length == 4 && p[3].equals("manifest")) {
          manifest(ex, method, p[2]);
          return;
        }
      }
      case "approvals" -> {
        if (p.length == 2) {
          requireMethod(method, "GET");
          ArrayNode arr = Views.JSON.createArrayNode();
          for (ApprovalRequest a : need(approvals, "approvals").pending()) {
            arr.add(Views.approval(a));
          }
          send(ex, 200, wrap("approvals", arr));
          return;
        }
        if (p.length == 3 && p[2].equals("stream")) {
          requireMethod(method, "GET");
          streams.serve(ex, need(approvals, "approvals"));
          return;
        }
        if (p.length == 4 && (p[3].equals("approve") || p[3].equals("deny"))) {
          requireMethod(method, "POST");
          decide(ex, p[2], p[3].equals("approve"));
          return;
        }
      }
      case "receipts" -> {
        if (p.length == 2) {
          requireMethod(method, "GET");
          Map<String, String> q = query(ex);
          int limit = (int) intParam(q, "limit", 50, 1, 500);
          long offset = intParam(q, "offset", 0, 0, Long.MAX_VALUE);
          ArrayNode arr = Views.JSON.createArrayNode();
          need(receipts, "receipts").list(limit, offset).forEach(r -> arr.add(Views.receipt(r)));
          send(ex, 200, wrap("receipts", arr));
          return;
        }
        if (p.length == 3 && p[2].equals("verify")) {
          requireMethod(method, "POST");
          VerifyResult v = need(receipts, "receipts").verify();
          send(ex, v.ok() ? 200 : 409, Views.verify(v));
          return;
        }
        if (p.length == 3 && p[2].equals("export")) {
          requireMethod(method, "GET");
          long after = intParam(query(ex), "after_id", 0, 0, Long.MAX_VALUE);
          ReceiptLog log = need(receipts, "receipts");
          ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
          ex.sendResponseHeaders(200, 0);
          try (Writer w = new OutputStreamWriter(ex.getResponseBody(), StandardCharsets.UTF_8)) {
            log.export(after, w);
          }
          return;
        }
      }
      case "budgets" -> {
        if (p.length == 2) {
          requireMethod(method, "GET");
          ArrayNode arr = Views.JSON.createArrayNode();
          need(budgets, "budgets").list().forEach(b -> arr.add(Views.budget(b)));
          send(ex, 200, wrap("budgets", arr));
          return;
        }
        if (p.length == 3) {
          requireMethod(method, "POST");
          setBudget(ex, p[2]);
          return;
        }
      }
      case "secrets" -> {
        if (p.length == 2) {
          requireMethod(method, "GET");
          ArrayNode arr = Views.JSON.createArrayNode();
          withSecretStore(SecretStore::ids).forEach(arr::add);
          send(ex, 200, wrap("ids", arr));
          return;
        }
        if (p.length == 3 || (p.length == 4 && p[3].equals("delete"))) {
          requireMethod(method, "POST");
          writeSecret(ex, p[2], p.length == 4);
          return;
        }
      }
      case "plugins" -> {
        if (p.length == 2 && method.equals("GET")) {
          ArrayNode arr = Views.JSON.createArrayNode();
          need(plugins, "plugin service").list().forEach(i -> arr.add(Views.plugin(i)));
          send(ex, 200, wrap("plugins", arr));
          return;
        }
        if (p.length == 2) {
          requireMethod(method, "POST");
          pluginChange(ex, null, "install");
          return;
        }
        if (p.length == 4) {
          requireMethod(method, "POST");
          pluginChange(ex, p[2], p[3]);
          return;
        }
      }
      case "keys" -> {
        if (p.length == 2) {
          requireMethod(method, "GET");
          ArrayNode arr = Views.JSON.createArrayNode();
          for (KeyInfo k : keysOrError(need(keys, "key directory"))) {
            arr.add(Views.key(k));
          }
          send(ex, 200, wrap("keys", arr));
          return;
        }
        if (p.length == 4 && p[3].equals("public")) {
          requireMethod(method, "GET");
          publicKey(ex, p[2]);
          return;
        }
        if (p.length == 3 || (p.length == 4 && (p[3].equals("rotate") || p[3].equals("delete")))) {
          requireMethod(method, "POST");
          keyChange(ex, p[2], p.length == 3 ? "create" : p[3]);
          return;
        }
      }
      case "diagnostics" -> {
        if (p.length == 3 && p[2].equals("security")) {
          requireMethod(method, "GET");
          security(ex);
          return;
        }
      }
      case "policy" -> {
        if (p.length == 2 && method.equals("POST")) {
          applyPolicy(ex);
          return;
        }
        if (p.length == 2) {
          requireMethod(method, "GET");
          ActivePolicy a = need(policy, "policy engine").active();
          ObjectNode o = Views.JSON.createObjectNode();
          o.put("policy_text", a.policyText());
          o.put("policy_hash_hex", a.policyHashHex());
          o.put("updated_at", a.updatedAt().toString());
          send(ex, 200, o);
          return;
        }
      }
      default -> {}
    }
    throw HttpError.notFound("not_found", "no such route");
  }

  private void callTool(HttpExchange ex) throws IOException, HttpError {
    ToolCallService pipeline = need(tools, "tool pipeline");
    byte[] body = readBody(ex);
    String argsDefect = null;
    JsonNode root;
    try {
      root = STRICT.readTree(body);
    } catch (JsonProcessingException strictFailure) {
      // Duplicate keys inside the arguments have no canonical form: parse leniently so the kernel
      // denies (and receipts) the call as invalid_args instead of dropping it unrecorded.
      if (!duplicateInArgs(strictFailure)) {
        throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
      }
      try {
        root = Views.JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
      }
      argsDefect = "$: duplicate keys are not allowed";
    }
    JsonNode call = root == null ? null : root.get("call");
    if (call == null || !call.isObject()) {
      throw HttpError.badRequest("invalid_request", "body must be {\"call\":{...}}");
    }
    // I-JSON (SPEC §0, §4): a lone UTF-16 surrogate has no canonical form, and hashing it would
    // collide with '?'. Inside the call the kernel denies and receipts the attempt (invalid_args);
    // anywhere else in the body the request is refused here.
    String notIJson = IJsonText.loneSurrogatePath(root, "$", "");
    if (notIJson != null && !notIJson.startsWith("$.call.")) {
      throw HttpError.badRequest(
          "invalid_request", "request body is not I-JSON: lone UTF-16 surrogate at " + notIJson);
    }
    if (notIJson != null && argsDefect == null) {
      // inside args: its path there, as the kernel names args problems; elsewhere in the call (a
      // field the kernel never sees included) the whole path — either way the tool never runs
      String inArgs =
          call.has("args") ? IJsonText.loneSurrogatePath(call.get("args"), "$", "") : null;
      argsDefect = (inArgs != null ? inArgs : notIJson) + ": lone UTF-16 surrogate (not I-JSON)";
    }
    JsonNode toolId = call.get("tool_id");
    if (toolId == null || !toolId.isTextual() || toolId.textValue().isEmpty()) {
      throw HttpError.badRequest("invalid_request", "call.tool_id must be a non-empty string");
    }
    if (toolId.textValue().length() > 256) {
      throw HttpError.badRequest("invalid_request", "call.tool_id is too long");
    }
    JsonNode args = call.has("args") ? call.get("args") : Views.JSON.createObjectNode();
    JsonNode ctx = call.path("context");
    String requestId = text(ctx, "request_id", 64);
    if (requestId == null) {
      requestId = UUID.randomUUID().toString();
    }
    JsonNode tokenNode = call.get("approval_token");
    String approvalToken = null;
    if (tokenNode != null && !tokenNode.isNull()) {
      if (!tokenNode.isTextual()) {
        throw HttpError.badRequest("invalid_request", "call.approval_token must be a string");
      }
      approvalToken = tokenNode.textValue();
    }
    CallContext context =
        new CallContext(
            requestId, text(ctx, "agent_id", 128), text(ctx, "session_id", 128), "admin-api");
    send(
        ex,
        200,
        Views.outcome(
            pipeline.call(
                new ToolCallRequest(
                    toolId.textValue(), args, context, approvalToken, argsDefect))));
  }

  /** Whether strict parsing failed only because of a duplicate key inside {@code call.args}. */
  private static boolean duplicateInArgs(JsonProcessingException e) {
    if (!(e instanceof StreamReadException sre)
        || sre.getProcessor() == null
        || e.getOriginalMessage() == null
        || !e.getOriginalMessage().startsWith("Duplicate field")) {
      return false;
    }
    return sre.getProcessor()
        .getParsingContext()
        .pathAsPointer()
        .toString()
        .startsWith("/call/args/");
  }

  private void decide(HttpExchange ex, String id, boolean approve) throws IOException, HttpError {
    ApprovalService service = need(approvals, "approvals");
    drain(ex);
    try {
      ObjectNode o = Views.JSON.createObjectNode();
      if (approve) {
        // the token goes to the approver only: this answer, never a receipt, stream or log
        ApprovalGrant g = service.grant(id, "admin-api");
        o.put("approval_id", g.request().id());
        o.put("approval_token", g.token().reveal());
        o.put("state", g.request().state());
      } else {
        ApprovalRequest r = service.deny(id, "admin-api");
        o.put("approval_id", r.id());
        o.put("state", r.state());
      }
      send(ex, 200, o);
    } catch (ApprovalException e) {
      int status =
          switch (e.code()) {
            case "invalid_request" -> 400;
            case "signer_required" -> 403;
            case "not_found" -> 404;
            case "receipt_failed" -> 503;
            default -> 409;
          };
      throw new HttpError(status, e.code(), e.getMessage());
    }
  }

  private void setBudget(HttpExchange ex, String category) throws IOException, HttpError {
    BudgetService service = need(budgets, "budgets");
    JsonNode body;
    try {
      body = STRICT.readTree(readBody(ex));
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
    }
    JsonNode limit = body == null ? null : body.get("daily_limit_microusd");
    if (limit == null || !limit.isIntegralNumber() || !limit.canConvertToLong()) {
      throw HttpError.badRequest("invalid_budget", "daily_limit_microusd must be an integer");
    }
    try {
      send(ex, 200, Views.budget(service.set(category, limit.longValue())));
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(e.getMessage(), "budget refused: " + e.getMessage());
    }
  }

  /**
   * Stores or deletes a secret. Values only ever go in: no route returns one, and the receipt
   * records the id and the action, never the value.
   */
  private void writeSecret(HttpExchange ex, String id, boolean delete)
      throws IOException, HttpError {
    ReceiptLog log = need(receipts, "receipts");
    byte[] value = null;
    if (!delete) {
      JsonNode body;
      try {
        body = STRICT.readTree(readBody(ex));
      } catch (JsonProcessingException e) {
        throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
      }
      JsonNode b64 = body == null ? null : body.get("value_b64");
      if (b64 == null || !b64.isTextual()) {
        throw HttpError.badRequest("invalid_secret_value", "value_b64 must be a base64 string");
      }
      try {
        value = java.util.Base64.getDecoder().decode(b64.textValue());
      } catch (IllegalArgumentException e) {
        throw HttpError.badRequest("invalid_secret_value", "value_b64 is not base64");
      }
    } else {
      drain(ex);
    }
    byte[] v = value;
    boolean existed =
        withSecretStore(
            store -> {
              if (delete) {
                return store.delete(id);
              }
              store.put(id, Sensitive.of(v));
              return true;
            });
    ObjectNode event = Views.JSON.createObjectNode();
    event.put("type", "secret_update");
    event.put("secret_id", id);
    event.put("action", delete ? "delete" : "put");
    event.put("ts", Instant.now().toString());
    log.append(event);
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("id", id);
    o.put(delete ? "deleted" : "stored", existed);
    send(ex, 200, o);
  }

  private interface SecretWork<T> {
    T run(SecretStore store);
  }

  /** Runs work on the secret store looked up for this request; store errors keep their code. */
  private <T> T withSecretStore(SecretWork<T> work) throws HttpError {
    ComponentServiceObjects<SecretStore> objects = need(secrets, "secret store");
    SecretStore store = objects.getService();
    if (store == null) {
      throw HttpError.unavailable("secret store");
    }
    try {
      return work.run(store);
    } catch (SecretStoreException e) {
      int status =
          "invalid_secret_id".equals(e.code()) || "secret_too_large".equals(e.code()) ? 400 : 503;
      throw new HttpError(status, e.code(), e.getMessage());
    } finally {
      objects.ungetService(store);
    }
  }

  /**
   * Replaces the active policy (an operator action with the admin token): validated against the
   * Cedar schema, swapped atomically, persisted and receipted by the engine. Invalid text → 400
   * {@code invalid_cedar} and the old policy stays.
   */
  private void applyPolicy(HttpExchange ex) throws IOException, HttpError {
    PolicyEngine engine = need(policy, "policy engine");
    JsonNode body;
    try {
      body = STRICT.readTree(readBody(ex));
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
    }
    JsonNode text = body == null ? null : body.get("policy_text");
    if (text == null || !text.isTextual() || text.textValue().isBlank()) {
      throw HttpError.badRequest("invalid_policy_text", "policy_text must be a non-empty string");
    }
    if (text.textValue().length() > 200_000) {
      throw HttpError.badRequest("invalid_policy_text", "policy_text exceeds 200,000 characters");
    }
    try {
      ActivePolicy a = engine.apply(text.textValue(), "admin-api");
      ObjectNode o = Views.JSON.createObjectNode();
      o.put("status", "applied");
      o.put("policy_hash_hex", a.policyHashHex());
      o.put("updated_at", a.updatedAt().toString());
      send(ex, 200, o);
    } catch (PolicyException e) {
      throw HttpError.badRequest(e.code(), e.getMessage());
    }
  }

  /**
   * Installs (no id) or changes a plugin bundle. Install and update take the jar as the request
   * body ({@code application/java-archive}); the kernel's plugin service receipts every change and
   * refusal.
   */
  private void pluginChange(HttpExchange ex, String idText, String action)
      throws IOException, HttpError {
    PluginService service = need(plugins, "plugin service");
    long id = -1;
    if (idText != null) {
      try {
        id = Long.parseLong(idText);
      } catch (NumberFormatException e) {
        throw HttpError.badRequest("invalid_request", "plugin id must be a bundle id");
      }
    }
    try {
      switch (action) {
        case "install" -> installPlugin(ex, service);
        case "update" -> send(ex, 200, Views.plugin(service.update(id, jarBody(ex), "admin-api")));
        case "start" -> {
          drain(ex);
          send(ex, 200, Views.plugin(service.start(id, "admin-api")));
        }
        case "stop" -> {
          drain(ex);
          send(ex, 200, Views.plugin(service.stop(id, "admin-api")));
        }
        case "uninstall" -> {
          drain(ex);
          service.uninstall(id, "admin-api");
          ObjectNode o = Views.JSON.createObjectNode();
          o.put("bundle_id", id);
          o.put("state", "uninstalled");
          send(ex, 200, o);
        }
        default -> throw HttpError.notFound("not_found", "no such route");
      }
    } catch (PluginException e) {
      int status =
          switch (e.code()) {
            case "not_found" -> 404;
            case "core_bundle" -> 403;
            case "already_installed", "name_mismatch" -> 409;
            case "plugin_too_large" -> 413;
            default -> 400;
          };
      throw new HttpError(status, e.code(), e.getMessage());
    }
  }

  /**
   * Install from the jar as the body, or from {@code {"url":"file:///…"|"https://…"}} (JSON): the
   * bytes are read or fetched first ({@link PluginSource}); nothing is installed when that fails,
   * and the plugin service receipts the install with the URL as {@code source}.
   */
  private void installPlugin(HttpExchange ex, PluginService service)
      throws IOException, HttpError, PluginException {
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      send(ex, 200, Views.plugin(service.install(jarBody(ex), "admin-api")));
      return;
    }
    JsonNode body;
    try {
      body = STRICT.readTree(readBody(ex));
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("invalid_json", "body is not valid JSON");
    }
    if (body == null || !body.isObject() || body.size() != 1 || !body.path("url").isTextual()) {
      throw HttpError.badRequest(
          "invalid_request", "send {\"url\": \"file:///…\" or \"https://…\"}");
    }
    PluginSource.Fetched f =
        PluginSource.fetch(body.get("url").textValue(), egress, devLoopback, MAX_PLUGIN_BODY);
    send(
        ex,
        200,
        Views.plugin(
            service.install(new java.io.ByteArrayInputStream(f.bytes()), "admin-api", f.source())));
  }

  /**
   * {@code GET} the manifest in force for a tool (deny-all when none is stored) or {@code POST} a
   * new one (SPEC §3 Δ: receipted CRUD). The body's {@code tool_id}, if present, must match the
   * path.
   */
  private void manifest(HttpExchange ex, String method, String toolId)
      throws IOException, HttpError {
    ManifestService service = need(manifests, "manifests");
    if (method.equals("GET")) {
      ObjectNode o = ManifestCodec.toJson(service.effective(toolId));
      o.put("stored", service.stored(toolId));
      send(ex, 200, o);
      return;
    }
    requireMethod(method, "POST");
    JsonNode body;
    try {
      body = STRICT.readTree(readBody(ex));
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
    }
    if (body == null || !body.isObject()) {
      throw HttpError.badRequest("invalid_manifest", "manifest must be a JSON object");
    }
    ObjectNode manifest = ((ObjectNode) body).deepCopy();
    JsonNode named = manifest.get("tool_id");
    if (named != null && !toolId.equals(named.asText())) {
      throw HttpError.badRequest("invalid_manifest", "tool_id in the body differs from the path");
    }
    manifest.put("tool_id", toolId);
    try {
      ObjectNode o =
          ManifestCodec.toJson(service.put(ManifestCodec.fromJson(manifest), "admin-api"));
      o.put("stored", true);
      send(ex, 200, o);
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest("invalid_manifest", e.getMessage());
    }
  }

  private static java.util.List<KeyInfo> keysOrError(KeyDirectory directory) throws HttpError {
    try {
      return directory.list();
    } catch (KeyException e) {
      throw keyError(e);
    }
  }

  /**
   * Creates, rotates or deletes a role's key. Create and rotate take an optional {@code
   * {"algorithm":"ed25519"|"p256","backend":"<signer id>"}}; the key directory receipts every
   * change. Bad input is a 400 and changes nothing.
   */
  private void keyChange(HttpExchange ex, String rawRole, String action)
      throws IOException, HttpError {
    KeyDirectory directory = need(keys, "key directory");
    String role = java.net.URLDecoder.decode(rawRole, StandardCharsets.UTF_8);
    KeyAlgorithm algorithm = null;
    String backend = null;
    if (action.equals("delete")) {
      drain(ex);
    } else {
      byte[] raw = readBody(ex);
      JsonNode body = null;
      if (raw.length > 0) {
        try {
          body = STRICT.readTree(raw);
        } catch (JsonProcessingException e) {
          throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
        }
      }
      if (body != null && !body.isNull()) {
        if (!body.isObject()) {
          throw HttpError.badRequest("invalid_request", "body must be a JSON object");
        }
        java.util.Iterator<String> names = body.fieldNames();
        while (names.hasNext()) {
          String n = names.next();
          if (!n.equals("algorithm") && !n.equals("backend")) {
            throw HttpError.badRequest("invalid_request", "unknown field " + n);
          }
        }
        String alg = text(body, "algorithm", 16);
        if (alg != null) {
          algorithm =
              switch (alg) {
                case "ed25519" -> KeyAlgorithm.ED25519;
                case "p256" -> KeyAlgorithm.P256;
                default ->
                    throw HttpError.badRequest(
                        "invalid_algorithm", "algorithm must be ed25519 or p256");
              };
        }
        backend = text(body, "backend", 64);
      }
    }
    try {
      switch (action) {
        case "create" ->
            send(ex, 200, Views.key(directory.create(role, algorithm, backend, "admin-api")));
        case "rotate" ->
            send(ex, 200, Views.key(directory.rotate(role, algorithm, backend, "admin-api")));
        default -> {
          directory.delete(role, "admin-api");
          ObjectNode o = Views.JSON.createObjectNode();
          o.put("role", role);
          o.put("deleted", true);
          send(ex, 200, o);
        }
      }
    } catch (KeyException e) {
      throw keyError(e);
    }
  }

  /**
   * {@code GET /v1/keys/{role}/public}: the role's public JWK for verifiers (e.g. of receipt
   * checkpoints), built from an allow-list of public members so no private member can ever pass.
   */
  private void publicKey(HttpExchange ex, String rawRole) throws IOException, HttpError {
    KeyDirectory directory = need(keys, "key directory");
    String role = java.net.URLDecoder.decode(rawRole, StandardCharsets.UTF_8);
    KeyInfo k;
    try {
      k =
          directory
              .get(role)
              .orElseThrow(() -> new KeyException("key_not_found", "role " + role + " has no key"));
    } catch (KeyException e) {
      throw keyError(e);
    }
    JsonNode jwk;
    try {
      jwk = Views.JSON.readTree(k.publicJwk());
    } catch (JsonProcessingException e) {
      throw new HttpError(503, "backend_unavailable", "the public key is unreadable");
    }
    ObjectNode o = Views.JSON.createObjectNode();
    for (String member : new String[] {"kty", "crv", "x", "y"}) {
      if (jwk.path(member).isTextual()) {
        o.put(member, jwk.get(member).textValue());
      }
    }
    o.put("kid", k.thumbprint());
    o.put("alg", k.handle().algorithm() == KeyAlgorithm.ED25519 ? "EdDSA" : "ES256");
    o.put("use", "sig");
    sendRaw(ex, 200, "application/jwk+json", Views.JSON.writeValueAsBytes(o));
  }

  private static HttpError keyError(KeyException e) {
    int status =
        switch (e.code()) {
          case "invalid_role",
                  "invalid_algorithm",
                  "invalid_backend",
                  "invalid_request",
                  "unsupported_algorithm" ->
              400;
          case "software_keys_refused" -> 403;
          case "key_not_found" -> 404;
          case "key_exists" -> 409;
          default -> 503;
        };
    return new HttpError(status, e.code(), e.getMessage());
  }

  /** SPEC §18 {@code /v1/diagnostics/security}: the checks this kernel can vouch for. */
  private void security(HttpExchange ex) throws IOException, HttpError {
    KeyDirectory directory = need(keys, "key directory");
    ObjectNode custody = Views.custody(directory.check());
    ObjectNode o = Views.JSON.createObjectNode();
    ArrayNode checks = o.putArray("checks");
    checks
        .addObject()
        .put("name", "daemon_auth_required")
        .put("ok", true)
        .put("detail", "every /v1 route needs the bearer token");
    checks
        .addObject()
        .put("name", "key_custody")
        .put("ok", custody.get("ok").asBoolean())
        .put("detail", custody.get("detail").asText());
    o.set("key_custody", custody);
    send(ex, 200, o);
  }

  /** A bundle upload: up to 64 MiB, checked to be non-empty. */
  private static java.io.InputStream jarBody(HttpExchange ex) throws IOException, HttpError {
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(MAX_PLUGIN_BODY + 1);
    }
    if (bytes.length > MAX_PLUGIN_BODY) {
      throw new HttpError(413, "body_too_large", "a plugin bundle may be at most 64 MiB");
    }
    if (bytes.length == 0) {
      throw HttpError.badRequest("invalid_bundle", "send the bundle jar as the request body");
    }
    return new java.io.ByteArrayInputStream(bytes);
  }

  private void ready(HttpExchange ex) throws IOException {
    Map<String, Boolean> parts = new LinkedHashMap<>();
    parts.put("tool_pipeline", tools != null);
    parts.put("approvals", approvals != null);
    parts.put("budgets", budgets != null);
    parts.put("receipts", receipts != null);
    parts.put("policy", policy != null);
    ToolCallService t = tools;
    int toolCount = t == null ? 0 : t.listTools().size();
    parts.put("tools", toolCount > 0);
    boolean ready = !parts.containsValue(false);
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("ready", ready);
    o.put("tool_count", toolCount);
    ObjectNode services = o.putObject("services");
    parts.forEach(services::put);
    send(ex, ready ? 200 : 503, o);
  }

  private static <T> T need(T service, String what) throws HttpError {
    if (service == null) {
      throw HttpError.unavailable(what);
    }
    return service;
  }

  private static void requireMethod(String method, String expected) throws HttpError {
    if (!expected.equals(method)) {
      throw new HttpError(405, "method_not_allowed", "use " + expected);
    }
  }

  private static String text(JsonNode o, String field, int max) throws HttpError {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || v.textValue().length() > max) {
      throw HttpError.badRequest("invalid_request", field + " must be a string of ≤" + max);
    }
    return v.textValue();
  }

  private static long intParam(Map<String, String> q, String name, long dflt, long min, long max)
      throws HttpError {
    String v = q.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Math.max(min, Math.min(max, Long.parseLong(v)));
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("invalid_request", name + " must be an integer");
    }
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(
            java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static byte[] readBody(HttpExchange ex) throws IOException, HttpError {
    try (InputStream in = ex.getRequestBody()) {
      byte[] body = in.readNBytes(MAX_BODY + 1);
      if (body.length > MAX_BODY) {
        throw new HttpError(413, "body_too_large", "request body exceeds 1 MiB");
      }
      return body;
    }
  }

  private static void drain(HttpExchange ex) throws IOException, HttpError {
    readBody(ex);
  }

  private static ObjectNode wrap(String field, JsonNode value) {
    ObjectNode o = Views.JSON.createObjectNode();
    o.set(field, value);
    return o;
  }

  static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    sendRaw(ex, status, "application/json", Views.JSON.writeValueAsBytes(body));
  }

  private static void sendRaw(HttpExchange ex, int status, String type, byte[] bytes)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
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
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("unknown bind host: " + host, e);
    }
  }

  private static String loadOpenApi() throws IOException {
    try (InputStream in = AdminApi.class.getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new IOException("openapi.json is missing from the bundle");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static ThreadFactory threads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "briefcase-admin-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
