package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.briefcase.budgets.BudgetService;
import java.io.IOException;

/** {@code /v1/budgets}: the list and {@code POST /v1/budgets/{category}} to set a daily limit. */
final class BudgetsResource implements Router.Resource {
  private final Backends backends;

  BudgetsResource(Backends backends) {
    this.backends = backends;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      requireMethod(ex, "GET");
      ArrayNode arr = Views.JSON.createArrayNode();
      need(backends.budgets(), "budgets").list().forEach(b -> arr.add(Views.budget(b)));
      ex.send(200, wrap("budgets", arr));
      return;
    }
    if (p.length == 3) {
      requireMethod(ex, "POST");
      set(ex, p[2]);
      return;
    }
    throw HttpError.notFound();
  }

  private void set(Exchange ex, String category) throws IOException, HttpError {
    BudgetService service = need(backends.budgets(), "budgets");
    JsonNode body = Requests.json(ex);
    JsonNode limit = body == null ? null : body.get("daily_limit_microusd");
    if (limit == null || !limit.isIntegralNumber() || !limit.canConvertToLong()) {
      throw HttpError.badRequest("invalid_budget", "daily_limit_microusd must be an integer");
    }
    try {
      ex.send(200, Views.budget(service.set(category, limit.longValue())));
    } catch (IllegalArgumentException e) {
      // the budget service names the refusal in the message: invalid_category, invalid_budget
      throw HttpError.badRequest(e.getMessage(), "budget refused: " + e.getMessage());
    }
  }
}
