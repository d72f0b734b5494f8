package dev.briefcase.console.internal;

import dev.briefcase.plugins.PluginInfo;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Installed bundles with plugin family, ids, version, signer, trust and state; start, stop, update
 * (upload) and uninstall through the plugin service, which refuses core bundles and, in the {@code
 * ga} profile, untrusted bytes.
 */
@Component(
    service = Servlet.class,
    property = {
      "felix.webconsole.label=" + PluginsPage.LABEL,
      "felix.webconsole.title=Plugins",
      "felix.webconsole.category=" + Page.CATEGORY
    })
public final class PluginsPage extends Page {
  private static final long serialVersionUID = 1L;
  static final String LABEL = "briefcase-plugins";

  @Activate
  public PluginsPage(@Reference ConsoleActions actions) {
    this.actions = actions;
  }

  @Override
  void render(HttpServletRequest req, PrintWriter out, String user) throws ConsoleException {
    out.println("<h2>Plugins</h2>");
    out.println(
        "<table id=\"plugins\" class=\"tablesorter nicetable\"><thead><tr><th>Id</th><th>Family</th>"
            + "<th>Plugin ids</th><th>Bundle</th><th>Version</th><th>Signer</th><th>Trust</th>"
            + "<th>State</th><th>Actions</th></tr></thead><tbody>");
    for (ConsoleActions.PluginRow row : actions.plugins()) {
      PluginInfo p = row.info();
      String id = Long.toString(p.bundleId());
      StringBuilder act = new StringBuilder();
      if (p.core()) {
        act.append("core");
      } else {
        Map<String, String> base = Map.of("bundle", id);
        act.append(
            "active".equals(p.state())
                ? form(req, user, with(base, "stop"), "Stop", "stop-" + id)
                : form(req, user, with(base, "start"), "Start", "start-" + id));
        act.append(' ')
            .append(form(req, user, with(base, "uninstall"), "Uninstall", "uninstall-" + id))
            .append(
                " <form method=\"post\" enctype=\"multipart/form-data\" style=\"display:inline\"")
            .append(" action=\"")
            .append(Html.attr(pluginRoot(req)))
            .append("\">")
            .append(hiddenToken(user))
            .append("<input type=\"hidden\" name=\"bundle\" value=\"")
            .append(id)
            .append("\"><input type=\"hidden\" name=\"action\" value=\"update\">")
            .append("<input type=\"file\" name=\"jar\" accept=\".jar\" required>")
            .append("<button type=\"submit\" class=\"ui-button\" id=\"update-")
            .append(id)
            .append("\">Update</button></form>");
      }
      out.println(
          "<tr data-bundle=\""
              + Html.attr(p.symbolicName())
              + "\"><td>"
              + id
              + "</td><td>"
              + Html.text(String.join(", ", p.families()))
              + "</td><td>"
              + Html.text(String.join(", ", p.pluginIds()))
              + "</td><td>"
              + Html.text(p.symbolicName())
              + "</td><td>"
              + Html.text(p.version())
              + "</td><td>"
              + Html.text(row.signer() == null ? "—" : row.signer())
              + "</td><td class=\"trust\">"
              + Html.text(row.trust())
              + "</td><td class=\"state\">"
              + Html.text(p.state())
              + "</td><td>"
              + act
              + "</td></tr>");
    }
    out.println("</tbody></table>");
    out.println(
        "<p>Trust and signer are those recorded by the newest lifecycle receipt of the bundle.</p>");
  }

  private static Map<String, String> with(Map<String, String> base, String action) {
    return Map.of("bundle", base.get("bundle"), "action", action);
  }

  @Override
  String act(HttpServletRequest req, String actor)
      throws ConsoleException, IOException, ServletException {
    String action = field(req, "action");
    long bundle;
    try {
      bundle = Long.parseLong(String.valueOf(field(req, "bundle")).strip());
    } catch (NumberFormatException e) {
      throw new ConsoleException("invalid_request", "bundle must be a bundle id");
    }
    if (action == null) {
      throw new ConsoleException("invalid_request", "no action");
    }
    switch (action) {
      case "start" -> {
        PluginInfo p = actions.start(bundle, actor);
        return "Started " + p.symbolicName() + " " + p.version();
      }
      case "stop" -> {
        PluginInfo p = actions.stop(bundle, actor);
        return "Stopped " + p.symbolicName() + " " + p.version();
      }
      case "uninstall" -> {
        actions.uninstall(bundle, actor);
        return "Uninstalled bundle " + bundle;
      }
      case "update" -> {
        Part jar = req.getPart("jar");
        if (jar == null || jar.getSize() == 0) {
          throw new ConsoleException("invalid_request", "choose a bundle jar to upload");
        }
        try (InputStream in = jar.getInputStream()) {
          PluginInfo p = actions.update(bundle, in, actor);
          return "Updated " + p.symbolicName() + " to " + p.version();
        }
      }
      default -> throw new ConsoleException("invalid_request", "unknown action");
    }
  }
}
