package dev.briefcase.gateway.mcp.internal;

import static dev.briefcase.gateway.mcp.internal.JsonRpc.F;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.NOT_INITIALIZED;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.result;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.rpcError;
import static dev.briefcase.gateway.mcp.internal.JsonRpc.transportError;

import dev.briefcase.gateway.mcp.internal.JsonRpc.Message;
import dev.briefcase.tools.ApprovalWatch;
import dev.briefcase.tools.ToolCallService;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP server of SPEC §10 over the streamable HTTP transport (MCP 2025-11-25 and 2025-06-18),
 * independent of the servlet container. This class is the HTTP side: Host, Origin and token checks
 * ({@link Guard}), the POST / GET / DELETE rules, and routing a message to the {@link Sessions
 * session table} and the {@link McpMethods methods}; {@link JsonRpc} frames the messages and {@link
 * HeldCalls} holds a call open on SSE while a human decides. GET opens the session's SSE channel
 * for {@code notifications/tools/list_changed}; DELETE ends a session.
 *
 * <p>Kernel services are looked up per request through suppliers, so a missing kernel answers
 * {@code -32603 Briefcase kernel unavailable} and never hangs. Thread-safe; {@link #close()} ends
 * every session, stream and thread.
 */
final class McpEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);

  static final int MAX_BODY = 4 << 20;
  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";

  static final String LIST_CHANGED =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}";

  private final Settings settings;
  private final Guard guard;
  private final Sessions sessions;
  private final HeldCalls held;
  private final McpMethods methods;
  private final ScheduledExecutorService timer;

  McpEndpoint(Settings settings, Supplier<ToolCallService> tools, Supplier<ApprovalWatch> watch) {
    this.settings = settings;
    this.guard = new Guard(settings);
    this.sessions = new Sessions(settings);
    Results results = new Results(JsonRpc.JSON, settings.mode());
    this.held =
        new HeldCalls(
            settings,
            tools,
            watch,
            results,
            new ThreadPoolExecutor(
                0,
                Math.max(1, settings.maxHeld()),
                60,
                TimeUnit.SECONDS,
                new SynchronousQueue<>(),
                threads("briefcase-mcp-held-")));
    this.methods = new McpMethods(settings, tools, sessions, held, results);
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, threads("briefcase-mcp-"));
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
  }

  /** Loads the token if configuration requires one and starts the keep-alive and expiry timers. */
  void start() throws IOException {
    guard.start();
    timer.scheduleAtFixedRate(
        sessions::keepAlive,
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
    return sessions.count();
  }

  /** Serves one HTTP request on the MCP endpoint. */
  void handle(Exchange ex) throws IOException {
    if (sessions.isClosed()) {
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

  /** One JSON-RPC message; everything but {@code initialize} and a bare ping needs a session. */
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
    Message m = JsonRpc.read(ex, body);
    if (m == null) {
      return;
    }
    if (m.isResponse()) {
      // a response to a server request; we send none, so there is nothing to match it to
      if (sessions.lookup(ex) != null) {
        ex.respond(202, null, null);
      }
      return;
    }
    if (m.isRequest() && "initialize".equals(m.method())) {
      methods.initialize(ex, m.id(), m.params());
      return;
    }
    if (ex.header(SESSION_HEADER) == null) {
      if (m.isRequest() && "ping".equals(m.method())) {
        result(ex, m.id(), F.objectNode());
      } else if (m.isRequest()) {
        rpcError(
            ex,
            400,
            m.id(),
            NOT_INITIALIZED,
            "Server not initialized: send initialize first, then its Mcp-Session-Id");
      } else {
        transportError(ex, 400, "Bad Request: Mcp-Session-Id header is required");
      }
      return;
    }
    Session s = sessions.lookup(ex);
    if (s == null || !protocolVersionOk(ex)) {
      return;
    }
    if (m.isRequest()) {
      methods.request(ex, s, m);
    } else {
      methods.notification(s, m.method(), m.params());
      ex.respond(202, null, null);
    }
  }

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
    Session s = sessions.lookup(ex);
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
    Session s = sessions.lookup(ex);
    if (s == null || !protocolVersionOk(ex)) {
      return;
    }
    sessions.remove(s);
    ex.respond(202, null, null);
    LOG.debug("MCP session ended by the client");
  }

  /** Tells every open GET stream that the tool list changed; returns at once. */
  void toolsChanged() {
    if (sessions.isClosed()) {
      return;
    }
    try {
      timer.execute(() -> sessions.broadcast(LIST_CHANGED));
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  /** Removes sessions idle for longer than the configured time; runs on the timer. */
  void sweep() {
    sessions.sweep();
  }

  /** Ends every session and stream and stops the gateway's threads. */
  @Override
  public void close() {
    sessions.close();
    timer.shutdownNow();
    held.close();
    guard.close();
  }

  /** An unsupported {@code MCP-Protocol-Version} is a 400; absent means the negotiated one. */
  private static boolean protocolVersionOk(Exchange ex) throws IOException {
    String v = ex.header(VERSION_HEADER);
    if (v == null || McpMethods.VERSIONS.contains(v.trim())) {
      return true;
    }
    transportError(ex, 400, "Bad Request: unsupported MCP-Protocol-Version");
    return false;
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
    return mt.equalsIgnoreCase(JsonRpc.JSON_TYPE);
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
