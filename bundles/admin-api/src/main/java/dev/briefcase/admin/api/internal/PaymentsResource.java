package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.intParam;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.payment.PaymentHistory;
import dev.briefcase.payment.PaymentRecord;
import java.io.IOException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /v1/payments?day=&rail=&limit=&offset=} (newest first) and {@code GET
 * /v1/payments/{id}}: what the kernel paid, metadata only (SPEC §14.5). The kernel's {@link
 * PaymentHistory} is looked up per request (503 {@code backend_unavailable} without it).
 */
final class PaymentsResource implements Router.Resource {
  static final String INVALID_DAY = "invalid_day";
  static final String INVALID_RAIL = "invalid_rail";

  private final Supplier<PaymentHistory> history;

  PaymentsResource(Supplier<PaymentHistory> history) {
    this.history = history;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      requireMethod(ex, "GET");
      Map<String, String> q = ex.query();
      String day = day(q.get("day"));
      String rail = rail(q.get("rail"));
      int limit = (int) intParam(q, "limit", 50, 1, 500);
      long offset = intParam(q, "offset", 0, 0, Long.MAX_VALUE);
      ArrayNode arr = Views.JSON.createArrayNode();
      need(history, "payments").list(day, rail, limit, offset).forEach(r -> arr.add(payment(r)));
      ObjectNode out = wrap("payments", arr);
      out.put("limit", limit);
      out.put("offset", offset);
      ex.send(200, out);
      return;
    }
    if (p.length == 3) {
      requireMethod(ex, "GET");
      if (!p[2].matches("[0-9a-f-]{36}")) {
        throw HttpError.notFound();
      }
      PaymentRecord r = need(history, "payments").get(p[2]).orElseThrow(HttpError::notFound);
      ex.send(200, payment(r));
      return;
    }
    throw HttpError.notFound();
  }

  private static String day(String value) throws HttpError {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      if (value.length() == 10) {
        return LocalDate.parse(value).toString();
      }
    } catch (DateTimeParseException e) {
      // answered below
    }
    throw HttpError.badRequest(INVALID_DAY, "day must be a UTC date yyyy-mm-dd");
  }

  private static String rail(String value) throws HttpError {
    if (value == null || value.isEmpty()) {
      return null;
    }
    if (!value.matches("[a-z0-9_]{1,32}")) {
      throw HttpError.badRequest(INVALID_RAIL, "rail must be a scheme such as x402 or l402");
    }
    return value;
  }

  static ObjectNode payment(PaymentRecord r) {
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("id", r.id());
    o.put("created_at_rfc3339", r.created().toString());
    o.put("updated_at_rfc3339", r.updated().toString());
    o.put("day", r.day());
    o.put("request_id", r.requestId());
    o.put("tool_id", r.toolId());
    o.put("provider", r.provider());
    o.put("rail", r.rail());
    o.put("amount_microusd", r.amountMicroUsd());
    o.put("description", r.description());
    ObjectNode facts = o.putObject("facts");
    new java.util.TreeMap<>(r.facts()).forEach(facts::put);
    o.put("state", r.state());
    if (r.code() == null) {
      o.putNull("code");
    } else {
      o.put("code", r.code());
    }
    if (r.reference() == null) {
      o.putNull("reference");
    } else {
      o.put("reference", r.reference());
    }
    o.put("attempts", r.attempts());
    return o;
  }
}
