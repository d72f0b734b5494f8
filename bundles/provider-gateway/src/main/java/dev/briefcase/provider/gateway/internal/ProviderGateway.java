package dev.briefcase.provider.gateway.internal;

import dev.briefcase.dpop.DpopVerifier;
import dev.briefcase.dpop.ReplayCache;
import dev.briefcase.dpop.ServerNonces;
import dev.briefcase.edge.secrets.LazySecretStore;
import dev.briefcase.keys.KeyDirectory;
import dev.briefcase.secrets.SecretStore;
import dev.briefcase.secrets.SecretStoreException;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.store.Store;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference provider's gateway (SPEC §8.2, §15) on the provider listener: {@code POST /token},
 * {@code GET /api/quote}, {@code POST /api/revoke}, {@code GET /.well-known/jwks.json}, and the VC
 * routes (SPEC §8.4/§8.5) {@code POST /vc/issue}, {@code GET /status/{revocation|suspension}},
 * {@code POST /api/vc/revoke|suspend|unsuspend}. A thin servlet over {@link ProviderApi}: it bounds
 * the body (64 KiB), adapts headers and writes the answer. Tokens are signed by the key directory's
 * {@code identity} key; the jti denylist lives in the store; the admin secret is read from the
 * secret store per request.
 */
@Component(
    service = Servlet.class,
    immediate = true,
    configurationPid = ProviderGateway.PID,
    property = "osgi.http.whiteboard.target=" + ProviderListener.TARGET)
@Designate(ocd = ProviderGateway.Config.class)
@HttpWhiteboardServletName("briefcase-provider-gateway")
@HttpWhiteboardServletPattern({
  "/token",
  "/api/quote",
  "/api/revoke",
  "/.well-known/jwks.json",
  "/vc/issue",
  "/status/revocation",
  "/status/suspension",
  "/api/vc/revoke",
  "/api/vc/suspend",
  "/api/vc/unsuspend"
})
public final class ProviderGateway extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ProviderGateway.class);

  /** The configuration PID. */
  public static final String PID = "dev.briefcase.provider.gateway";

  /** The longest status list ttl (SPEC: status list 300 s, at most 24 h). */
  static final long MAX_STATUS_TTL_MS = 24L * 3600 * 1000;

  /** Largest request body read. */
  static final int MAX_BODY = 64 * 1024;

  /** Configuration of the reference provider gateway. */
  @ObjectClassDefinition(
      name = "Briefcase reference provider gateway",
      description =
          "Capability-token mint, quote, jti revocation and JWKS on the provider listener.")
  public @interface Config {
    @AttributeDefinition(
        name = "Base URL",
        description =
            "The public base URL (http(s)://host[:port]): token iss, access-token iss/aud and the"
                + " htu of DPoP proofs are checked against it.")
    String base_url() default "http://127.0.0.1:9099";

    @AttributeDefinition(name = "Tool scope", description = "The scope minted and required.")
    String scope() default "quote";

    @AttributeDefinition(name = "Token lifetime (seconds)", min = "30", max = "3600")
    int token_ttl_seconds() default 600;

    @AttributeDefinition(name = "Calls per token (max_calls)", min = "1", max = "100000")
    int max_calls() default 50;

    @AttributeDefinition(
        name = "Price of an unauthenticated mint (µUSD)",
        description = "0 mints for free; above 0 an unauthenticated mint answers 402.",
        min = "0")
    long price_microusd() default 0;

    @AttributeDefinition(
        name = "Require DPoP nonces at /token",
        description = "400 use_dpop_nonce + DPoP-Nonce until a proof carries a current nonce.")
    boolean token_require_nonce() default true;

    @AttributeDefinition(
        name = "Require DPoP nonces at /api/quote",
        description = "401 use_dpop_nonce + DPoP-Nonce until a proof carries a current nonce.")
    boolean resource_require_nonce() default false;

    @AttributeDefinition(name = "Nonce rotation (seconds)", min = "10")
    int nonce_rotation_seconds() default 300;

    @AttributeDefinition(
        name = "aud caveat",
        description = "When set, minted tokens carry this aud; quote accepts only the base URL.")
    String token_aud() default "";

    @AttributeDefinition(
        name = "max_bytes caveat",
        description = "When above 0, minted tokens carry max_bytes; a larger answer is 403.",
        min = "0")
    long max_bytes() default 0;

    @AttributeDefinition(
        name = "Admin secret id",
        description = "Secret store id of the x-aag-admin-secret for /api/revoke.")
    String admin_secret_id() default "provider.admin_secret";

    @AttributeDefinition(name = "x402 network (CAIP-2)")
    String x402_network() default "eip155:84532";

    @AttributeDefinition(name = "x402 asset (token contract)")
    String x402_asset() default "0x036CbD53842c5426634e7929541eC2318f3dCF7e";

    @AttributeDefinition(
        name = "x402 payTo",
        description = "Receiving address; empty: the 402 carries no x402 offer.")
    String x402_pay_to() default "";

    @AttributeDefinition(name = "x402 amount (atomic units, decimal)")
    String x402_amount() default "1000";

    @AttributeDefinition(name = "x402 EIP-712 domain name")
    String x402_name() default "USDC";

    @AttributeDefinition(name = "x402 EIP-712 domain version")
    String x402_version() default "2";

    @AttributeDefinition(name = "x402 maxTimeoutSeconds", min = "1")
    int x402_max_timeout_seconds() default 60;

    @AttributeDefinition(
        name = "x402 facilitator URL",
        description =
            "Verifies and settles paid mints (POST /verify, /settle); https, or http to a"
                + " loopback address. Empty: a PAYMENT-SIGNATURE is refused (503).")
    String x402_facilitator__url() default "";

    @AttributeDefinition(name = "x402 facilitator timeout (ms)", min = "1000")
    long x402_facilitator__timeout__ms() default 30000;

    @AttributeDefinition(
        name = "L402: LND REST URL",
        description =
            "https://host:port of the provider's LND node (AddInvoice, LookupInvoice). Empty: the"
                + " 402 carries no L402 challenge.")
    String l402_lnd_url() default "";

    @AttributeDefinition(
        name = "L402: LND TLS certificate file",
        description = "The node's tls.cert (PEM); the only certificate trusted for l402.lnd.url.")
    String l402_lnd_cert_file() default "";

    @AttributeDefinition(
        name = "L402: LND macaroon secret id",
        description = "Secret store id of the invoice macaroon (hex or base64); never in config.")
    String l402_lnd_macaroon_secret_id() default "provider.lnd_macaroon";

    @AttributeDefinition(
        name = "L402: root secret id",
        description =
            "Secret store id of the macaroon root secret; 32 random bytes created on first use.")
    String l402_root_secret_id() default "provider.l402_root_secret";

    @AttributeDefinition(
        name = "L402: USD per BTC",
        description = "The rate pricing invoices: msat = ceil(µUSD × 100000 / usd_per_btc).",
        min = "1")
    long l402_usd__per__btc() default 100_000;

    @AttributeDefinition(name = "L402: invoice expiry (s)", min = "60")
    long l402_invoice_expiry_seconds() default 600;

    @AttributeDefinition(
        name = "VC tier",
        description = "credentialSubject.tier of the credentials POST /vc/issue issues.")
    String vc_tier() default "standard";

    @AttributeDefinition(
        name = "Status list ttl (ms)",
        description =
            "ttl of the served status lists and their Cache-Control max-age (at most 24 h).",
        min = "0")
    long status_ttl_ms() default 300_000;

    @AttributeDefinition(
        name = "Tracked capability tokens",
        description =
            "The most live capability tokens whose calls are counted at once; when all are live"
                + " the mint answers 503 capacity_exhausted.",
        min = "1")
    int max_tracked_capabilities() default 100_000;

    @AttributeDefinition(
        name = "DPoP replay cache size (proofs)",
        description =
            "Proofs remembered per replay cache (the mint's and the quote's). A proof is accepted"
                + " for about 240 s, so honest traffic needs about 240 × peak proofs per second;"
                + " when the cache is full of acceptable proofs new ones get 503 replay_cache_full."
                + " About 200 bytes per entry. At least 20000.",
        min = "20000")
    int dpop_replay_capacity() default ReplayCache.MIN_CAPACITY;
  }

  private final transient ProviderApi api;
  private final transient LazySecretStore secrets;

  @Activate
  public ProviderGateway(
      Config config,
      @Reference KeyDirectory keys,
      @Reference Store store,
      @Reference ComponentServiceObjects<SecretStore> secretObjects) {
    this.secrets = new LazySecretStore(secretObjects);
    Clock clock = Clock.systemUTC();
    Settings settings = settings(config);
    ServerNonces nonces =
        new ServerNonces(
            clock, Duration.ofSeconds(config.nonce_rotation_seconds()), new SecureRandom());
    // one replay cache per audience: a flood of proofs at the open mint must not fill the
    // cache the resource's holders need
    int replayCapacity = Math.max(ReplayCache.MIN_CAPACITY, config.dpop_replay_capacity());
    DpopVerifier mintDpop =
        new DpopVerifier(
            clock, new ReplayCache(clock, ReplayCache.MIN_RETENTION, replayCapacity), nonces);
    DpopVerifier resourceDpop =
        new DpopVerifier(
            clock, new ReplayCache(clock, ReplayCache.MIN_RETENTION, replayCapacity), nonces);
    PaymentChallenge payment =
        new PaymentChallenge(
            new PaymentChallenge.X402Offer(
                config.x402_network(),
                config.x402_asset(),
                config.x402_pay_to(),
                config.x402_amount(),
                config.x402_name(),
                config.x402_version(),
                config.x402_max_timeout_seconds()),
            l402(config, settings, store, secrets, clock),
            settings.priceMicroUsd(),
            facilitator(config, clock, new SettledPayments(store, clock)));
    String secretId = settings.adminSecretId();
    Supplier<Optional<byte[]>> adminSecret =
        () -> {
          try {
            return secrets.get(secretId).map(Sensitive::reveal);
          } catch (SecretStoreException e) {
            throw new ProviderError(503, e.code(), "secret store unavailable");
          }
        };
    TokenKey identity = new IdentityTokenKey(keys);
    VcIssuer issuer =
        new VcIssuer(
            settings,
            clock,
            identity,
            new IssuedCredentials(store),
            new SecureRandom(),
            vcTier(config.vc_tier()),
            Math.max(0, Math.min(MAX_STATUS_TTL_MS, config.status_ttl_ms())));
    this.api =
        new ProviderApi(
            settings,
            clock,
            identity,
            mintDpop,
            resourceDpop,
            new StoreDenylist(store, clock),
            payment,
            issuer,
            adminSecret);
    LOG.info(
        "reference provider gateway at {} (scope {}, price {} µUSD)",
        settings.baseUrl(),
        settings.scope(),
        settings.priceMicroUsd());
  }

  /** The L402 gate over the configured LND node, or null when no node is configured. */
  static L402Gate l402(
      Config config, Settings settings, Store store, SecretStore secrets, Clock clock) {
    String url = config.l402_lnd_url();
    if (url == null || url.isBlank()) {
      return null;
    }
    if (config.l402_lnd_cert_file() == null || config.l402_lnd_cert_file().isBlank()) {
      throw new IllegalArgumentException("l402.lnd.cert.file is required with l402.lnd.url");
    }
    SecureRandom random = new SecureRandom();
    LndInvoices node =
        new LndInvoices(
            url,
            java.nio.file.Path.of(config.l402_lnd_cert_file()),
            L402Secrets.lndMacaroon(secrets, config.l402_lnd_macaroon_secret_id()),
            Duration.ofSeconds(20));
    return new L402Gate(
        node,
        new L402Tokens(store, clock),
        L402Secrets.rootSecret(secrets, config.l402_root_secret_id(), random),
        clock,
        random,
        settings.scope(),
        config.l402_usd__per__btc(),
        config.l402_invoice_expiry_seconds());
  }

  /** The acceptor of paid mints over the configured facilitator, or null when none is set. */
  static X402Acceptor.Factory facilitator(Config config, Clock clock, SettledPayments settled) {
    HttpFacilitator f =
        HttpFacilitator.of(
            config.x402_facilitator__url(),
            Duration.ofMillis(Math.max(1000, config.x402_facilitator__timeout__ms())));
    return f == null ? null : X402Acceptor.factory(f, clock, settled);
  }

  static Settings settings(Config config) {
    if (config.scope() == null || !config.scope().matches("[a-z][a-z0-9_.:-]{0,63}")) {
      throw new IllegalArgumentException("invalid scope");
    }
    String aud =
        config.token_aud() == null || config.token_aud().isBlank()
            ? null
            : config.token_aud().trim();
    return new Settings(
        Settings.baseUrl(config.base_url()),
        config.scope(),
        Math.max(30, Math.min(3600, config.token_ttl_seconds())),
        Math.max(1, config.max_calls()),
        Math.max(0, config.price_microusd()),
        config.token_require_nonce(),
        config.resource_require_nonce(),
        aud,
        Math.max(0, config.max_bytes()),
        config.admin_secret_id(),
        Math.max(1, config.max_tracked_capabilities()));
  }

  static String vcTier(String tier) {
    if (tier == null || !tier.matches("[A-Za-z0-9_.:-]{1,64}")) {
      throw new IllegalArgumentException("invalid vc.tier");
    }
    return tier;
  }

  @Deactivate
  void deactivate() {
    secrets.close();
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getServletPath();
    String method = req.getMethod();
    RequestHeaders headers =
        name -> {
          java.util.Enumeration<String> values = req.getHeaders(name);
          return values == null ? List.of() : Collections.list(values);
        };
    ApiResponse answer =
        ProviderApi.answer(
            () -> {
              switch (path) {
                case "/token":
                  requireMethod(method, "POST");
                  return api.mint(headers, body(req));
                case "/api/quote":
                  requireMethod(method, "GET");
                  return api.quote(headers, symbol(req));
                case "/api/revoke":
                  requireMethod(method, "POST");
                  return api.revoke(headers, body(req));
                case "/.well-known/jwks.json":
                  requireMethod(method, "GET");
                  return api.jwks();
                case "/vc/issue":
                  requireMethod(method, "POST");
                  body(req);
                  return api.issueVc(headers, holderDid(req));
                case "/status/revocation":
                case "/status/suspension":
                  requireMethod(method, "GET");
                  return api.statusList(headers, path.substring("/status/".length()));
                case "/api/vc/revoke":
                  requireMethod(method, "POST");
                  return api.vcStatus(headers, VcIssuer.Action.REVOKE, body(req));
                case "/api/vc/suspend":
                  requireMethod(method, "POST");
                  return api.vcStatus(headers, VcIssuer.Action.SUSPEND, body(req));
                case "/api/vc/unsuspend":
                  requireMethod(method, "POST");
                  return api.vcStatus(headers, VcIssuer.Action.UNSUSPEND, body(req));
                default:
                  throw new ProviderError(404, "not_found", "no route");
              }
            });
    if (answer.status() >= 400) {
      LOG.debug(
          "{} {} -> {} {}",
          method,
          path,
          answer.status(),
          answer.headers().get("x-briefcase-error"));
    }
    send(resp, answer);
  }

  private static void requireMethod(String method, String expected) {
    if (!expected.equals(method)) {
      throw new ProviderError(405, "method_not_allowed", "method not allowed")
          .header("Allow", expected);
    }
  }

  private static String symbol(HttpServletRequest req) {
    String query = req.getQueryString();
    if (query != null && query.length() > 1024) {
      throw new ProviderError(400, "invalid_request", "query too long");
    }
    // none or several: null, refused as invalid_symbol after the token checks (their order first)
    String[] values = req.getParameterValues("symbol");
    return values == null || values.length != 1 ? null : values[0];
  }

  /**
   * The one {@code holder_did} of the query; none, several or an oversized query: null, refused as
   * {@code invalid_did} after the access token check.
   */
  private static String holderDid(HttpServletRequest req) {
    String query = req.getQueryString();
    if (query != null && query.length() > 1024) {
      return null;
    }
    String[] values = req.getParameterValues("holder_did");
    return values == null || values.length != 1 ? null : values[0];
  }

  /** The body, at most {@link #MAX_BODY} bytes, else 413 {@code body_too_large}. */
  static byte[] body(HttpServletRequest req) {
    long declared = req.getContentLengthLong();
    if (declared > MAX_BODY) {
      throw new ProviderError(413, "body_too_large", "body over 64 KiB");
    }
    try (InputStream in = req.getInputStream()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) != -1) {
        if (out.size() + n > MAX_BODY) {
          throw new ProviderError(413, "body_too_large", "body over 64 KiB");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new ProviderError(400, "invalid_request", "body unreadable");
    }
  }

  static void send(HttpServletResponse resp, ApiResponse answer) throws IOException {
    resp.setStatus(answer.status());
    for (Map.Entry<String, String> h : answer.headers().entrySet()) {
      resp.setHeader(h.getKey(), h.getValue());
    }
    // the profile header comes from ProfileHeaderFilter, for these servlets and every other one
    if (!answer.headers().containsKey("Cache-Control")) {
      resp.setHeader("Cache-Control", "no-store");
    }
    String type = answer.headers().get("Content-Type");
    resp.setContentType(type != null ? type : "application/json");
    resp.setContentLength(answer.body().length);
    resp.getOutputStream().write(answer.body());
  }
}
