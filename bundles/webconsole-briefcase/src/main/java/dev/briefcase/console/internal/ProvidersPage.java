package dev.briefcase.console.internal;

import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.error.BriefcaseException;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The OAuth providers (id, URLs, whether a refresh token is stored, when the access token held in
 * memory expires — never a value) with a "Log in" action: it opens a login whose redirect URI is
 * this page's own {@code …/briefcase-providers/callback} on the console's loopback port and shows
 * the authorization URL as a link. The callback (a GET the authorization server's redirect sends
 * the operator's browser to, so it carries no form token) is taken only for a state this console
 * issued to the same console user; the credential service checks the state, the issuer and PKCE
 * again at the exchange and receipts the login.
 */
@Component(
    service = Servlet.class,
    property = {
      "felix.webconsole.label=" + ProvidersPage.LABEL,
      "felix.webconsole.title=Providers",
      "felix.webconsole.category=" + Page.CATEGORY
    })
public final class ProvidersPage extends Page {
  private static final long serialVersionUID = 1L;
  static final String LABEL = "briefcase-providers";
  static final String CALLBACK = "/callback";
  private static final String STARTED = ProvidersPage.class.getName() + ".started";

  private final transient ConsoleLogins logins = new ConsoleLogins(Clock.systemUTC());

  @Activate
  public ProvidersPage(@Reference ConsoleActions actions) {
    this.actions = actions;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp)
      throws ServletException, IOException {
    if (req.getRequestURI() != null && req.getRequestURI().endsWith("/" + LABEL + CALLBACK)) {
      // the code stays out of any later request's Referer
      resp.setHeader("Referrer-Policy", "no-referrer");
      try {
        flash(req, true, callback(req, user(req)));
      } catch (BriefcaseException e) {
        flash(req, false, e.code() + ": " + e.getMessage());
      }
    }
    super.doGet(req, resp);
  }

  /** Completes the login a callback belongs to; returns what to tell the operator. */
  String callback(HttpServletRequest req, String user) {
    String state = req.getParameter("state");
    String providerId = logins.take(state, user);
    String error = req.getParameter("error");
    if (error != null) {
      throw new ConsoleException(
          "oauth_login_refused",
          "the authorization server answered "
              + (error.matches("[a-z_]{1,64}") ? error : "an error"));
    }
    String code = req.getParameter("code");
    if (code == null || code.isEmpty()) {
      throw new ConsoleException("invalid_request", "the redirect carries no authorization code");
    }
    LoginResult r = actions.loginExchange(providerId, code, state, req.getParameter("iss"));
    return "Logged in to "
        + r.providerId()
        + ": refresh token stored"
        + (r.dpopBound() ? ", DPoP-bound" : "")
        + "; access token expires at "
        + r.accessTokenExpiresAt();
  }

  @Override
  void render(HttpServletRequest req, PrintWriter out, String user) {
    if (req.getAttribute(STARTED) instanceof LoginStart s) {
      out.println(
          "<p id=\"login-started\" class=\"statline\">Open the authorization page to log in to "
              + Html.text(s.providerId())
              + ": <a id=\"login-url\" rel=\"noreferrer noopener\" href=\""
              + Html.attr(s.authorizationUrl())
              + "\">"
              + Html.text(s.authorizationUrl())
              + "</a></p>");
    }
    List<ProviderStatus> providers = actions.providers();
    out.println("<h2>OAuth providers</h2>");
    if (providers.isEmpty()) {
      out.println(
          "<p id=\"no-providers\" class=\"statline\">No providers. Add one with <code>briefcase"
              + " providers add</code>.</p>");
      return;
    }
    out.println(
        "<table id=\"providers\" class=\"tablesorter nicetable\"><thead><tr><th>Id</th>"
            + "<th>Base URL</th><th>Resource</th><th>Scope</th><th>Refresh token</th>"
            + "<th>Access token expires</th><th>Login</th></tr></thead><tbody>");
    for (ProviderStatus p : providers) {
      String id = p.provider().id();
      out.println(
          "<tr data-provider-id=\""
              + Html.attr(id)
              + "\"><td>"
              + Html.text(id)
              + "</td><td>"
              + Html.text(p.provider().baseUrl())
              + "</td><td>"
              + Html.text(p.provider().resourceUrl())
              + "</td><td>"
              + Html.text(p.provider().scope())
              + "</td><td>"
              + (p.hasRefreshToken() ? "stored" : "none")
              + "</td><td>"
              + Html.text(
                  p.accessTokenExpiresAt() == null ? "" : p.accessTokenExpiresAt().toString())
              + "</td><td>"
              + form(req, user, Map.of("id", id, "action", "login"), "Log in", "login-" + id)
              + "</td></tr>");
    }
    out.println("</tbody></table>");
  }

  @Override
  String act(HttpServletRequest req, String actor) {
    if (!"login".equals(req.getParameter("action"))) {
      throw new ConsoleException("invalid_request", "action must be login");
    }
    String user = user(req);
    if (user == null) {
      throw new ConsoleException("forbidden", "no console user");
    }
    LoginStart s = actions.loginStart(req.getParameter("id"), callbackUri(req));
    logins.started(s.state(), s.providerId(), user);
    req.setAttribute(STARTED, s);
    return "Login to " + s.providerId() + " started: open the authorization page below";
  }

  /**
   * This page's callback on the console's own listener: loopback literal (an OAuth redirect must
   * not depend on name resolution, RFC 8252 §8.3), the port the request arrived on.
   */
  static URI callbackUri(HttpServletRequest req) {
    String root = pluginRoot(req);
    int at = root.indexOf("/" + LABEL);
    String path = at < 0 ? "/system/console/" + LABEL : root.substring(0, at + LABEL.length() + 1);
    return URI.create("http://127.0.0.1:" + req.getLocalPort() + path + CALLBACK);
  }
}
