package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.policy.ActivePolicy;
import dev.briefcase.policy.PolicyEngine;
import java.io.IOException;

/**
 * {@code /v1/policy}: {@code GET} the active Cedar policy; {@code POST} replaces it (an operator
 * action with the admin token): validated against the Cedar schema, swapped atomically, persisted
 * and receipted by the engine. Invalid text → 400 {@code invalid_cedar} and the old policy stays.
 */
final class PolicyResource implements Router.Resource {
  private final Backends backends;

  PolicyResource(Backends backends) {
    this.backends = backends;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length != 2) {
      throw HttpError.notFound();
    }
    if (ex.method().equals("POST")) {
      apply(ex);
      return;
    }
    requireMethod(ex, "GET");
    ActivePolicy a = need(backends.policy(), "policy engine").active();
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("policy_text", a.policyText());
    o.put("policy_hash_hex", a.policyHashHex());
    o.put("updated_at", a.updatedAt().toString());
    ex.send(200, o);
  }

  private void apply(Exchange ex) throws IOException, HttpError {
    PolicyEngine engine = need(backends.policy(), "policy engine");
    JsonNode body = Requests.json(ex);
    JsonNode text = body == null ? null : body.get("policy_text");
    if (text == null || !text.isTextual() || text.textValue().isBlank()) {
      throw HttpError.badRequest("invalid_policy_text", "policy_text must be a non-empty string");
    }
    if (text.textValue().length() > 200_000) {
      throw HttpError.badRequest("invalid_policy_text", "policy_text exceeds 200,000 characters");
    }
    ActivePolicy a = engine.apply(text.textValue(), "admin-api");
    ObjectNode o = Views.JSON.createObjectNode();
    o.put("status", "applied");
    o.put("policy_hash_hex", a.policyHashHex());
    o.put("updated_at", a.updatedAt().toString());
    ex.send(200, o);
  }
}
