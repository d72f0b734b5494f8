package dev.briefcase.console.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.briefcase.approvals.ApprovalGrant;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.ApprovalRequest;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Pending approvals with approve and deny buttons. */
@Component(
    service = Servlet.class,
    property = {
      "felix.webconsole.label=" + ApprovalsPage.LABEL,
      "felix.webconsole.title=Approvals",
      "felix.webconsole.category=" + Page.CATEGORY
    })
public final class ApprovalsPage extends Page {
  private static final long serialVersionUID = 1L;
  static final String LABEL = "briefcase-approvals";
  private static final String TOKEN = ApprovalsPage.class.getName() + ".token";

  @Activate
  public ApprovalsPage(@Reference ConsoleActions actions) {
    this.actions = actions;
  }

  @Override
  void render(HttpServletRequest req, PrintWriter out, String user) throws ConsoleException {
    if (req.getAttribute(TOKEN) instanceof Sensitive<?> token) {
      // shown once, to the approver only: a caller that retries with a token pastes this one
      out.println(
          "<p id=\"approval-token\" class=\"statline\">Approval token (for the caller that asked,"
              + " usable once): <code>"
              + Html.text(token.reveal())
              + "</code></p>");
    }
    List<ApprovalRequest> pending = actions.pendingApprovals();
    out.println("<h2>Pending approvals</h2>");
    if (pending.isEmpty()) {
      out.println("<p id=\"no-pending\" class=\"statline\">No pending approvals.</p>");
      return;
    }
    out.println(
        "<table id=\"approvals\" class=\"tablesorter nicetable\"><thead><tr><th>Created</th>"
            + "<th>Tool</th><th>Category</th><th>Reason</th><th>Arguments</th><th>Access</th>"
            + "<th>Expires</th><th>Id</th><th>Decision</th></tr></thead><tbody>");
    for (ApprovalRequest a : pending) {
      var s = a.summary();
      String access =
          "net:"
              + (s.path("net_access").asBoolean() ? "yes" : "no")
              + " fs:"
              + (s.path("fs_access").asBoolean() ? "yes" : "no")
              + (s.path("estimated_cost_usd").isNull()
                      || s.path("estimated_cost_usd").isMissingNode()
                  ? ""
                  : " cost:$" + s.path("estimated_cost_usd").asText());
      String argsHash = s.path("args_hash").asText("");
      String preview = s.path("args_preview").asText("");
      String warning = argsWarning(s);
      out.println(
          "<tr data-approval-id=\""
              + Html.attr(a.id())
              + "\"><td>"
              + Html.text(a.createdAt())
              + "</td><td class=\"tool\">"
              + Html.text(a.toolId())
              + "</td><td>"
              + Html.text(s.path("category").asText(""))
              + "</td><td>"
              + Html.text(a.reason())
              + "</td><td><pre class=\"args\" style=\"white-space:pre-wrap;word-break:break-all;"
              + "max-width:40em;margin:0\">"
              + Html.text(preview)
              + "</pre>"
              + (warning.isEmpty()
                  ? ""
                  : "<p class=\"args-warning\" style=\"color:#a00;font-weight:bold;margin:0\">"
                      + Html.text(warning)
                      + "</p>")
              + "<span title=\"SHA-256 of the JCS arguments; the approval binds exactly these"
              + " (secrets are redacted in the text above)\">args_hash "
              + Html.text(argsHash.length() > 16 ? argsHash.substring(0, 16) + "…" : argsHash)
              + "</span></td><td>"
              + Html.text(access)
              + "</td><td>"
              + Html.text(a.expiresAt())
              + "</td><td><code>"
              + Html.text(a.id())
              + "</code></td><td>"
              + form(
                  req,
                  user,
                  Map.of("id", a.id(), "action", "approve"),
                  "Approve",
                  "approve-" + a.id())
              + " "
              + form(req, user, Map.of("id", a.id(), "action", "deny"), "Deny", "deny-" + a.id())
              + "</td></tr>");
    }
    out.println("</tbody></table>");
  }

  @Override
  String act(HttpServletRequest req, String actor) throws ConsoleException {
    String action = req.getParameter("action");
    String id = req.getParameter("id");
    boolean approve;
    if ("approve".equals(action)) {
      approve = true;
    } else if ("deny".equals(action)) {
      approve = false;
    } else {
      throw new ConsoleException("invalid_request", "action must be approve or deny");
    }
    if (approve) {
      ApprovalGrant g = actions.grant(id, actor);
      req.setAttribute(TOKEN, g.token());
      return "Approved " + g.request().id() + " (" + g.request().toolId() + ")";
    }
    ApprovalRequest r = actions.decide(id, false, actor);
    return "Denied " + r.id() + " (" + r.toolId() + ")";
  }

  /**
   * The warning shown next to an approval's arguments when the preview is not all of them: cut in
   * the middle ({@code args_truncated}) or with secrets replaced ({@code args_redacted}); empty
   * otherwise.
   */
  static String argsWarning(JsonNode summary) {
    List<String> parts = new ArrayList<>();
    if (summary.path("args_truncated").asBoolean()) {
      parts.add("arguments too long: only the start and the end are shown (args_truncated)");
    }
    if (summary.path("args_redacted").asBoolean()) {
      parts.add("parts that look like secrets are shown as [REDACTED] (args_redacted)");
    }
    return parts.isEmpty()
        ? ""
        : "WARNING: " + String.join("; ", parts) + " — args_hash binds the full arguments";
  }
}
