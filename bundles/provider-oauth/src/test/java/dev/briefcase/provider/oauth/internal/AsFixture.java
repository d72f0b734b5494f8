package dev.briefcase.provider.oauth.internal;

import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.keys.internal.AsTestKeys;
import dev.briefcase.secrets.memory.internal.MemorySecretStore;
import dev.briefcase.signer.software.internal.SoftwareSigner;
import dev.briefcase.store.Store;
import dev.briefcase.store.internal.SqliteStore;
import dev.briefcase.testing.BundleContexts;
import dev.briefcase.testing.MemoryReceiptLog;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.osgi.framework.BundleContext;

/**
 * The AS servlet on an embedded Jetty 12 (the routes of the provider listener) over the real SQLite
 * store and key directory with the software signer. {@link #restart} builds a new AS over the same
 * store and keys, as a provider restart would.
 */
public final class AsFixture implements AutoCloseable {
  public final URI base;
  public final KeyDirectory keys;
  final Store store;
  private final Server jetty;
  private volatile OAuthServlet servlet;
  private volatile AuthorizationServer as;
  private final OAuthServlet.Config config;

  /** The AS's clock: the system clock plus {@link #advance}d time. */
  final MovableClock clock = new MovableClock();

  private AsFixture(OAuthServlet.Config config, int port) throws Exception {
    this.config = config;
    this.base = URI.create(config.base_url());
    Path dir = Files.createTempDirectory("briefcase-provider-oauth");
    BundleContext context = BundleContexts.withoutProperties();
    MemorySecretStore secrets = new MemorySecretStore(context);
    MemoryReceiptLog receipts = new MemoryReceiptLog();
    store = new SqliteStore(dir.resolve("briefcase.db"));
    keys = AsTestKeys.create(store, receipts, new SoftwareSigner(secrets, context));
    restart();
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    jetty.addConnector(connector);
    ServletContextHandler ctx = new ServletContextHandler();
    ctx.setContextPath("/");
    ServletHolder holder =
        new ServletHolder(
            new HttpServlet() {
              private static final long serialVersionUID = 1L;

              @Override
              protected void service(HttpServletRequest req, HttpServletResponse resp)
                  throws ServletException, IOException {
                servlet.service(req, resp);
              }
            });
    for (String pattern :
        new String[] {
          OAuthServlet.AS_METADATA,
          OAuthServlet.PR_METADATA,
          "/oauth/register",
          "/oauth/authorize",
          "/oauth/token",
          "/oauth/revoke"
        }) {
      ctx.addServlet(holder, pattern);
    }
    jetty.setHandler(ctx);
    jetty.start();
  }

  static AsFixture start() throws Exception {
    return start("auto", false);
  }

  public static AsFixture start(String consent, boolean nonces) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return new AsFixture(config("http://127.0.0.1:" + port, consent, nonces), port);
  }

  /** A new AS (fresh memory: codes, replay cache) over the same store and keys. */
  void restart() {
    as = OAuthServlet.create(store, keys, config, clock);
    servlet = new OAuthServlet(as);
  }

  AuthorizationServer as() {
    return as;
  }

  /** How many grants the AS has revoked. */
  public int revokedGrants() {
    return as.revokedGrants().size();
  }

  public String url(String path) {
    return base + path;
  }

  /** Moves the AS's clock forward (lifetimes are tested without waiting). */
  void advance(java.time.Duration by) {
    clock.offset = clock.offset.plus(by);
  }

  static final class MovableClock extends Clock {
    volatile java.time.Duration offset = java.time.Duration.ZERO;

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.now().plus(offset);
    }
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }

  static OAuthServlet.Config config(String baseUrl, String consent, boolean nonces) {
    return new OAuthServlet.Config() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return OAuthServlet.Config.class;
      }

      @Override
      public String base_url() {
        return baseUrl;
      }

      @Override
      public String consent() {
        return consent;
      }

      @Override
      public String scopes() {
        return "quote vc";
      }

      @Override
      public long access_token_ttl_seconds() {
        return 600;
      }

      @Override
      public long refresh_token_ttl_seconds() {
        return 2_592_000;
      }

      @Override
      public long code_ttl_seconds() {
        return 300;
      }

      @Override
      public boolean use_dpop_nonce() {
        return nonces;
      }

      @Override
      public int max_clients() {
        return 100;
      }
    };
  }
}
