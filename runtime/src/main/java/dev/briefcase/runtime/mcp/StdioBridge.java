package dev.briefcase.runtime.mcp;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code briefcase mcp}: MCP over stdio for agents that spawn stdio servers, relayed to the
 * kernel's streamable-HTTP MCP endpoint (MCP 2025-11-25 transports).
 *
 * <p>Each line of standard input is one JSON-RPC message, POSTed as it is. Every JSON-RPC message
 * the endpoint answers (a JSON body, or each event of an SSE body, or the session's GET event
 * stream) goes to standard output as one compact line; nothing else is ever written there. When the
 * endpoint cannot answer a request, the bridge answers it with a JSON-RPC error (-32603) so that no
 * client waits forever. Requests run concurrently (a small pool) and are answered in whatever order
 * the server answers; notifications and responses from the client are sent in their order. Writes
 * to standard output are serialised one whole line at a time.
 *
 * <p>The bridge holds no secret except the gateway's optional bearer token, which only ever goes
 * into the {@code Authorization} header. Log lines (standard error) never contain message bodies.
 */
public final class StdioBridge {
  /** The longest accepted input line; a longer one is answered with -32600 and skipped. */
  public static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  /** The error message when the server no longer knows the session. */
  public static final String SESSION_EXPIRED = "session expired; restart the MCP client";

  /** Exit code when the MCP endpoint could never be found or started. */
  public static final int EXIT_NOT_RUNNING = 4;

  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  static final int INTERNAL_ERROR = -32603;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_PARALLEL_REQUESTS = 16;
  private static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
  private static final int MAX_ERROR_BODY_BYTES = 1024 * 1024;
  private static final long RECONNECT_MIN_MILLIS = 500;
  private static final long RECONNECT_MAX_MILLIS = 30_000;
  private static final int RESUME_ATTEMPTS = 3;

  /** One message read from standard input. */
  private record Message(byte[] raw, JsonNode id, String method, boolean request) {
    boolean isInitialize() {
      return request && "initialize".equals(method);
    }

    String label() {
      return method != null ? method : "response";
    }
  }

  private final McpEndpointResolver resolver;
  private final OutputStream stdout;
  private final BridgeLog log;
  private final Duration requestTimeout;
  private final ObjectMapper mapper =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private final HttpClient http;
  private final ThreadPoolExecutor requests;
  private final ExecutorService ordered;
  private final Object writeLock = new Object();

  private volatile McpEndpoint endpoint;
  private volatile boolean resolveFailed;
  private volatile String sessionId;
  private volatile String protocolVersion;
  private volatile boolean closing;
  private volatile boolean stdoutBroken;
  private volatile boolean expiredLogged;
  private volatile Thread events;
  private volatile InputStream eventBody;

  /**
   * @param resolver finds (and if allowed starts) the kernel's MCP endpoint
   * @param stdout where JSON-RPC lines go (standard output in production)
   * @param log standard-error log
   * @param requestTimeout how long to wait for the headers of an answer to one POST
   */
  public StdioBridge(
      McpEndpointResolver resolver, OutputStream stdout, BridgeLog log, Duration requestTimeout) {
    this.resolver = resolver;
    this.stdout = stdout;
    this.log = log;
    this.requestTimeout = requestTimeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
    this.requests =
        new ThreadPoolExecutor(
            MAX_PARALLEL_REQUESTS,
            MAX_PARALLEL_REQUESTS,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            daemonThreads("briefcase-mcp-request"));
    this.requests.allowCoreThreadTimeOut(true);
    this.ordered = Executors.newSingleThreadExecutor(daemonThreads("briefcase-mcp-notify"));
  }

  /**
   * Relays until standard input ends, then ends the session ({@code DELETE}) and returns the exit
   * code: 0, or {@link #EXIT_NOT_RUNNING} if the endpoint could never be found or started.
   */
  public int run(InputStream stdin) {
    LineReader lines = new LineReader(stdin, MAX_LINE_BYTES);
    try {
      byte[] line;
      while ((line = lines.next()) != null) {
        if (line == LineReader.TOO_LONG) {
          log.info("skipped a message longer than 4 MiB");
          writeError(
              NullNode.getInstance(),
              INVALID_REQUEST,
              "Invalid Request: message longer than 4 MiB");
        } else if (!isBlank(line)) {
          dispatch(line);
        }
      }
    } catch (IOException e) {
      log.info("standard input failed: " + e.getClass().getSimpleName());
    }
    return shutdown();
  }

  private void dispatch(byte[] line) {
    JsonNode node;
    try {
      node = mapper.readTree(line);
    } catch (IOException e) {
      writeError(NullNode.getInstance(), PARSE_ERROR, "Parse error");
      return;
    }
    if (node == null || !node.isObject()) {
      writeError(
          NullNode.getInstance(),
          INVALID_REQUEST,
          node != null && node.isArray()
              ? "Invalid Request: JSON-RPC batches are not supported"
              : "Invalid Request");
      return;
    }
    JsonNode methodNode = node.get("method");
    String method = methodNode != null && methodNode.isTextual() ? methodNode.asText() : null;
    JsonNode id = node.get("id");
    boolean request = method != null && id != null;
    Message message = new Message(line, id == null ? NullNode.getInstance() : id, method, request);
    if (message.isInitialize()) {
      // nothing may follow initialize before its answer, and later messages need its session
      handle(message);
    } else if (request) {
      requests.execute(() -> handle(message));
    } else {
      ordered.execute(() -> handle(message));
    }
  }

  private void handle(Message message) {
    long start = System.nanoTime();
    String outcome;
    try {
      McpEndpoint ep = endpoint();
      outcome = post(ep, message);
    } catch (BridgeUnavailableException e) {
      outcome = "not sent";
      fail(message, e.getMessage(), false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome = "interrupted";
      fail(message, "the bridge is shutting down", false);
    } catch (RuntimeException e) {
      outcome = "bridge error " + e.getClass().getSimpleName();
      fail(message, "internal error in briefcase mcp (" + e.getClass().getSimpleName() + ")", true);
    }
    log.verbose(
        message.label()
            + ": "
            + outcome
            + " in "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
            + " ms");
  }

  private McpEndpoint endpoint() throws BridgeUnavailableException, InterruptedException {
    McpEndpoint ep = endpoint;
    if (ep != null) {
      return ep;
    }
    try {
      ep = resolver.resolve();
    } catch (BridgeUnavailableException e) {
      resolveFailed = true;
      throw e;
    }
    endpoint = ep;
    return ep;
  }

  /** POSTs one message and relays the answer; returns a short outcome for the verbose log. */
  private String post(McpEndpoint ep, Message message) throws InterruptedException {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(ep.uri())
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(message.raw()));
    authorize(req, ep);
    String sentSession = null;
    if (!message.isInitialize()) {
      sentSession = sessionId;
      addSession(req, sentSession);
    }
    HttpResponse<InputStream> res;
    try {
      res = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      fail(message, "Briefcase did not answer within " + requestTimeout.toSeconds() + " s", true);
      return "timeout";
    } catch (IOException e) {
      fail(message, "Briefcase is not reachable at " + ep.uri(), true);
      return "unreachable";
    }
    int status = res.statusCode();
    String type = res.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
    try (InputStream body = res.body()) {
      if (message.isInitialize() && status / 100 == 2) {
        String session = res.headers().firstValue("Mcp-Session-Id").orElse(null);
        if (!Objects.equals(session, sessionId)) {
          stopEvents();
          sessionId = session;
        }
      }
      if (status == 404 && sentSession != null) {
        if (!expiredLogged) {
          expiredLogged = true;
          log.info("the server no longer knows this MCP session; " + SESSION_EXPIRED);
        }
        fail(message, SESSION_EXPIRED, false);
        return "HTTP 404 (session expired)";
      }
      if (status / 100 != 2) {
        relayError(message, status, readUpTo(body, MAX_ERROR_BODY_BYTES));
        return "HTTP " + status;
      }
      if (type.startsWith("text/event-stream")) {
        relaySse(ep, message, body);
        return "HTTP " + status + " event stream";
      }
      byte[] bytes = readUpTo(body, MAX_BODY_BYTES);
      if (isBlank(bytes)) {
        if (message.request()) {
          fail(message, "Briefcase accepted the request without answering it", true);
        }
        return "HTTP " + status;
      }
      relayJson(message, bytes);
      return "HTTP " + status + " json";
    } catch (IOException e) {
      fail(message, "could not read the answer from Briefcase", true);
      return "HTTP " + status + " broken";
    } finally {
      if (message.isInitialize() && status / 100 == 2 && !closing) {
        startEvents(ep);
      }
    }
  }

  private void relayJson(Message message, byte[] bytes) {
    JsonNode node;
    try {
      node = mapper.readTree(bytes);
    } catch (IOException e) {
      fail(message, "Briefcase sent an answer that is not JSON", true);
      return;
    }
    boolean answered = false;
    if (node != null && node.isArray()) {
      for (JsonNode element : node) {
        answered |= emit(element, message, true);
      }
    } else if (node != null && node.isObject()) {
      answered = emit(node, message, true);
    }
    if (message.request() && !answered) {
      fail(message, "Briefcase answered without a response to this request", true);
    }
  }

  private void relayError(Message message, int status, byte[] bytes) {
    JsonNode node = null;
    try {
      node = bytes.length == 0 ? null : mapper.readTree(bytes);
    } catch (IOException e) {
      // not JSON: answered below from the status
    }
    if (message.request()
        && node != null
        && node.isObject()
        && node.path("error").isObject()
        && !node.has("method")) {
      emit(node, message, true);
      return;
    }
    String reason =
        switch (status) {
          case 401 -> "Briefcase refused the MCP token (HTTP 401)";
          case 403 -> "Briefcase refused the request (HTTP 403)";
          default ->
              status >= 500
                  ? "Briefcase failed to answer (HTTP " + status + ")"
                  : "Briefcase refused the request (HTTP " + status + ")";
        };
    fail(message, reason, true);
  }

  private void relaySse(McpEndpoint ep, Message message, InputStream body)
      throws InterruptedException {
    SseReader sse = new SseReader(body);
    if (readEvents(sse, message)) {
      return;
    }
    if (!message.request()) {
      return;
    }
    // MCP 2025-11-25: a server may end the stream early; the client resumes with Last-Event-ID
    String lastId = sse.lastEventId();
    long delay = sse.retryMillis() >= 0 ? sse.retryMillis() : RECONNECT_MIN_MILLIS;
    for (int attempt = 0; lastId != null && attempt < RESUME_ATTEMPTS && !closing; attempt++) {
      Thread.sleep(Math.min(delay, RECONNECT_MAX_MILLIS));
      HttpResponse<InputStream> res;
      try {
        res = http.send(streamRequest(ep, lastId), HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        continue;
      }
      try (InputStream resumed = res.body()) {
        if (res.statusCode() != 200 || !isEventStream(res)) {
          break;
        }
        SseReader more = new SseReader(resumed);
        if (readEvents(more, message)) {
          return;
        }
        if (more.lastEventId() != null) {
          lastId = more.lastEventId();
        }
      } catch (IOException e) {
        // closing a broken stream: try again
      }
    }
    fail(message, "Briefcase ended the response stream without an answer", true);
  }

  /** Relays each event's message; true once the response to {@code message} has been relayed. */
  private boolean readEvents(SseReader sse, Message message) {
    try {
      SseReader.Event event;
      while ((event = sse.next()) != null) {
        if (event.data().isBlank()) {
          continue; // a priming event: only its id matters
        }
        JsonNode node;
        try {
          node = mapper.readTree(event.data());
        } catch (IOException e) {
          log.info("skipped an event that is not JSON");
          continue;
        }
        if (node != null && node.isObject() && emit(node, message, false)) {
          return true;
        }
      }
    } catch (IOException e) {
      // the stream broke: the caller resumes or answers with an error
    }
    return false;
  }

  /**
   * Writes one message to standard output; true if it is the response to {@code message}. An error
   * response without an id that answers a POST body is given the request's id, because a client
   * cannot match an error with a null id to its request and would wait forever.
   */
  private boolean emit(JsonNode node, Message message, boolean fixNullId) {
    boolean response = !node.has("method") && (node.has("result") || node.has("error"));
    if (response && message.request() && fixNullId && node.has("error")) {
      JsonNode id = node.get("id");
      if (id == null || id.isNull()) {
        ((ObjectNode) node).set("id", message.id());
      }
    }
    boolean answers = response && message.request() && sameId(node.get("id"), message.id());
    if (answers && message.isInitialize()) {
      JsonNode version = node.path("result").path("protocolVersion");
      if (version.isTextual()) {
        protocolVersion = version.asText();
      }
    }
    write(node);
    return answers;
  }

  private static boolean sameId(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return false;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }

  private void fail(Message message, String reason, boolean logIt) {
    if (message.request()) {
      writeError(message.id(), INTERNAL_ERROR, reason);
    } else if (logIt) {
      log.info(
          "a "
              + (message.method() != null ? "notification" : "response")
              + " was not delivered: "
              + reason);
    }
  }

  private void writeError(JsonNode id, int code, String message) {
    ObjectNode node = mapper.createObjectNode();
    node.put("jsonrpc", "2.0");
    node.set("id", id);
    ObjectNode error = node.putObject("error");
    error.put("code", code);
    error.put("message", message);
    write(node);
  }

  /** One compact JSON line: Jackson escapes control characters, so no message spans lines. */
  private void write(JsonNode node) {
    byte[] bytes;
    try {
      bytes = mapper.writeValueAsBytes(node);
    } catch (IOException e) {
      log.info("could not encode a message: " + e.getClass().getSimpleName());
      return;
    }
    synchronized (writeLock) {
      if (stdoutBroken) {
        return;
      }
      try {
        stdout.write(bytes);
        stdout.write('\n');
        stdout.flush();
      } catch (IOException e) {
        stdoutBroken = true;
        log.info("standard output is closed; dropping messages");
      }
    }
  }

  // --- the session's GET event stream: server-initiated messages ---

  private void startEvents(McpEndpoint ep) {
    if (events != null) {
      return;
    }
    String session = sessionId;
    Thread thread = daemonThreads("briefcase-mcp-events").newThread(() -> listen(ep, session));
    events = thread;
    thread.start();
  }

  private void stopEvents() {
    Thread thread = events;
    events = null;
    if (thread != null) {
      thread.interrupt();
      closeQuietly(eventBody);
    }
  }

  private void listen(McpEndpoint ep, String session) {
    String lastId = null;
    long delay = RECONNECT_MIN_MILLIS;
    while (!closing
        && Objects.equals(session, sessionId)
        && !Thread.currentThread().isInterrupted()) {
      HttpResponse<InputStream> res;
      try {
        res = http.send(streamRequest(ep, lastId), HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        if (!sleep(delay)) {
          return;
        }
        delay = Math.min(delay * 2, RECONNECT_MAX_MILLIS);
        continue;
      } catch (InterruptedException e) {
        return;
      }
      int status = res.statusCode();
      boolean delivered = false;
      try (InputStream body = res.body()) {
        if (status == 405) {
          log.verbose("the server offers no event stream (HTTP 405)");
          return;
        }
        if (status == 404 && session != null) {
          if (!closing && !expiredLogged) {
            expiredLogged = true;
            log.info("the server no longer knows this MCP session; " + SESSION_EXPIRED);
          }
          return;
        }
        if (status != 200 || !isEventStream(res)) {
          if (status >= 400 && status < 500) {
            log.info("the server refused the event stream (HTTP " + status + ")");
            return;
          }
        } else {
          eventBody = body;
          log.verbose("event stream open");
          SseReader sse = new SseReader(body);
          delivered = relayEvents(sse);
          if (sse.lastEventId() != null) {
            lastId = sse.lastEventId();
          }
          if (sse.retryMillis() >= 0) {
            delay = Math.max(sse.retryMillis(), 100);
          }
        }
      } catch (IOException e) {
        // closing a broken stream
      } finally {
        eventBody = null;
      }
      if (closing) {
        return;
      }
      log.verbose("event stream ended; reconnecting");
      if (!sleep(delay)) {
        return;
      }
      delay = delivered ? RECONNECT_MIN_MILLIS : Math.min(delay * 2, RECONNECT_MAX_MILLIS);
    }
  }

  private boolean relayEvents(SseReader sse) {
    boolean delivered = false;
    try {
      SseReader.Event event;
      while (!closing && (event = sse.next()) != null) {
        if (event.data().isBlank()) {
          continue;
        }
        try {
          JsonNode node = mapper.readTree(event.data());
          if (node != null && node.isObject()) {
            write(node);
            delivered = true;
          }
        } catch (IOException e) {
          log.info("skipped an event that is not JSON");
        }
      }
    } catch (IOException e) {
      // dropped: the caller reconnects
    }
    return delivered;
  }

  private HttpRequest streamRequest(McpEndpoint ep, String lastEventId) {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(ep.uri()).header("Accept", "text/event-stream").GET();
    authorize(req, ep);
    addSession(req, sessionId);
    if (lastEventId != null) {
      req.header("Last-Event-ID", lastEventId);
    }
    return req.build();
  }

  // --- shutdown ---

  private int shutdown() {
    requests.shutdown();
    ordered.shutdown();
    try {
      long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
      boolean drained =
          requests.awaitTermination(DRAIN_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)
              && ordered.awaitTermination(
                  Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (!drained) {
        log.info("standard input ended with requests still in flight; not waiting for them");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closing = true;
    requests.shutdownNow();
    ordered.shutdownNow();
    stopEvents();
    McpEndpoint ep = endpoint;
    String session = sessionId;
    if (ep != null && session != null) {
      HttpRequest.Builder req = HttpRequest.newBuilder(ep.uri()).timeout(DELETE_TIMEOUT).DELETE();
      authorize(req, ep);
      addSession(req, session);
      try {
        int status = http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        log.verbose("session ended (HTTP " + status + ")");
      } catch (IOException e) {
        log.verbose("could not end the session: " + e.getClass().getSimpleName());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return ep == null && resolveFailed ? EXIT_NOT_RUNNING : 0;
  }

  // --- helpers ---

  private static void authorize(HttpRequest.Builder req, McpEndpoint ep) {
    if (ep.token() != null) {
      req.header("Authorization", "Bearer " + ep.token());
    }
  }

  private void addSession(HttpRequest.Builder req, String session) {
    if (session != null) {
      req.header("Mcp-Session-Id", session);
    }
    String version = protocolVersion;
    if (version != null) {
      req.header("MCP-Protocol-Version", version);
    }
  }

  private static boolean isEventStream(HttpResponse<?> res) {
    return res.headers()
        .firstValue("Content-Type")
        .orElse("")
        .toLowerCase(Locale.ROOT)
        .startsWith("text/event-stream");
  }

  private static byte[] readUpTo(InputStream in, int max) throws IOException {
    byte[] bytes = in.readNBytes(max + 1);
    if (bytes.length > max) {
      throw new IOException("answer longer than " + max + " bytes");
    }
    return bytes;
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }

  private boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return !closing;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // nothing more to release
      }
    }
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
