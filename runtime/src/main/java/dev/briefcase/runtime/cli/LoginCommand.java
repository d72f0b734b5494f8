package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code briefcase login <provider>} (SPEC §8.3, RFC 8252): listens on {@code
 * http://127.0.0.1:<ephemeral port>/callback}, opens a login with that redirect (and {@code
 * --scope} on top of the provider's), opens the authorization URL in a browser when there is one
 * ({@link BrowserOpener}) and prints it in every case, waits at most 180 s for the callback, checks
 * its {@code state} and hands the code to the daemon's exchange. The code is never printed; only
 * the daemon sees it.
 */
@Command(
    name = "login",
    description = "Log in to a provider: prints the URL to open, waits for the redirect.")
final class LoginCommand extends AdminCommand implements Callable<Integer> {
  static final int MAX_WAIT_SECONDS = 180;

  @Parameters(index = "0", paramLabel = "PROVIDER")
  String provider;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description = "How long to wait for the redirect (1 to 180, default 180).")
  int timeoutSeconds = MAX_WAIT_SECONDS;

  @Option(
      names = "--scope",
      paramLabel = "SCOPE",
      description =
          "Ask for this scope on top of the provider's (e.g. after insufficient_scope); scope"
              + " tokens separated by spaces.")
  String scope;

  @Option(names = "--no-browser", description = "Only print the URL; do not try to open a browser.")
  boolean noBrowser;

  /** What the callback brought: a code and its issuer, or the AS's error code. */
  private record Callback(String code, String iss, String error) {}

  @Override
  public Integer call() throws Exception {
    if (timeoutSeconds < 1 || timeoutSeconds > MAX_WAIT_SECONDS) {
      throw new CliException(ExitCodes.USAGE, "briefcase: --timeout must be 1 to 180 seconds");
    }
    AdminClient client = root().client();
    CompletableFuture<Callback> callback = new CompletableFuture<>();
    String[] expected = new String[1];
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 8);
    server.createContext("/", ex -> answer(ex, 404, "Not found."));
    server.createContext("/callback", ex -> callback(ex, expected, callback));
    server.start();
    try {
      String redirect = "http://127.0.0.1:" + server.getAddress().getPort() + "/callback";
      ObjectNode body = root().mapper.createObjectNode().put("redirect_uri", redirect);
      if (scope != null) {
        body.put("scope", scope);
      }
      AdminClient.Response started =
          client.post(ProvidersCommand.path(provider) + "/oauth/start", body.toString());
      client.requireOk(started);
      JsonNode s = client.json(started);
      synchronized (expected) {
        expected[0] = s.path("state").asText();
      }
      String url = s.path("authorization_url").asText();
      boolean opened = !noBrowser && new BrowserOpener(root().env).open(url);
      out()
          .println(
              (opened
                      ? "A browser was asked to open the login page; if none appears, open this URL"
                      : "Open this URL in a browser")
                  + " to log in to "
                  + provider
                  + ":");
      out().println(url);
      out().println("Waiting up to " + timeoutSeconds + " s for the redirect to " + redirect);
      out().flush();
      Callback got;
      try {
        got = callback.get(timeoutSeconds, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new CliException(
            ExitCodes.ERROR,
            "error: oauth_login_timeout: no redirect arrived within " + timeoutSeconds + " s");
      } catch (ExecutionException e) {
        throw new CliException(ExitCodes.ERROR, "error: oauth_login_failed");
      }
      if (got.error() != null) {
        throw new CliException(
            ExitCodes.ERROR,
            "error: oauth_login_refused: the authorization server answered " + got.error());
      }
      ObjectNode exchange =
          root().mapper.createObjectNode().put("code", got.code()).put("state", expected[0]);
      if (got.iss() != null) {
        exchange.put("iss", got.iss());
      }
      AdminClient.Response res =
          client.post(ProvidersCommand.path(provider) + "/oauth/exchange", exchange.toString());
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        JsonNode r = client.json(res);
        out()
            .println(
                "logged in to "
                    + provider
                    + ": refresh token stored"
                    + (r.path("dpop_bound").asBoolean(false) ? ", DPoP-bound" : "")
                    + "; access token expires at "
                    + text(r, "access_token_expires_at"));
      }
      return ExitCodes.OK;
    } finally {
      server.stop(0);
    }
  }

  /**
   * The redirect: only {@code GET /callback} with this login's {@code state} (compared in constant
   * time) is taken; any other request is answered and ignored, so a stray or forged request cannot
   * end the login.
   */
  private static void callback(
      HttpExchange ex, String[] expected, CompletableFuture<Callback> callback) throws IOException {
    if (!"GET".equals(ex.getRequestMethod()) || !"/callback".equals(ex.getRequestURI().getPath())) {
      answer(ex, 404, "Not found.");
      return;
    }
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    String want;
    synchronized (expected) {
      want = expected[0];
    }
    String state = q.get("state");
    if (want == null
        || state == null
        || !MessageDigest.isEqual(
            want.getBytes(StandardCharsets.UTF_8), state.getBytes(StandardCharsets.UTF_8))) {
      answer(ex, 400, "This is not the login Briefcase is waiting for (state mismatch).");
      return;
    }
    String error = q.get("error");
    if (error != null) {
      String safe = error.matches("[a-z_]{1,64}") ? error : "error";
      callback.complete(new Callback(null, null, safe));
      answer(ex, 200, "The login was refused (" + safe + "). You can close this tab.");
      return;
    }
    String code = q.get("code");
    if (code == null || code.isEmpty()) {
      answer(ex, 400, "The redirect carries no authorization code.");
      return;
    }
    if (callback.complete(new Callback(code, q.get("iss"), null))) {
      answer(ex, 200, "Briefcase received the login. You can close this tab.");
    } else {
      answer(ex, 409, "This login is already complete.");
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        try {
          // a repeated parameter is ambiguous: the first one counts and the rest are ignored
          out.putIfAbsent(
              URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
          // not percent-encoding: the parameter is dropped
        }
      }
    }
    return out;
  }

  private static void answer(HttpExchange ex, int status, String text) throws IOException {
    byte[] page =
        ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Briefcase</title></head>"
                + "<body><p>"
                + text
                + "</p></body></html>")
            .getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    ex.sendResponseHeaders(status, page.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(page);
    }
  }
}
