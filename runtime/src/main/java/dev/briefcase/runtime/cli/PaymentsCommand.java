package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code briefcase payments list|show}: what the kernel paid providers (SPEC §14.5). */
@Command(
    name = "payments",
    description = "Payments made for tool calls (x402, l402): metadata only, never a proof.",
    subcommands = {PaymentsCommand.ListPayments.class, PaymentsCommand.ShowPayment.class})
final class PaymentsCommand {

  /** {@code GET /v1/payments?day=&rail=}. */
  @Command(name = "list", description = "List payments, newest first.")
  static final class ListPayments extends AdminCommand implements Callable<Integer> {
    @Option(names = "--day", paramLabel = "YYYY-MM-DD", description = "Only this UTC day.")
    String day;

    @Option(names = "--rail", paramLabel = "RAIL", description = "Only this rail (x402, l402).")
    String rail;

    @Option(names = "--limit", paramLabel = "N", description = "At most N (1..500, default 50).")
    Integer limit;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      List<String> query = new ArrayList<>();
      if (day != null) {
        query.add("day=" + URLEncoder.encode(day, StandardCharsets.UTF_8));
      }
      if (rail != null) {
        query.add("rail=" + URLEncoder.encode(rail, StandardCharsets.UTF_8));
      }
      if (limit != null) {
        query.add("limit=" + limit);
      }
      String path = "/v1/payments" + (query.isEmpty() ? "" : "?" + String.join("&", query));
      AdminClient.Response res = client.get(path);
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      out()
          .printf(
              "%-36s  %-20s  %-5s  %-22s  %-10s  %s%n",
              "ID", "CREATED", "RAIL", "AMOUNT (µUSD)", "STATE", "TOOL");
      for (JsonNode p : list(client.json(res), "payments")) {
        out()
            .printf(
                "%-36s  %-20s  %-5s  %-22s  %-10s  %s%n",
                text(p, "id"),
                text(p, "created_at_rfc3339"),
                text(p, "rail"),
                BudgetsCommand.usd(p, "amount_microusd"),
                text(p, "state"),
                text(p, "tool_id"));
      }
      return ExitCodes.OK;
    }
  }

  /** {@code GET /v1/payments/{id}}. */
  @Command(name = "show", description = "Show one payment.")
  static final class ShowPayment extends AdminCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      AdminClient client = root().client();
      AdminClient.Response res =
          client.get("/v1/payments/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
      client.requireOk(res);
      if (json) {
        out().println(res.body());
        return ExitCodes.OK;
      }
      JsonNode p = client.json(res);
      for (String field :
          List.of(
              "id",
              "state",
              "code",
              "rail",
              "provider",
              "tool_id",
              "request_id",
              "description",
              "reference",
              "attempts",
              "day",
              "created_at_rfc3339",
              "updated_at_rfc3339")) {
        out().printf("%-20s %s%n", field, text(p, field));
      }
      out().printf("%-20s %s%n", "amount_microusd", BudgetsCommand.usd(p, "amount_microusd"));
      JsonNode facts = p.path("facts");
      for (Map.Entry<String, JsonNode> f : iterable(facts)) {
        out().printf("%-20s %s%n", "fact." + f.getKey(), f.getValue().asText());
      }
      return ExitCodes.OK;
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
      return node.isObject() ? node::fields : List.<Map.Entry<String, JsonNode>>of()::iterator;
    }
  }
}
