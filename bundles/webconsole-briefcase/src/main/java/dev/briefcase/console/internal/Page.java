package dev.briefcase.console.internal;

import dev.briefcase.error.BriefcaseException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.apache.felix.webconsole.servlet.User;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Briefcase page of the web console. GET renders (the console adds header, navigation and
 * footer); POST checks the CSRF token and the browser's origin, runs one action through {@link
 * ConsoleActions} with actor {@code console:<user>}, and then lets the console render the page with
 * the outcome on top. Every printed value goes through {@link Html}.
 */
abstract class Page extends AbstractServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(Page.class);

  static final String CATEGORY = "Briefcase";
  static final Csrf CSRF = new Csrf(Clock.systemUTC());
  private static final String FLASH = Page.class.getName() + ".flash";

  /** The outcome of a POST, shown above the page. */
  record Flash(boolean ok, String text) {}

  /** Set by the DS component subclasses. */
  transient volatile ConsoleActions actions;

  /** Renders the page body. */
  abstract void render(HttpServletRequest req, PrintWriter out, String user)
      throws ConsoleException, IOException;

  /** Runs the POSTed action and returns what to tell the operator. */
  abstract String act(HttpServletRequest req, String actor)
      throws ConsoleException, IOException, ServletException;

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse resp)
      throws ServletException, IOException {
    String user = user(req);
    if (user == null) {
      plain(resp, 403, "forbidden: no console user");
      return;
    }
    if (!Csrf.sameOrigin(
        req.getHeader("Origin"), req.getLocalPort(), req.getHeader("Sec-Fetch-Site"))) {
      LOG.warn("Briefcase console: cross-origin POST refused ({})", req.getRequestURI());
      plain(resp, 403, "csrf_invalid: cross-origin request refused");
      return;
    }
    if (!CSRF.valid(user, field(req, Csrf.FIELD))) {
      LOG.warn(
          "Briefcase console: POST without a valid form token refused ({})", req.getRequestURI());
      plain(resp, 403, "csrf_invalid: the form token is missing or stale; reload the page");
      return;
    }
    Flash flash;
    try {
      flash = new Flash(true, act(req, "console:" + user));
    } catch (BriefcaseException e) {
      flash = new Flash(false, e.code() + ": " + e.getMessage());
    }
    req.setAttribute(FLASH, flash);
    // no response written: the web console now renders the page through renderContent
  }

  @Override
  public void renderContent(HttpServletRequest req, HttpServletResponse resp)
      throws ServletException, IOException {
    setNoCache(resp);
    PrintWriter out = resp.getWriter();
    out.println("<div id=\"briefcase-page\">");
    if (req.getAttribute(FLASH) instanceof Flash f) {
      out.println(
          "<p id=\"briefcase-flash\" class=\"statline "
              + (f.ok() ? "ui-state-highlight" : "ui-state-error")
              + "\" data-ok=\""
              + f.ok()
              + "\">"
              + Html.text(f.text())
              + "</p>");
    }
    try {
      render(req, out, user(req));
    } catch (BriefcaseException e) {
      out.println(
          "<p id=\"briefcase-error\" class=\"statline ui-state-error\">"
              + Html.text(e.code() + ": " + e.getMessage())
              + "</p>");
    }
    out.println("</div>");
  }

  /** Shows {@code text} above the page this request renders. */
  static void flash(HttpServletRequest req, boolean ok, String text) {
    req.setAttribute(FLASH, new Flash(ok, text));
  }

  /** The authenticated console user, or {@code null}. */
  static String user(HttpServletRequest req) {
    Object u = req.getAttribute(User.USER_ATTRIBUTE);
    if (u instanceof User cu && cu.getUserObject() instanceof String s) {
      return s;
    }
    if (u instanceof String s) {
      return s;
    }
    return req.getRemoteUser();
  }

  /** Where this page's forms post to. */
  static String pluginRoot(HttpServletRequest req) {
    Object root = req.getAttribute(ServletConstants.ATTR_PLUGIN_ROOT);
    return root == null ? req.getRequestURI() : root.toString();
  }

  /** A POST form with one button, the CSRF token and hidden fields. */
  static String form(
      HttpServletRequest req, String user, Map<String, String> hidden, String button, String id) {
    StringBuilder s =
        new StringBuilder("<form method=\"post\" style=\"display:inline\" action=\"")
            .append(Html.attr(pluginRoot(req)))
            .append("\">")
            .append(hiddenToken(user));
    hidden.forEach(
        (k, v) ->
            s.append("<input type=\"hidden\" name=\"")
                .append(Html.attr(k))
                .append("\" value=\"")
                .append(Html.attr(v))
                .append("\">"));
    s.append("<button type=\"submit\" class=\"ui-button\" id=\"")
        .append(Html.attr(id))
        .append("\">")
        .append(Html.text(button))
        .append("</button></form>");
    return s.toString();
  }

  static String hiddenToken(String user) {
    return "<input type=\"hidden\" name=\""
        + Csrf.FIELD
        + "\" value=\""
        + Html.attr(user == null ? "" : CSRF.issue(user))
        + "\">";
  }

  /** A form field, also from a multipart body. */
  static String field(HttpServletRequest req, String name) throws IOException {
    String v = req.getParameter(name);
    if (v != null) {
      return v;
    }
    String type = req.getContentType();
    if (type != null && type.toLowerCase().startsWith("multipart/")) {
      try {
        Part p = req.getPart(name);
        if (p != null && p.getSize() <= 4096) {
          return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
      } catch (ServletException | IllegalStateException e) {
        return null;
      }
    }
    return null;
  }

  static void plain(HttpServletResponse resp, int status, String text) throws IOException {
    resp.setStatus(status);
    resp.setContentType("text/plain;charset=utf-8");
    resp.setHeader("Cache-Control", "no-store");
    resp.getWriter().write(text + "\n");
  }
}
