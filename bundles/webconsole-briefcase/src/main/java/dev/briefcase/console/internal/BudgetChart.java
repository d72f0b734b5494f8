package dev.briefcase.console.internal;

import dev.briefcase.budgets.Budget;
import java.math.BigDecimal;
import java.util.List;

/**
 * Today's spend per category as an inline SVG bar chart (no script, no external resource): one bar
 * per category, its length the share of the daily limit spent (capped at the full width), green
 * below 80 %, amber below 100 %, red at or over the limit.
 */
final class BudgetChart {
  static final int WIDTH = 640;
  private static final int LABEL_W = 120;
  private static final int BAR_W = 360;
  private static final int ROW_H = 28;

  private BudgetChart() {}

  static String svg(List<Budget> budgets) {
    int height = Math.max(1, budgets.size()) * ROW_H + 10;
    StringBuilder s =
        new StringBuilder("<svg id=\"budget-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
            .append(WIDTH)
            .append("\" height=\"")
            .append(height)
            .append("\" role=\"img\" aria-label=\"Today's spend per budget category\">");
    int y = 5;
    for (Budget b : budgets) {
      double share =
          b.dailyLimitMicroUsd() <= 0
              ? (b.spentTodayMicroUsd() > 0 ? 1.0 : 0.0)
              : (double) b.spentTodayMicroUsd() / b.dailyLimitMicroUsd();
      int len = (int) Math.round(Math.min(1.0, share) * BAR_W);
      String colour = share >= 1.0 ? "#c62828" : share >= 0.8 ? "#f9a825" : "#2e7d32";
      String label = usd(b.spentTodayMicroUsd()) + " of " + usd(b.dailyLimitMicroUsd()) + " USD";
      s.append("<g class=\"bar\" data-category=\"")
          .append(Html.attr(b.category()))
          .append("\"><title>")
          .append(Html.text(b.category() + ": " + label))
          .append("</title><text x=\"0\" y=\"")
          .append(y + 17)
          .append("\" font-size=\"13\">")
          .append(Html.text(b.category()))
          .append("</text><rect x=\"")
          .append(LABEL_W)
          .append("\" y=\"")
          .append(y + 4)
          .append("\" width=\"")
          .append(BAR_W)
          .append("\" height=\"16\" fill=\"#eeeeee\"/><rect class=\"spent\" x=\"")
          .append(LABEL_W)
          .append("\" y=\"")
          .append(y + 4)
          .append("\" width=\"")
          .append(len)
          .append("\" height=\"16\" fill=\"")
          .append(colour)
          .append("\"/><text x=\"")
          .append(LABEL_W + BAR_W + 8)
          .append("\" y=\"")
          .append(y + 17)
          .append("\" font-size=\"12\">")
          .append(Html.text(label))
          .append("</text></g>");
      y += ROW_H;
    }
    return s.append("</svg>").toString();
  }

  static String usd(long microUsd) {
    return BigDecimal.valueOf(microUsd, 6).stripTrailingZeros().toPlainString();
  }
}
