package dev.briefcase.console.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.receipts.Receipt;
import dev.briefcase.receipts.VerifyResult;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Recent receipts, the chain status from a full verify, and the export download. */
@Component(
    service = Servlet.class,
    property = {
      "felix.webconsole.label=" + ReceiptsPage.LABEL,
      "felix.webconsole.title=Receipts",
      "felix.webconsole.category=" + Page.CATEGORY
    })
public final class ReceiptsPage extends Page {
  private static final long serialVersionUID = 1L;
  static final String LABEL = "briefcase-receipts";
  static final String EXPORT = "/export.ndjson";
  private static final int SHOWN = 100;

  @Activate
  public ReceiptsPage(@Reference ConsoleActions actions) {
    this.actions = actions;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp)
      throws ServletException, IOException {
    if (!req.getRequestURI().endsWith(LABEL + EXPORT)) {
      super.doGet(req, resp);
      return;
    }
    resp.setHeader("Cache-Control", "no-store");
    resp.setHeader("Content-Disposition", "attachment; filename=\"briefcase-receipts.ndjson\"");
    resp.setContentType("application/x-ndjson;charset=utf-8");
    try {
      Writer w = new OutputStreamWriter(resp.getOutputStream(), StandardCharsets.UTF_8);
      actions.export(w);
      w.flush();
    } catch (ConsoleException e) {
      resp.reset();
      plain(resp, 503, e.code() + ": " + e.getMessage());
    }
  }

  @Override
  void render(HttpServletRequest req, PrintWriter out, String user) throws ConsoleException {
    VerifyResult v = actions.verify();
    if (v.ok()) {
      out.println(
          "<p id=\"chain-status\" class=\"statline ui-state-highlight\" data-ok=\"true\">Chain"
              + " verifies: "
              + v.count()
              + " receipts, head <code>"
              + Html.text(v.headHashHex())
              + "</code></p>");
    } else {
      out.println(
          "<p id=\"chain-status\" class=\"statline ui-state-error\" data-ok=\"false\">Chain BROKEN"
              + " at receipt "
              + Html.text(v.firstBadId())
              + " ("
              + Html.text(v.reason())
              + "), "
              + v.count()
              + " checked</p>");
    }
    out.println(
        "<p><a id=\"export\" class=\"ui-button\" href=\""
            + Html.attr(pluginRoot(req) + EXPORT)
            + "\" download>Export all receipts (JSON lines)</a></p>");
    List<Receipt> list = actions.receipts(SHOWN);
    out.println("<h2>Latest " + list.size() + " receipts</h2>");
    out.println(
        "<table id=\"receipts\" class=\"tablesorter nicetable\"><thead><tr><th>Id</th><th>Time</th>"
            + "<th>Type</th><th>Subject</th><th>Outcome</th><th>By</th><th>Approval</th>"
            + "<th>Event</th></tr></thead><tbody>");
    for (Receipt r : list) {
      ObjectNode e = r.event();
      String type = e.path("type").asText("");
      String subject = e.has("tool_id") ? e.path("tool_id").asText() : e.path("bundle").asText("");
      String outcome =
          e.has("decision") ? e.path("decision").asText() : e.path("action").asText("");
      String by = e.has("actor") ? e.path("actor").asText() : e.path("surface").asText("");
      String event = ConsoleActions.compact(e);
      if (event.length() > 400) {
        event = event.substring(0, 400) + "…";
      }
      out.println(
          "<tr data-receipt-id=\""
              + r.id()
              + "\" data-type=\""
              + Html.attr(type)
              + "\" data-approval-id=\""
              + Html.attr(e.path("approval_id").asText(""))
              + "\"><td>"
              + r.id()
              + "</td><td>"
              + Html.text(r.ts())
              + "</td><td>"
              + Html.text(type)
              + "</td><td class=\"subject\">"
              + Html.text(subject)
              + "</td><td>"
              + Html.text(outcome)
              + "</td><td>"
              + Html.text(by)
              + "</td><td><code>"
              + Html.text(e.path("approval_id").asText(""))
              + "</code></td><td><code class=\"event\">"
              + Html.text(event)
              + "</code></td></tr>");
    }
    out.println("</tbody></table>");
  }

  @Override
  String act(HttpServletRequest req, String actor) throws ConsoleException {
    throw new ConsoleException("invalid_request", "this page has no actions");
  }
}
