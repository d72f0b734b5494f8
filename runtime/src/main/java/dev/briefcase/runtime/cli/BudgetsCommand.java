package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code briefcase budgets list|set}. */
@Command(
    name = "budgets",
    description = "Daily spending limits per tool category, in micro-USD.",
    subcommands = {BudgetsCommand.ListBudgets.class, BudgetsCommand.SetBudget.class})
final class BudgetsCommand {

  static String usd(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.canConvertToLong()) {
      return "-";
    }
    return String.format("%d (%.6f USD)", v.asLong(), v.asLong() / 1_000_000.0);
  }

  /** {@code GET /v1/budgets}. */
  @Command(name = "list", description = "Show each category's daily limit and today's spend.")
  static final class ListBudgets extends AdminCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res = client.get("/v1/budgets");
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      out().printf("%-16s %-32s %s%n", "CATEGORY", "DAILY LIMIT (µUSD)", "SPENT TODAY (µUSD)");
      for (JsonNode b : list(client.json(res), "budgets")) {
        out()
            .printf(
                "%-16s %-32s %s%n",
                text(b, "category"),
                usd(b, "daily_limit_microusd"),
                usd(b, "spent_today_microusd"));
      }
      return ExitCodes.OK;
    }
  }

  /** {@code POST /v1/budgets/{category}}. */
  @Command(
      name = "set",
      description = "Set a category's daily limit in micro-USD (1 USD = 1000000).")
  static final class SetBudget extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CATEGORY")
    String category;

    @Parameters(index = "1", paramLabel = "MICROUSD")
    long microusd;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      String body =
          root().mapper.createObjectNode().put("daily_limit_microusd", microusd).toString();
      AdminClient.Response res =
          client.post("/v1/budgets/" + URLEncoder.encode(category, StandardCharsets.UTF_8), body);
      client.requireOk(res);
      if (json) {
        out().println(res.body());
      } else {
        out().println("budget " + category + ": daily limit " + microusd + " µUSD");
      }
      return ExitCodes.OK;
    }
  }
}
