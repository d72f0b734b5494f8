package dev.briefcase.admin.api.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.IntSupplier;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The admin API's own loopback listener: an embedded Jetty 12 server (the packages exported by
 * Felix HTTP's Jetty bundle), separate from the MCP gateway's. Jetty reads request heads on its
 * selector without a thread per connection, so slow clients hold no request thread; the limits
 * below bound what they can hold instead.
 */
final class AdminListener {
  /** Seconds without any traffic before a connection is closed; above the stream keep-alive. */
  static final int IDLE_TIMEOUT_SECONDS = 30;

  /** Seconds a connection has to deliver a whole request head, however it trickles the bytes. */
  static final int HEADER_DEADLINE_SECONDS = 5;

  /** Seconds a request body must arrive in, whole. */
  static final int BODY_DEADLINE_SECONDS = 10;

  /** Seconds a client has to take a whole (not streamed) answer. */
  static final int ANSWER_DEADLINE_SECONDS = 10;

  /**
   * Open connections at most; beyond, new ones wait in the accept backlog. A full listener closes
   * its idle kept-alive connections ({@link RequestDeadlines}) to make room.
   */
  static final int MAX_CONNECTIONS = 256;

  /** Bytes of a request line and headers at most (431 beyond). */
  static final int MAX_HEADER_BYTES = 8 * 1024;

  private final Server server;
  private final ServerConnector connector;
  private final RequestDeadlines deadlines;

  /**
   * Starts listening on {@code bind} with {@code threads} request threads.
   *
   * @param router serves every request; gets {@link #deadlines()} to mark requests
   */
  AdminListener(InetSocketAddress bind, int threads, RouterFactory router) throws IOException {
    QueuedThreadPool pool = new QueuedThreadPool(Math.max(4, threads) + 2, 2);
    pool.setName("briefcase-admin");
    pool.setDaemon(true);
    this.server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(MAX_HEADER_BYTES);
    // The router splits the raw path at literal '/' and decodes a segment only as a name (a key
    // role such as dpop:a%2Fb), never as a file path, so encoded separators and dots in a segment
    // are data: answer them with the route's own error code instead of Jetty's 400 page.
    http.setUriCompliance(
        UriCompliance.DEFAULT.with(
            "briefcase-admin",
            UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
            UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT,
            UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING,
            UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT));
    this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(bind.getAddress().getHostAddress());
    connector.setPort(bind.getPort());
    connector.setIdleTimeout(IDLE_TIMEOUT_SECONDS * 1000L);
    this.deadlines =
        new RequestDeadlines(
            HEADER_DEADLINE_SECONDS * 1000L, ANSWER_DEADLINE_SECONDS * 1000L, MAX_CONNECTIONS);
    connector.addEventListener(deadlines);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
    server.setHandler(
        router.create(deadlines, BODY_DEADLINE_SECONDS * 1000L, connector::getLocalPort));
    try {
      server.start();
    } catch (Exception e) {
      stop();
      throw new IOException("admin API listener did not start on " + bind + ": " + e, e);
    }
  }

  /** Builds the request handler once the listener's deadlines exist. */
  interface RouterFactory {
    Router create(RequestDeadlines deadlines, long bodyMillis, IntSupplier boundPort);
  }

  /** The port actually bound. */
  int port() {
    return connector.getLocalPort();
  }

  void stop() {
    deadlines.stop();
    try {
      server.stop();
    } catch (Exception e) {
      // stopping for good: nothing is left to do with a listener that will not stop cleanly
    }
  }
}
