package dev.briefcase.console.internal;

import dev.briefcase.payment.PaymentRecord;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import java.io.PrintWriter;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Payments made for tool calls (SPEC §14.5): a chart by day and rail and the newest rows. */
@Component(
    service = Servlet.class,
    property = {
      "felix.webconsole.label=" + PaymentsPage.LABEL,
      "felix.webconsole.title=Payments",
      "felix.webconsole.category=" + Page.CATEGORY
    })
public final class PaymentsPage extends Page {
  private static final long serialVersionUID = 1L;
  static final String LABEL = "briefcase-payments";
  private static final int ROWS = 100;

  @Activate
  public PaymentsPage(@Reference ConsoleActions actions) {
    this.actions = actions;
  }

  @Override
  void render(HttpServletRequest req, PrintWriter out, String user) throws ConsoleException {
    List<PaymentRecord> payments = actions.payments(500);
    out.println("<h2>Paid per UTC day and rail (USD)</h2>");
    out.println(PaymentChart.svg(payments));
    out.println(table(payments.subList(0, Math.min(ROWS, payments.size()))));
  }

  static String table(List<PaymentRecord> payments) {
    StringBuilder s =
        new StringBuilder(
            "<table id=\"payments\" class=\"tablesorter nicetable\"><thead><tr><th>Created</th>"
                + "<th>Rail</th><th>Amount (USD)</th><th>State</th><th>Code</th><th>Tool</th>"
                + "<th>Provider</th><th>Reference</th><th>Id</th></tr></thead><tbody>");
    for (PaymentRecord p : payments) {
      s.append("<tr><td>")
          .append(Html.text(p.created().toString()))
          .append("</td><td>")
          .append(Html.text(p.rail()))
          .append("</td><td>")
          .append(BudgetChart.usd(p.amountMicroUsd()))
          .append("</td><td>")
          .append(Html.text(p.state()))
          .append("</td><td>")
          .append(Html.text(p.code() == null ? "" : p.code()))
          .append("</td><td>")
          .append(Html.text(p.toolId()))
          .append("</td><td>")
          .append(Html.text(p.provider()))
          .append("</td><td>")
          .append(Html.text(p.reference() == null ? "" : p.reference()))
          .append("</td><td>")
          .append(Html.text(p.id()))
          .append("</td></tr>");
    }
    return s.append("</tbody></table>").toString();
  }

  @Override
  String act(HttpServletRequest req, String actor) throws ConsoleException {
    throw new ConsoleException("invalid_request", "this page has no actions");
  }
}
