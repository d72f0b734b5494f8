package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.edge.IJsonText;
import dev.briefcase.tools.ApprovalRequest;
import dev.briefcase.tools.ApprovalWatch;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallOutcome;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP server of SPEC §10 over the streamable HTTP transport (MCP 2025-11-25 and 2025-06-18),
 * independent of the servlet container. One POST carries one JSON-RPC message; a call that needs
 * approval is held open on an SSE response while a human decides; GET opens the session's SSE
 * channel for {@code notifications/tools/list_changed}; DELETE ends a session.
 *
 * <p>Kernel services are looked up per request through suppliers, so a missing kernel answers
 * {@code -32603 Briefcase kernel unavailable} and never hangs. Thread-safe; {@link #close()} ends
 * every session, stream and thread.
 */
final class McpEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);

  static final String LATEST = "2025-11-25";
  static final Set<String> VERSIONS = Set.of("2025-11-25", "2025-06-18");
  static final int MAX_BODY = 4 << 20;
  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  static final String JSON_TYPE = "application/json";

  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  static final int METHOD_NOT_FOUND = -32601;
  static final int INVALID_PARAMS = -32602;
  static final int INTERNAL_ERROR = -32603;
  static final int NOT_INITIALIZED = -32002;
  static final int SESSION_NOT_FOUND = -32001;
  static final int TRANSPORT_ERROR = -32000;

  /** The {@code argsDefect} handed to the kernel when the raw arguments had duplicate keys. */
  static final String DUPLICATE_KEYS = "$: duplicate keys are not allowed";

  static final String KERNEL_UNAVAILABLE = "Briefcase kernel unavailable";
  static final String LIST_CHANGED =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}";

  private static final String INSTRUCTIONS =
      "Briefcase runs every tool call through policy, budgets and human approvals and keeps all"
          + " credentials to itself. When a call needs a human's approval, this server waits a"
          + " while for the decision; if none comes, ask your human to approve it in Briefcase,"
          + " then call the tool again with the same arguments.";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** Strict: duplicate keys are not I-JSON, and trailing data is not one message. */
  static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static final ObjectMapper LENIENT =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private final Settings settings;
  private final Supplier<ToolCallService> tools;
  private final Supplier<ApprovalWatch> watch;
  private final Guard guard;
  private final Results results;
  private final ObjectNode capabilities;
  private final ObjectNode serverInfo;
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger sessionCount = new AtomicInteger();
  private final Semaphore heldPermits;
  private final ExecutorService waiters;
  private final ScheduledExecutorService timer;
  private final SecureRandom random = new SecureRandom();
  private volatile boolean closed;

  McpEndpoint(Settings settings, Supplier<ToolCallService> tools, Supplier<ApprovalWatch> watch) {
    this.settings = settings;
    this.tools = tools;
    this.watch = watch;
    this.guard = new Guard(settings);
    this.results = new Results(JSON, settings.mode());
    this.heldPermits = new Semaphore(Math.max(0, settings.maxHeld()));

    ObjectNode briefcase = F.objectNode();
    briefcase.put("compatibility_profile", Results.PROFILE);
    briefcase.put("mode", settings.mode());
    this.capabilities = F.objectNode();
    // listChanged is true (SPEC says false): the GET channel does deliver list_changed.
    capabilities.putObject("tools").put("listChanged", true);
    capabilities.putObject("experimental").set("briefcase", briefcase);
    capabilities.set("briefcase", briefcase);
    this.serverInfo = F.objectNode();
    serverInfo.put("name", "briefcase");
    serverInfo.put("version", settings.serverVersion());

    this.waiters =
        new ThreadPoolExecutor(
            0,
            Math.max(1, settings.maxHeld()),
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            threads("briefcase-mcp-held-"));
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, threads("briefcase-mcp-"));
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
  }

  /** Loads the token if configuration requires one and starts the keep-alive and expiry timers. */
  void start() throws IOException {
    guard.start();
    timer.scheduleAtFixedRate(
        this::keepAlive,
        settings.keepAliveMillis(),
        settings.keepAliveMillis(),
        TimeUnit.MILLISECONDS);
    timer.scheduleAtFixedRate(
        this::sweep, settings.sweepMillis(), settings.sweepMillis(), TimeUnit.MILLISECONDS);
  }

  Guard guard() {
    return guard;
  }

  int sessionCount() {
    return sessionCount.get();
  }

  /** Serves one HTTP request on the MCP endpoint. */
  void handle(Exchange ex) throws IOException {
    if (closed) {
      transportError(ex, 503, "Service Unavailable: the MCP gateway is stopping");
      return;
    }
    if (!guard.hostAllowed(ex.header("Host"), ex.localAddress())) {
      transportError(ex, 403, "Forbidden: Host header not allowed");
      return;
    }
    String origin = ex.header("Origin");
    if (!guard.originAllowed(origin, ex.localPort())) {
      transportError(ex, 403, "Forbidden: Origin not allowed");
      return;
    }
    if (origin != null) {
      ex.setHeader("Access-Control-Allow-Origin", origin);
      ex.setHeader("Access-Control-Expose-Headers", SESSION_HEADER);
      ex.setHeader("Vary", "Origin");
    }
    String method = ex.method();
    if ("OPTIONS".equals(method)) {
      ex.setHeader("Access-Control-Allow-Methods", "GET, POST, DELETE");
      ex.setHeader(
          "Access-Control-Allow-Headers",
          "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version,"
              + " Last-Event-ID");
      ex.setHeader("Access-Control-Max-Age", "600");
      ex.respond(204, null, null);
      return;
    }
    if (guard.tokenRequired(ex.localAddress(), ex.header("Host"))
        && !guard.tokenMatches(ex.header("Authorization"))) {
      ex.setHeader("WWW-Authenticate", "Bearer realm=\"briefcase-mcp\"");
      transportError(ex, 401, "Unauthorized: bearer token required");
      return;
    }
    switch (method) {
      case "POST" -> post(ex);
      case "GET" -> get(ex);
      case "DELETE" -> delete(ex);
      default -> {
        ex.setHeader("Allow", "GET, POST, DELETE, OPTIONS");
        transportError(ex, 405, "Method Not Allowed");
      }
    }
  }

  // ---------------------------------------------------------------- POST

  private void post(Exchange ex) throws IOException {
    if (!accepts(ex.header("Accept"), "application", "json")
        || !accepts(ex.header("Accept"), "text", "event-stream")) {
      transportError(
          ex, 406, "Not Acceptable: Accept must list application/json and text/event-stream");
      return;
    }
    if (!isJson(ex.header("Content-Type"))) {
      transportError(ex, 415, "Unsupported Media Type: Content-Type must be application/json");
      return;
    }
    byte[] body = ex.readBody(MAX_BODY);
    if (body == null) {
      transportError(ex, 413, "Payload Too Large: the body exceeds 4 MiB");
      return;
    }
    JsonNode msg;
    String argsDefect = null;
    try {
      msg = JSON.readTree(body);
    } catch (StreamReadException e) {
      if (!duplicateInArguments(e)) {
        rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error");
        return;
      }
      // Duplicate keys inside the arguments have no canonical form: parse leniently and let the
      // kernel deny (and receipt) the call as invalid_args instead of dropping it unrecorded.
      try {
        msg = LENIENT.readTree(body);
      } catch (IOException again) {
        rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error");
        return;
      }
      argsDefect = DUPLICATE_KEYS;
    } catch (IOException e) {
      rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error");
      return;
    }
    if (msg == null || msg.isMissingNode()) {
      rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error: empty body");
      return;
    }
    if (msg.isArray()) {
      rpcError(
          ex,
          400,
          NullNode.instance,
          INVALID_REQUEST,
          "Invalid Request: batches are not supported; send one JSON-RPC message per POST");
      return;
    }
    if (!msg.isObject()) {
      rpcError(ex, 400, NullNode.instance, INVALID_REQUEST, "Invalid Request");
      return;
    }
    JsonNode id = msg.get("id");
    boolean hasId = id != null;
    JsonNode replyId = validId(id) ? id : NullNode.instance;
    JsonNode version = msg.get("jsonrpc");
    if (version == null || !"2.0".equals(version.textValue())) {
      rpcError(ex, 400, replyId, INVALID_REQUEST, "Invalid Request: jsonrpc must be \"2.0\"");
      return;
    }
    JsonNode methodNode = msg.get("method");
    if (methodNode == null) {
      if (hasId && (msg.has("result") || msg.has("error"))) {
        // a response to a server request; we send none, so there is nothing to match it to
        if (session(ex) != null) {
          ex.respond(202, null, null);
        }
        return;
      }
      rpcError(ex, 400, replyId, INVALID_REQUEST, "Invalid Request: method is missing");
      return;
    }
    if (!methodNode.isTextual()) {
      rpcError(ex, 400, replyId, INVALID_REQUEST, "Invalid Request: method must be a string");
      return;
    }
    if (hasId && !validId(id)) {
      rpcError(
          ex,
          400,
          NullNode.instance,
          INVALID_REQUEST,
          "Invalid Request: id must be a string or an integer");
      return;
    }
    String method = methodNode.textValue();
    // I-JSON (SPEC §0): a lone UTF-16 surrogate anywhere has no canonical form. A tools/call
    // whose params hold one still reaches the kernel, which denies and receipts the attempt; the
    // answer is then Invalid params. Anything else is refused here, echoing none of it.
    String notIJson = IJsonText.loneSurrogatePath(msg, "$", "…");
    if (notIJson != null) {
      boolean inParams = notIJson.startsWith("$.params");
      if (!(hasId && inParams && "tools/call".equals(method))) {
        JsonNode safeId = notIJson.startsWith("$.id") ? NullNode.instance : replyId;
        if (inParams && hasId) {
          rpcError(ex, 200, safeId, INVALID_PARAMS, notIJsonMessage("Invalid params", notIJson));
        } else {
          rpcError(ex, 400, safeId, INVALID_REQUEST, notIJsonMessage("Invalid Request", notIJson));
        }
        return;
      }
      if (argsDefect == null) {
        // the kernel denies (and receipts) the call whatever part of the params held it, so a
        // field it never sees (_meta, say) cannot slip a malformed call through to the tool
        JsonNode arguments = msg.path("params").get("arguments");
        String inArgs = IJsonText.loneSurrogatePath(arguments, "$", "…");
        argsDefect = (inArgs != null ? inArgs : notIJson) + ": lone UTF-16 surrogate (not I-JSON)";
      }
    }
    JsonNode params = msg.get("params");
    if (params != null && params.isNull()) {
      params = null;
    }
    if (hasId && "initialize".equals(method)) {
      initialize(ex, id, params);
      return;
    }

    String sid = ex.header(SESSION_HEADER);
    if (sid == null) {
      if (hasId && "ping".equals(method)) {
        result(ex, id, F.objectNode());
      } else if (hasId) {
        rpcError(
            ex,
            400,
            id,
            NOT_INITIALIZED,
            "Server not initialized: send initialize first, then its Mcp-Session-Id");
      } else {
        transportError(ex, 400, "Bad Request: Mcp-Session-Id header is required");
      }
      return;
    }
    Session s = session(ex);
    if (s == null) {
      return;
    }
    if (!protocolVersionOk(ex)) {
      return;
    }
    if (!hasId) {
      notification(s, method, params);
      ex.respond(202, null, null);
      return;
    }
    if (params != null && !params.isObject()) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: params must be an object");
      return;
    }
    switch (method) {
      case "ping" -> result(ex, id, F.objectNode());
      case "tools/list" -> toolsList(ex, id, params);
      case "tools/call" -> toolsCall(ex, s, id, params, argsDefect, notIJson);
      default -> rpcError(ex, 200, id, METHOD_NOT_FOUND, "Method not found: " + clip(method, 100));
    }
  }

  private void initialize(Exchange ex, JsonNode id, JsonNode params) throws IOException {
    String existing = ex.header(SESSION_HEADER);
    if (existing != null) {
      Session s = session(ex);
      if (s != null) {
        rpcError(
            ex, 200, id, INVALID_REQUEST, "Invalid Request: this session is already initialized");
      }
      return;
    }
    JsonNode requested = params == null ? null : params.get("protocolVersion");
    if (params == null || !params.isObject() || requested == null || !requested.isTextual()) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: protocolVersion is required");
      return;
    }
    String version = VERSIONS.contains(requested.textValue()) ? requested.textValue() : LATEST;
    if (sessionCount.incrementAndGet() > settings.maxSessions()) {
      sessionCount.decrementAndGet();
      rpcError(ex, 503, id, TRANSPORT_ERROR, "Service Unavailable: too many sessions");
      return;
    }
    Session s = new Session(newSessionId(), version, System.nanoTime());
    sessions.put(s.id(), s);
    if (closed) {
      removeSession(s);
      transportError(ex, 503, "Service Unavailable: the MCP gateway is stopping");
      return;
    }
    ObjectNode r = F.objectNode();
    r.put("protocolVersion", version);
    r.set("capabilities", capabilities);
    r.set("serverInfo", serverInfo);
    r.put("instructions", INSTRUCTIONS);
    ex.setHeader(SESSION_HEADER, s.id());
    result(ex, id, r);
    LOG.debug("MCP session opened with protocol {}", version);
  }

  private void notification(Session s, String method, JsonNode params) {
    switch (method) {
      case "notifications/initialized" -> s.markInitializedNotified();
      case "notifications/cancelled" -> {
        JsonNode requestId = params == null ? null : params.get("requestId");
        if (validId(requestId)) {
          HeldCall h = s.held(requestId.toString());
          if (h != null) {
            h.cancel();
          }
        }
      }
      default -> {
        // other notifications carry nothing this server acts on
      }
    }
  }

  private void toolsList(Exchange ex, JsonNode id, JsonNode params) throws IOException {
    JsonNode cursor = params == null ? null : params.get("cursor");
    if (cursor != null && !cursor.isNull()) {
      // the whole list fits one page, so this server never issues a cursor: any cursor is unknown
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: unknown cursor");
      return;
    }
    ToolCallService service = tools.get();
    if (service == null) {
      rpcError(ex, 200, id, INTERNAL_ERROR, KERNEL_UNAVAILABLE);
      return;
    }
    ObjectNode r = F.objectNode();
    ArrayNode list = r.putArray("tools");
    try {
      for (ToolSpec t : service.listTools()) {
        list.add(Results.tool(t));
      }
    } catch (RuntimeException e) {
      LOG.warn("listing tools failed: {}", e.toString());
      rpcError(ex, 200, id, INTERNAL_ERROR, "Internal error");
      return;
    }
    result(ex, id, r);
  }

  private void toolsCall(
      Exchange ex, Session s, JsonNode id, JsonNode params, String argsDefect, String notIJson)
      throws IOException {
    JsonNode name = params == null ? null : params.get("name");
    if (name == null || !name.isTextual() || name.textValue().isEmpty()) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Invalid params: name must be a non-empty string");
      return;
    }
    ToolCallService service = tools.get();
    if (service == null) {
      rpcError(ex, 200, id, INTERNAL_ERROR, KERNEL_UNAVAILABLE);
      return;
    }
    JsonNode args = params.get("arguments");
    if (args == null || args.isNull()) {
      args = F.objectNode();
    }
    JsonNode meta = params.path("_meta");
    String approvalToken = text(params.get("approvalToken"));
    if (approvalToken == null) {
      approvalToken = text(meta.get("approvalToken"));
    }
    JsonNode progressToken = meta.get("progressToken");
    if (progressToken != null && !progressToken.isTextual() && !progressToken.isNumber()) {
      progressToken = null;
    }
    ToolCallRequest request =
        new ToolCallRequest(
            name.textValue(),
            args,
            new CallContext(requestId(), null, s.kernelId(), "mcp"),
            approvalToken,
            argsDefect);
    ToolCallOutcome outcome;
    try {
      outcome = service.call(request);
    } catch (RuntimeException e) {
      LOG.warn("the kernel failed a tool call: {}", e.toString());
      rpcError(ex, 200, id, INTERNAL_ERROR, "Internal error");
      return;
    }
    if (notIJson != null) {
      // the kernel has denied and receipted the attempt; the agent hears why, not its text back
      rpcError(ex, 200, id, INVALID_PARAMS, notIJsonMessage("Invalid params", notIJson));
      return;
    }
    if (isUnknownTool(outcome)) {
      rpcError(ex, 200, id, INVALID_PARAMS, "Unknown tool: " + clip(name.textValue(), 256));
      return;
    }
    if (outcome.status() == ToolCallOutcome.Status.APPROVAL_REQUIRED
        && holdOpen(ex, s, id, progressToken, request, outcome)) {
      return;
    }
    result(ex, id, results.callResult(outcome));
  }

  // ---------------------------------------------------------------- hold open

  /**
   * Answers with an SSE stream and waits for the human on a gateway thread (SPEC §10 Δ 1). False
   * when holding is off or impossible; the caller then answers at once.
   */
  private boolean holdOpen(
      Exchange ex,
      Session s,
      JsonNode id,
      JsonNode progressToken,
      ToolCallRequest request,
      ToolCallOutcome outcome)
      throws IOException {
    ApprovalWatch w = watch.get();
    String key = id.toString();
    if (settings.approvalWaitMillis() <= 0
        || w == null
        || outcome.approval() == null
        || s.held(key) != null
        || !heldPermits.tryAcquire()) {
      return false;
    }
    EventStream stream;
    try {
      stream = ex.openStream();
    } catch (IOException | RuntimeException e) {
      heldPermits.release();
      throw e;
    }
    HeldCall h = new HeldCall(s, key, id, progressToken, request, outcome, stream);
    if (!s.hold(key, h)) {
      heldPermits.release();
      finish(h, response(id, results.callResult(outcome)));
      return true;
    }
    stream.onClose(h::cancel);
    try {
      waiters.execute(() -> runHeld(h, w));
    } catch (RejectedExecutionException e) {
      s.release(key, h);
      heldPermits.release();
      finish(h, response(id, results.callResult(outcome)));
    }
    return true;
  }

  private void runHeld(HeldCall h, ApprovalWatch w) {
    try {
      ApprovalRequest approval = h.first.approval();
      long sliceNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, settings.progressMillis()));
      long deadline =
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.approvalWaitMillis());
      int tick = 0;
      progress(h, tick, approval);
      while (true) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          finish(h, response(h.requestId, results.approvalRequired(approval, h.first.receiptId())));
          return;
        }
        Optional<ApprovalRequest> now;
        h.enterWait();
        try {
          now = w.await(approval.id(), Duration.ofNanos(Math.min(remaining, sliceNanos)));
        } finally {
          h.leaveWait();
        }
        if (h.isCancelled()) {
          return;
        }
        if (now.isEmpty()) {
          finish(h, response(h.requestId, results.approvalRequired(approval, h.first.receiptId())));
          return;
        }
        approval = now.get();
        switch (approval.state()) {
          case ApprovalRequest.APPROVED -> {
            finish(h, executeApproved(h, approval));
            return;
          }
          case ApprovalRequest.REJECTED -> {
            finish(
                h, response(h.requestId, results.denied("approval_rejected", h.first.receiptId())));
            return;
          }
          case ApprovalRequest.PENDING -> progress(h, ++tick, approval);
          default -> {
            // expired or used up elsewhere: the agent gets the approval result to act on
            finish(
                h, response(h.requestId, results.approvalRequired(approval, h.first.receiptId())));
            return;
          }
        }
      }
    } catch (InterruptedException e) {
      LOG.debug("held call cancelled");
    } catch (IOException e) {
      LOG.debug("client left a held call");
    } catch (RuntimeException e) {
      LOG.warn("held call failed: {}", e.toString());
      try {
        finish(h, errorMessage(h.requestId, INTERNAL_ERROR, "Internal error"));
      } catch (IOException ignored) {
        // the stream is gone as well
      }
    } finally {
      h.session.release(h.requestKey, h);
      heldPermits.release();
      h.stream.close();
    }
  }

  /**
   * Runs the approved call again as the same session, without a token: the kernel matches the
   * approval this principal obtained for exactly this call and consumes it once. The approval id is
   * never a token, and the gateway never holds one (SPEC §4 Δ 2026-12).
   */
  private ObjectNode executeApproved(HeldCall h, ApprovalRequest approval) {
    ToolCallService service = tools.get();
    if (service == null) {
      return errorMessage(h.requestId, INTERNAL_ERROR, KERNEL_UNAVAILABLE);
    }
    ToolCallRequest r = h.request;
    ToolCallRequest again =
        new ToolCallRequest(
            r.toolId(),
            r.args(),
            new CallContext(
                requestId(), r.context().agentId(), r.context().sessionId(), r.context().surface()),
            null,
            r.argsDefect());
    ToolCallOutcome outcome = service.call(again);
    if (isUnknownTool(outcome)) {
      return errorMessage(h.requestId, INVALID_PARAMS, "Unknown tool: " + clip(r.toolId(), 256));
    }
    return response(h.requestId, results.callResult(outcome));
  }

  private void progress(HeldCall h, int tick, ApprovalRequest approval) throws IOException {
    if (h.progressToken == null) {
      h.stream.comment("waiting for approval");
      return;
    }
    ObjectNode n = F.objectNode();
    n.put("jsonrpc", "2.0");
    n.put("method", "notifications/progress");
    ObjectNode p = n.putObject("params");
    p.set("progressToken", h.progressToken);
    p.put("progress", tick);
    p.put(
        "message",
        "Waiting for a human to approve "
            + approval.toolId()
            + " in Briefcase (approval "
            + approval.id()
            + ")");
    h.stream.send(JSON.writeValueAsString(n));
  }

  private void finish(HeldCall h, ObjectNode message) throws IOException {
    try {
      if (!h.isCancelled()) {
        h.stream.send(JSON.writeValueAsString(message));
      }
    } finally {
      h.stream.close();
    }
  }

  // ---------------------------------------------------------------- GET and DELETE

  private void get(Exchange ex) throws IOException {
    if (!accepts(ex.header("Accept"), "text", "event-stream")) {
      ex.setHeader("Allow", "GET, POST, DELETE");
      transportError(ex, 405, "Method Not Allowed: GET needs Accept: text/event-stream");
      return;
    }
    if (ex.header(SESSION_HEADER) == null) {
      transportError(ex, 400, "Bad Request: Mcp-Session-Id header is required");
      return;
    }
    Session s = session(ex);
    if (s == null || !protocolVersionOk(ex)) {
      return;
    }
    s.attachGetStream(ex.openStream());
    s.touch(System.nanoTime());
  }

  private void delete(Exchange ex) throws IOException {
    if (ex.header(SESSION_HEADER) == null) {
      transportError(ex, 400, "Bad Request: Mcp-Session-Id header is required");
      return;
    }
    Session s = session(ex);
    if (s == null || !protocolVersionOk(ex)) {
      return;
    }
    removeSession(s);
    ex.respond(202, null, null);
    LOG.debug("MCP session ended by the client");
  }

  // ---------------------------------------------------------------- notifications and timers

  /** Tells every open GET stream that the tool list changed; returns at once. */
  void toolsChanged() {
    if (closed) {
      return;
    }
    try {
      timer.execute(this::broadcastListChanged);
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  private void broadcastListChanged() {
    for (Session s : sessions.values()) {
      EventStream stream = s.getStream();
      if (stream != null) {
        try {
          stream.send(LIST_CHANGED);
        } catch (IOException e) {
          stream.close();
        }
      }
    }
  }

  private void keepAlive() {
    long now = System.nanoTime();
    for (Session s : sessions.values()) {
      EventStream stream = s.getStream();
      if (stream != null) {
        try {
          stream.comment("keep-alive");
          s.touch(now);
        } catch (IOException e) {
          stream.close();
        }
      }
    }
  }

  /** Removes sessions idle for longer than the configured time; runs on the timer. */
  void sweep() {
    long now = System.nanoTime();
    long idle = TimeUnit.MILLISECONDS.toNanos(settings.sessionIdleMillis());
    for (Session s : sessions.values()) {
      if (now - s.lastSeenNanos() > idle && !s.hasHeldCalls() && s.getStream() == null) {
        removeSession(s);
        LOG.debug("MCP session expired");
      }
    }
  }

  private void removeSession(Session s) {
    if (sessions.remove(s.id(), s)) {
      sessionCount.decrementAndGet();
    }
    s.close();
  }

  /** Ends every session and stream and stops the gateway's threads. */
  @Override
  public void close() {
    closed = true;
    for (Session s : sessions.values()) {
      removeSession(s);
    }
    timer.shutdownNow();
    waiters.shutdownNow();
    guard.close();
  }

  // ---------------------------------------------------------------- helpers

  /** The session named by the request, or {@code null} after answering 400 or 404. */
  private Session session(Exchange ex) throws IOException {
    String sid = ex.header(SESSION_HEADER);
    if (sid == null) {
      transportError(ex, 400, "Bad Request: Mcp-Session-Id header is required");
      return null;
    }
    Session s = sessions.get(sid);
    if (s == null || s.isClosed()) {
      rpcError(ex, 404, NullNode.instance, SESSION_NOT_FOUND, "Session not found");
      return null;
    }
    s.touch(System.nanoTime());
    return s;
  }

  /** An unsupported {@code MCP-Protocol-Version} is a 400; absent means the negotiated one. */
  private boolean protocolVersionOk(Exchange ex) throws IOException {
    String v = ex.header(VERSION_HEADER);
    if (v == null || VERSIONS.contains(v.trim())) {
      return true;
    }
    transportError(ex, 400, "Bad Request: unsupported MCP-Protocol-Version");
    return false;
  }

  private static boolean isUnknownTool(ToolCallOutcome o) {
    return o.status() == ToolCallOutcome.Status.DENIED && "unknown_tool".equals(o.reason());
  }

  /** Whether strict parsing failed only on a duplicate key inside {@code params.arguments}. */
  private static boolean duplicateInArguments(StreamReadException e) {
    if (e.getProcessor() == null
        || e.getOriginalMessage() == null
        || !e.getOriginalMessage().startsWith("Duplicate field")) {
      return false;
    }
    return e.getProcessor()
        .getParsingContext()
        .pathAsPointer()
        .toString()
        .startsWith("/params/arguments/");
  }

  static boolean validId(JsonNode id) {
    return id != null && (id.isTextual() || id.isIntegralNumber());
  }

  /** Whether an {@code Accept} header admits {@code type/subtype} (wildcards count). */
  static boolean accepts(String accept, String type, String subtype) {
    if (accept == null) {
      return false;
    }
    for (String range : accept.split(",")) {
      int semi = range.indexOf(';');
      String mt = (semi < 0 ? range : range.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
      if (mt.equals("*/*") || mt.equals(type + "/*") || mt.equals(type + "/" + subtype)) {
        return true;
      }
    }
    return false;
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String mt = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return mt.equalsIgnoreCase(JSON_TYPE);
  }

  private String newSessionId() {
    byte[] raw = new byte[24];
    random.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  /** A random (version 4) UUID for tracing; not a secret, so no SecureRandom on the fast path. */
  private static String requestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(hi, lo).toString();
  }

  private static String text(JsonNode n) {
    return n != null && n.isTextual() ? n.textValue() : null;
  }

  /** The answer to a message that is not I-JSON; {@code path} is already well-formed. */
  static String notIJsonMessage(String prefix, String path) {
    return prefix + ": not I-JSON, lone UTF-16 surrogate at " + clip(path, 200);
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }

  private static ObjectNode response(JsonNode id, JsonNode result) {
    ObjectNode o = F.objectNode();
    o.put("jsonrpc", "2.0");
    o.set("id", id);
    o.set("result", result);
    return o;
  }

  private static ObjectNode errorMessage(JsonNode id, int code, String message) {
    ObjectNode o = F.objectNode();
    o.put("jsonrpc", "2.0");
    o.set("id", id);
    ObjectNode e = o.putObject("error");
    e.put("code", code);
    e.put("message", message);
    return o;
  }

  private static void result(Exchange ex, JsonNode id, JsonNode result) throws IOException {
    send(ex, 200, response(id, result));
  }

  private static void rpcError(Exchange ex, int status, JsonNode id, int code, String message)
      throws IOException {
    send(ex, status, errorMessage(id, code, message));
  }

  /**
   * Rejects a request at the transport level. Such a request's body may not have been read, so the
   * connection is closed after the answer: a keep-alive client must not send its next request into
   * a stream the server is about to drop.
   */
  private static void transportError(Exchange ex, int status, String message) throws IOException {
    ex.setHeader("Connection", "close");
    rpcError(ex, status, NullNode.instance, TRANSPORT_ERROR, message);
  }

  private static void send(Exchange ex, int status, ObjectNode message) throws IOException {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(message);
    } catch (JsonProcessingException e) {
      throw new IOException("could not serialise a response", e);
    }
    ex.respond(status, JSON_TYPE, bytes);
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
