package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.approvals.ApprovalGrant;
import dev.briefcase.approvals.ApprovalService;
import dev.briefcase.tools.ApprovalRequest;
import java.io.IOException;

/**
 * {@code /v1/approvals}: the pending list, the event stream (on {@link SseStreams}' own pool) and
 * {@code POST /v1/approvals/{id}/approve|deny}.
 */
final class ApprovalsResource implements Router.Resource {
  private final Backends backends;
  private final SseStreams streams;

  ApprovalsResource(Backends backends, SseStreams streams) {
    this.backends = backends;
    this.streams = streams;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      requireMethod(ex, "GET");
      ArrayNode arr = Views.JSON.createArrayNode();
      for (ApprovalRequest a : need(backends.approvals(), "approvals").pending()) {
        arr.add(Views.approval(a));
      }
      ex.send(200, wrap("approvals", arr));
      return;
    }
    if (p.length == 3 && p[2].equals("stream")) {
      requireMethod(ex, "GET");
      streams.serve(ex, need(backends.approvals(), "approvals"));
      return;
    }
    if (p.length == 4 && (p[3].equals("approve") || p[3].equals("deny"))) {
      requireMethod(ex, "POST");
      decide(ex, p[2], p[3].equals("approve"));
      return;
    }
    throw HttpError.notFound();
  }

  private void decide(Exchange ex, String id, boolean approve) throws IOException, HttpError {
    ApprovalService service = need(backends.approvals(), "approvals");
    Requests.drain(ex);
    ObjectNode o = Views.JSON.createObjectNode();
    if (approve) {
      // the token goes to the approver only: this answer, never a receipt, stream or log
      ApprovalGrant g = service.grant(id, "admin-api");
      o.put("approval_id", g.request().id());
      o.put("approval_token", g.token().reveal());
      o.put("state", g.request().state());
    } else {
      ApprovalRequest r = service.deny(id, "admin-api");
      o.put("approval_id", r.id());
      o.put("state", r.state());
    }
    ex.send(200, o);
  }
}
