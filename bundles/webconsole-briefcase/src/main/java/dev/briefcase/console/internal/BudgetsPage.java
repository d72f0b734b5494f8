package dev.briefcase.console.internal;

import dev.briefcase.budgets.Budget;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import java.io.PrintWriter;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Today's spend against the daily limit of each category, as a chart and a table. */
@Component(
    service = Servlet.class,
    property = {
      "felix.webconsole.label=" + BudgetsPage.LABEL,
      "felix.webconsole.title=Budgets",
      "felix.webconsole.category=" + Page.CATEGORY
    })
public final class BudgetsPage extends Page {
  private static final long serialVersionUID = 1L;
  static final String LABEL = "briefcase-budgets";

  @Activate
  public BudgetsPage(@Reference ConsoleActions actions) {
    this.actions = actions;
  }

  @Override
  void render(HttpServletRequest req, PrintWriter out, String user) throws ConsoleException {
    List<Budget> budgets = actions.budgets();
    out.println("<h2>Today's spend (UTC day)</h2>");
    out.println(BudgetChart.svg(budgets));
    out.println(
        "<table id=\"budgets\" class=\"tablesorter nicetable\"><thead><tr><th>Category</th>"
            + "<th>Spent today (USD)</th><th>Daily limit (USD)</th></tr></thead><tbody>");
    for (Budget b : budgets) {
      out.println(
          "<tr><td>"
              + Html.text(b.category())
              + "</td><td>"
              + BudgetChart.usd(b.spentTodayMicroUsd())
              + "</td><td>"
              + BudgetChart.usd(b.dailyLimitMicroUsd())
              + "</td></tr>");
    }
    out.println("</tbody></table>");
  }

  @Override
  String act(HttpServletRequest req, String actor) throws ConsoleException {
    throw new ConsoleException("invalid_request", "this page has no actions");
  }
}
