package dev.briefcase.provider.oauth.internal;

import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.store.Store;
import dev.briefcase.store.StoreException;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference AS's routes on the provider listener (CONTRACT.md): a thin servlet over {@link
 * AuthorizationServer}. It bounds what it reads (query and body size, parameter count, one value
 * per parameter), answers JSON with {@code Cache-Control: no-store} and the profile header, and
 * never logs a parameter value.
 */
@Component(
    service = Servlet.class,
    configurationPid = OAuthServlet.PID,
    property = "osgi.http.whiteboard.target=" + OAuthServlet.LISTENER)
@Designate(ocd = OAuthServlet.Config.class)
@HttpWhiteboardServletName("briefcase-provider-oauth")
@HttpWhiteboardServletPattern({
  OAuthServlet.AS_METADATA,
  OAuthServlet.PR_METADATA,
  "/oauth/register",
  "/oauth/authorize",
  "/oauth/token",
  "/oauth/revoke"
})
public final class OAuthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(OAuthServlet.class);

  static final String PID = "dev.briefcase.provider.oauth";
  static final String LISTENER = "(org.apache.felix.http.name=briefcase-provider)";
  static final String AS_METADATA = "/.well-known/oauth-authorization-server";
  static final String PR_METADATA = "/.well-known/oauth-protected-resource";
  static final String PROFILE_HEADER = "x-briefcase-compatibility-profile";
  static final int MAX_BODY = 16 * 1024;

  /** The most of a refused body read and dropped so that the client gets the 413. */
  static final int MAX_DRAIN = 256 * 1024;

  static final int MAX_QUERY = 8 * 1024;
  static final int MAX_PARAMS = 32;

  @ObjectClassDefinition(
      name = "Briefcase reference provider: OAuth authorization server",
      description =
          "The reference provider's OAuth 2.1 AS (SPEC §8.3): metadata, registration, PKCE"
              + " authorization, DPoP-bound tokens, rotating refresh tokens, revocation.")
  public @interface Config {
    @AttributeDefinition(
        name = "Base URL",
        description =
            "The provider's public base URL: issuer, audience and the resource of its tokens"
                + " (https or loopback http, no path)")
    String base_url() default "http://127.0.0.1:9099";

    @AttributeDefinition(
        name = "Consent",
        description =
            "auto: /oauth/authorize issues the code at once (the reference provider; a real"
                + " provider shows its login page there); deny: every authorization is refused",
        options = {
          @Option(value = "auto", label = "auto"),
          @Option(value = "deny", label = "deny")
        })
    String consent() default "auto";

    @AttributeDefinition(name = "Scopes", description = "The scopes offered, space separated")
    String scopes() default "quote vc";

    @AttributeDefinition(name = "Access token lifetime (s)", description = "SPEC §21: 600")
    long access_token_ttl_seconds() default 600;

    @AttributeDefinition(
        name = "Refresh token lifetime (s)",
        description = "How long an unused refresh token stays valid (default 30 days)")
    long refresh_token_ttl_seconds() default 2_592_000;

    @AttributeDefinition(
        name = "Authorization code lifetime (s)",
        description = "SPEC §8.3: 5 minutes")
    long code_ttl_seconds() default 300;

    @AttributeDefinition(
        name = "Require DPoP nonces",
        description =
            "Answer a DPoP proof without the current server nonce with use_dpop_nonce (RFC 9449"
                + " §8)")
    boolean use_dpop_nonce() default false;

    @AttributeDefinition(name = "Maximum clients", description = "Registrations beyond are refused")
    int max_clients() default 10_000;
  }

  private final transient AuthorizationServer server;

  @Activate
  public OAuthServlet(@Reference Store store, @Reference KeyDirectory keys, Config config) {
    this(create(store, keys, config, Clock.systemUTC()));
    LOG.info(
        "provider OAuth AS active at {} (consent {}, nonces {})",
        server.issuer(),
        config.consent(),
        config.use_dpop_nonce());
  }

  OAuthServlet(AuthorizationServer server) {
    this.server = server;
  }

  static AuthorizationServer create(Store store, KeyDirectory keys, Config config, Clock clock) {
    String consent = config.consent();
    if (!"auto".equals(consent) && !"deny".equals(consent)) {
      throw new IllegalArgumentException("consent must be auto or deny");
    }
    List<String> scopes = List.of(config.scopes().trim().split(" +"));
    for (String s : scopes) {
      AuthorizationServer.checkScopeToken(s);
    }
    AuthorizationServer.Settings settings =
        new AuthorizationServer.Settings(
            baseUrl(config.base_url()),
            "auto".equals(consent),
            scopes,
            positive(config.access_token_ttl_seconds()),
            positive(config.refresh_token_ttl_seconds()),
            positive(config.code_ttl_seconds()),
            Math.max(1, config.max_clients()));
    return new AuthorizationServer(
        settings,
        new GrantTable(store),
        new SigningKey(keys),
        new DpopProofCheck(config.use_dpop_nonce(), clock),
        clock);
  }

  private static Duration positive(long seconds) {
    if (seconds <= 0) {
      throw new IllegalArgumentException("lifetimes must be positive");
    }
    return Duration.ofSeconds(seconds);
  }

  /** https or loopback http, no userinfo, path, query or fragment; a trailing / is stripped. */
  static URI baseUrl(String url) {
    try {
      URI u = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      boolean loopback =
          "127.0.0.1".equals(u.getHost())
              || "[::1]".equals(u.getHost())
              || "localhost".equals(u.getHost());
      if (!u.isAbsolute()
          || u.getHost() == null
          || u.getRawUserInfo() != null
          || (u.getRawPath() != null && !u.getRawPath().isEmpty())
          || u.getRawQuery() != null
          || u.getRawFragment() != null
          || !("https".equals(u.getScheme()) || ("http".equals(u.getScheme()) && loopback))) {
        throw new IllegalArgumentException(
            "base.url must be https or loopback http without path, query or fragment");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("base.url does not parse");
    }
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setHeader(PROFILE_HEADER, "aacp_v1");
    resp.setHeader("Cache-Control", "no-store");
    resp.setHeader("Pragma", "no-cache");
    String path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
    String method = req.getMethod();
    AuthorizationServer.Answer answer;
    try {
      answer =
          switch (path) {
            case AS_METADATA -> only(method, "GET", server::metadata);
            case PR_METADATA -> only(method, "GET", server::protectedResource);
            case "/oauth/register" ->
                only(method, "POST", () -> server.register(body(req, "application/json")));
            case "/oauth/authorize" ->
                only(method, "GET", () -> server.authorize(request(query(req), req)));
            case "/oauth/token" ->
                only(
                    method,
                    "POST",
                    () ->
                        server.token(request(body(req, "application/x-www-form-urlencoded"), req)));
            case "/oauth/revoke" ->
                only(
                    method,
                    "POST",
                    () ->
                        server.revoke(
                            request(body(req, "application/x-www-form-urlencoded"), req)));
            default -> AuthorizationServer.error(new OAuthError("not_found", 404, "no such route"));
          };
    } catch (OAuthError e) {
      answer = AuthorizationServer.error(e);
    } catch (StoreException e) {
      // fail closed with a stable code, never the container's error page
      LOG.warn("provider OAuth: the store is unavailable");
      answer =
          AuthorizationServer.error(
              new OAuthError("temporarily_unavailable", 503, "the store is unavailable"));
    }
    write(resp, answer);
  }

  private interface Route {
    AuthorizationServer.Answer run() throws OAuthError, IOException;
  }

  private static AuthorizationServer.Answer only(String method, String allowed, Route route)
      throws OAuthError, IOException {
    if (!allowed.equals(method)) {
      return AuthorizationServer.error(
          new OAuthError("invalid_request", 405, "method not allowed; use " + allowed),
          Map.of("Allow", allowed));
    }
    return route.run();
  }

  private static AuthorizationServer.Request request(String encoded, HttpServletRequest req)
      throws OAuthError {
    List<String> dpop = Collections.list(req.getHeaders("DPoP"));
    return new AuthorizationServer.Request(form(encoded), dpop);
  }

  private static String query(HttpServletRequest req) throws OAuthError {
    String q = req.getQueryString();
    if (q == null) {
      return "";
    }
    if (q.length() > MAX_QUERY) {
      throw new OAuthError("invalid_request", 414, "the query is too long");
    }
    return q;
  }

  /** The body as text, at most {@link #MAX_BODY} bytes, of the given media type. */
  private static String body(HttpServletRequest req, String mediaType)
      throws OAuthError, IOException {
    String type = req.getContentType();
    if (type == null || !type.toLowerCase().startsWith(mediaType)) {
      throw OAuthError.invalidRequest("the body must be " + mediaType);
    }
    long declared = req.getContentLengthLong();
    try (InputStream in = req.getInputStream()) {
      if (declared > MAX_BODY) {
        drain(in, declared);
        throw new OAuthError("invalid_request", 413, "the body is too large");
      }
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) {
        drain(in, MAX_DRAIN);
        throw new OAuthError("invalid_request", 413, "the body is too large");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /**
   * Reads and drops a refused body of up to {@link #MAX_DRAIN} bytes. A server that answers 413 and
   * closes with the body unread resets the connection, and the client may lose the answer before it
   * reads it; a larger body is not worth reading, and its sender gets the reset.
   */
  private static void drain(InputStream in, long declared) throws IOException {
    if (declared <= MAX_DRAIN) {
      byte[] sink = new byte[8192];
      long left = MAX_DRAIN;
      int n;
      while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
        left -= n;
      }
    }
  }

  /**
   * Decodes {@code application/x-www-form-urlencoded}: at most {@link #MAX_PARAMS} parameters, each
   * at most once (RFC 6749 §3.1); a parameter without a value counts as omitted.
   */
  static Map<String, String> form(String encoded) throws OAuthError {
    Map<String, String> out = new LinkedHashMap<>();
    if (encoded.isEmpty()) {
      return out;
    }
    String[] pairs = encoded.split("&", -1);
    if (pairs.length > MAX_PARAMS) {
      throw OAuthError.invalidRequest("too many parameters");
    }
    for (String pair : pairs) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name;
      String value;
      try {
        name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw OAuthError.invalidRequest("the parameters are not well-formed");
      }
      if (value.isEmpty()) {
        continue;
      }
      if (out.put(name, value) != null) {
        throw OAuthError.invalidRequest("a parameter is repeated");
      }
    }
    return out;
  }

  private static void write(HttpServletResponse resp, AuthorizationServer.Answer answer)
      throws IOException {
    answer.headers().forEach(resp::setHeader);
    if (answer.location() != null) {
      resp.setStatus(answer.status());
      resp.setHeader("Location", answer.location());
      resp.setContentLength(0);
      return;
    }
    byte[] body = answer.json().getBytes(StandardCharsets.UTF_8);
    resp.setStatus(answer.status());
    resp.setContentType("application/json");
    resp.setContentLength(body.length);
    resp.getOutputStream().write(body);
  }
}
