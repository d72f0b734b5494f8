package dev.briefcase.console.internal;

import dev.briefcase.payment.PaymentRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Payments by UTC day and rail as an inline SVG stacked bar chart (no script, no external
 * resource): one column per day (oldest left), one coloured segment per rail, heights in proportion
 * to the busiest day. Only money that left counts: payments {@code paid} or {@code settled}.
 */
final class PaymentChart {
  static final int WIDTH = 640;
  static final int HEIGHT = 220;
  private static final int PLOT_H = 160;
  private static final int TOP = 20;
  private static final int LEFT = 10;
  private static final int MAX_DAYS = 14;
  private static final String[] COLOURS = {"#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32", "#795548"};

  private PaymentChart() {}

  /** day → rail → µUSD, for the newest {@value #MAX_DAYS} days that have payments. */
  static TreeMap<String, TreeMap<String, Long>> byDayAndRail(List<PaymentRecord> payments) {
    TreeMap<String, TreeMap<String, Long>> out = new TreeMap<>();
    for (PaymentRecord p : payments) {
      if (p.state().equals("paid") || p.state().equals("settled")) {
        out.computeIfAbsent(p.day(), d -> new TreeMap<>())
            .merge(p.rail(), p.amountMicroUsd(), Long::sum);
      }
    }
    while (out.size() > MAX_DAYS) {
      out.pollFirstEntry();
    }
    return out;
  }

  static String svg(List<PaymentRecord> payments) {
    TreeMap<String, TreeMap<String, Long>> days = byDayAndRail(payments);
    TreeSet<String> rails = new TreeSet<>();
    long max = 1;
    for (Map<String, Long> perRail : days.values()) {
      rails.addAll(perRail.keySet());
      max = Math.max(max, perRail.values().stream().mapToLong(Long::longValue).sum());
    }
    List<String> railOrder = List.copyOf(rails);
    StringBuilder s =
        new StringBuilder("<svg id=\"payment-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
            .append(WIDTH)
            .append("\" height=\"")
            .append(HEIGHT)
            .append("\" role=\"img\" aria-label=\"Payments per day and rail\">");
    if (days.isEmpty()) {
      s.append("<text x=\"10\" y=\"40\" font-size=\"13\">No payments yet</text>");
    }
    int slot = (WIDTH - LEFT) / MAX_DAYS;
    int x = LEFT;
    for (Map.Entry<String, TreeMap<String, Long>> day : days.entrySet()) {
      int y = TOP + PLOT_H;
      s.append("<g class=\"day\" data-day=\"").append(Html.attr(day.getKey())).append("\">");
      for (Map.Entry<String, Long> rail : day.getValue().entrySet()) {
        int h = (int) Math.max(1, Math.round((double) rail.getValue() * PLOT_H / max));
        y -= h;
        s.append("<rect class=\"rail\" data-rail=\"")
            .append(Html.attr(rail.getKey()))
            .append("\" x=\"")
            .append(x)
            .append("\" y=\"")
            .append(y)
            .append("\" width=\"")
            .append(slot - 8)
            .append("\" height=\"")
            .append(h)
            .append("\" fill=\"")
            .append(COLOURS[railOrder.indexOf(rail.getKey()) % COLOURS.length])
            .append("\"><title>")
            .append(
                Html.text(
                    day.getKey()
                        + " "
                        + rail.getKey()
                        + ": "
                        + BudgetChart.usd(rail.getValue())
                        + " USD"))
            .append("</title></rect>");
      }
      s.append("<text x=\"")
          .append(x)
          .append("\" y=\"")
          .append(TOP + PLOT_H + 14)
          .append("\" font-size=\"9\">")
          .append(Html.text(day.getKey().substring(5)))
          .append("</text></g>");
      x += slot;
    }
    int lx = LEFT;
    for (String rail : railOrder) {
      s.append("<rect x=\"")
          .append(lx)
          .append("\" y=\"4\" width=\"10\" height=\"10\" fill=\"")
          .append(COLOURS[railOrder.indexOf(rail) % COLOURS.length])
          .append("\"/><text x=\"")
          .append(lx + 14)
          .append("\" y=\"13\" font-size=\"11\">")
          .append(Html.text(rail))
          .append("</text>");
      lx += 80;
    }
    return s.append("</svg>").toString();
  }
}
