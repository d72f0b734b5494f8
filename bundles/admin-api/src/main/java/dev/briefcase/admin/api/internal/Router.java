package dev.briefcase.admin.api.internal;

import dev.briefcase.edge.LoopbackAuthority;
import dev.briefcase.error.BriefcaseException;
import dev.briefcase.secrets.Sensitive;
import java.io.IOException;
import java.util.Map;
import java.util.function.IntSupplier;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every admin request: the {@code Host} check (DNS rebinding), the open routes, the bearer token
 * for {@code /v1}, then the resource family named by the first path segment. Errors become {@code
 * {code, message}} with the status from {@link ErrorStatus}. Runs on the listener's request threads
 * (a blocking handler).
 */
final class Router extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(Router.class);

  /** One resource family under {@code /v1}. */
  interface Resource {
    /**
     * Serves a request.
     *
     * @param p the path after {@code /v1} split at {@code /}: {@code p[0]} is empty, {@code p[1]}
     *     the family
     */
    void serve(Exchange ex, String[] p) throws IOException, HttpError;
  }

  private final Sensitive<byte[]> token;
  private final OpenRoutes open;
  private final Map<String, Resource> families;
  private final SseStreams streams;
  private final RequestDeadlines deadlines;
  private final long bodyMillis;
  private final IntSupplier boundPort;

  Router(
      Sensitive<byte[]> token,
      OpenRoutes open,
      Map<String, Resource> families,
      SseStreams streams,
      RequestDeadlines deadlines,
      long bodyMillis,
      IntSupplier boundPort) {
    this.token = token;
    this.open = open;
    this.families = Map.copyOf(families);
    this.streams = streams;
    this.deadlines = deadlines;
    this.bodyMillis = bodyMillis;
    this.boundPort = boundPort;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    Connection connection = request.getConnectionMetaData().getConnection();
    deadlines.requestStarted(connection);
    Exchange ex =
        new Exchange(
            request,
            response,
            callback,
            () -> deadlines.answerStarted(connection),
            () -> deadlines.requestEnded(connection),
            bodyMillis);
    try {
      serve(ex);
    } catch (IOException e) {
      LOG.debug("client went away", e);
      ex.fail(e);
      return true;
    }
    // an event stream carries on on the stream pool, which completes its exchange
    if (!streams.handedOff(ex)) {
      ex.complete();
    }
    return true;
  }

  private void serve(Exchange ex) throws IOException {
    try {
      if (!LoopbackAuthority.host(ex.header("Host"), boundPort.getAsInt())) {
        // DNS rebinding: a web page whose name now points at 127.0.0.1 sends its own name
        throw new HttpError(
            "invalid_host", "Host must be a loopback name with this listener's port");
      }
      String path = ex.rawPath();
      if (open.serves(path)) {
        open.serve(ex, path);
        return;
      }
      if (!path.startsWith("/v1/")) {
        throw HttpError.notFound();
      }
      if (!TokenFile.matches(token, ex.header("Authorization"))) {
        throw new HttpError("unauthorized", "missing or wrong bearer token");
      }
      String[] p = path.substring(3).split("/", -1); // "", "tools", ...
      Resource family = families.get(p.length > 1 ? p[1] : "");
      if (family == null) {
        throw HttpError.notFound();
      }
      family.serve(ex, p);
    } catch (HttpError e) {
      answer(ex, e.code, e.getMessage());
    } catch (BriefcaseException e) {
      // every service family's refusal or failure, caught once here: its code picks the status
      answer(ex, e.code(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("admin API request failed", e);
      ex.send(500, Views.error("internal_error", "internal_error"));
    }
  }

  private static void answer(Exchange ex, String code, String message) throws IOException {
    ex.send(ErrorStatus.of(code), Views.error(code, message));
  }
}
