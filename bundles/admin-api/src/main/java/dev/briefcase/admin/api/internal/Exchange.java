package dev.briefcase.admin.api.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.QuietException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * One admin request on Jetty: handlers run on the listener's request threads (or, for an event
 * stream, on the stream pool), never on a selector, and read bodies blocking. A whole answer
 * ({@link #send}, {@link #sendRaw}) is written by {@link #complete} without blocking, so a client
 * that never reads its answers (pipelining requests into a full receive window) holds its
 * connection until the idle timeout, never a request thread; streamed answers ({@link #stream})
 * block. {@link #complete} ends the exchange exactly once.
 */
final class Exchange {
  private final Request request;
  private final Response response;
  private final Callback callback;
  private final Runnable onAnswering;
  private final Runnable onDone;
  private final long bodyMillis;
  private final AtomicBoolean done = new AtomicBoolean();

  /** The whole answer {@link #complete} writes, if any; the last one set wins. */
  private volatile byte[] answer;

  /**
   * @param onAnswering runs when a whole answer starts being written (its deadline starts)
   * @param onDone runs once, when the exchange is over
   */
  Exchange(
      Request request,
      Response response,
      Callback callback,
      Runnable onAnswering,
      Runnable onDone,
      long bodyMillis) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.onAnswering = onAnswering;
    this.onDone = onDone;
    this.bodyMillis = bodyMillis;
  }

  String method() {
    return request.getMethod();
  }

  /** The path as sent (still percent-encoded). */
  String rawPath() {
    String path = request.getHttpURI().getPath();
    return path == null ? "/" : path;
  }

  /** The first value of a request header, or {@code null}. */
  String header(String name) {
    return request.getHeaders().get(name);
  }

  /**
   * The query parameters, decoded; a name without {@code =} is left out. A query that is not valid
   * percent-encoding is 400 {@code invalid_request}.
   */
  Map<String, String> query() throws HttpError {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = request.getHttpURI().getQuery();
    if (raw == null) {
      return out;
    }
    try {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          out.put(
              URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest("invalid_request", "the query is not valid percent-encoding");
    }
    return out;
  }

  /**
   * The request body, at most {@code max} bytes (413 {@code body_too_large} beyond). The whole body
   * must arrive within the body deadline: a client that trickles it has its connection closed, so
   * it cannot hold a request thread longer than that.
   */
  byte[] readBody(int max, String tooLarge) throws IOException, HttpError {
    Scheduler.Task cutOff =
        request
            .getComponents()
            .getScheduler()
            .schedule(
                () -> request.getConnectionMetaData().getConnection().getEndPoint().close(),
                bodyMillis,
                TimeUnit.MILLISECONDS);
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] body = in.readNBytes(max + 1);
      if (body.length > max) {
        throw new HttpError("body_too_large", tooLarge);
      }
      return body;
    } finally {
      cutOff.cancel();
    }
  }

  void setHeader(String name, String value) {
    response.getHeaders().put(name, value);
  }

  void send(int status, JsonNode body) throws IOException {
    sendRaw(status, "application/json", Views.JSON.writeValueAsBytes(body));
  }

  /** A whole answer of known length, never cached; written when the exchange completes. */
  void sendRaw(int status, String type, byte[] bytes) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    answer = bytes;
  }

  /** Starts an answer of unknown length (chunked); closing the stream ends the body. */
  OutputStream stream(int status, String type) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    return Content.Sink.asOutputStream(response);
  }

  /**
   * Ends the exchange (once): writes the whole answer, if there is one, and returns at once; the
   * exchange is over when the client has taken the answer (or the connection failed).
   */
  void complete() {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    byte[] body = answer;
    if (body == null) {
      onDone.run();
      callback.succeeded();
      return;
    }
    onAnswering.run();
    response.write(
        true,
        ByteBuffer.wrap(body),
        Callback.from(
            () -> {
              onDone.run();
              callback.succeeded();
            },
            failure -> {
              onDone.run();
              callback.failed(quiet(failure));
            }));
  }

  /**
   * Ends the exchange (once) after the connection failed (the client went away, or a deadline
   * closed it); Jetty aborts the connection. Marked quiet, so that Jetty logs it at DEBUG: a client
   * that trickles its body must not fill the log with stack traces.
   */
  void fail(IOException failure) {
    if (done.compareAndSet(false, true)) {
      onDone.run();
      callback.failed(quiet(failure));
    }
  }

  private static Throwable quiet(Throwable failure) {
    return failure instanceof QuietException ? failure : new EofException(failure);
  }
}
