package dev.briefcase.admin.api.internal;

import static dev.briefcase.admin.api.internal.Backends.need;
import static dev.briefcase.admin.api.internal.Requests.requireMethod;
import static dev.briefcase.admin.api.internal.Requests.text;
import static dev.briefcase.admin.api.internal.Requests.wrap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.briefcase.edge.IJsonText;
import dev.briefcase.tools.CallContext;
import dev.briefcase.tools.ToolCallRequest;
import dev.briefcase.tools.ToolCallService;
import dev.briefcase.tools.ToolSpec;
import java.io.IOException;
import java.util.UUID;

/**
 * {@code /v1/tools}: the tool list, {@code POST /v1/tools/call} through the kernel's pipeline, and
 * {@code /v1/tools/{id}/manifest} (handed to {@link ManifestsResource}).
 */
final class ToolsResource implements Router.Resource {
  private final Backends backends;
  private final ManifestsResource manifests;

  ToolsResource(Backends backends, ManifestsResource manifests) {
    this.backends = backends;
    this.manifests = manifests;
  }

  @Override
  public void serve(Exchange ex, String[] p) throws IOException, HttpError {
    if (p.length == 2) {
      requireMethod(ex, "GET");
      ArrayNode arr = Views.JSON.createArrayNode();
      for (ToolSpec t : need(backends.tools(), "tool pipeline").listTools()) {
        arr.add(Views.tool(t));
      }
      ex.send(200, wrap("tools", arr));
      return;
    }
    if (p.length == 3 && p[2].equals("call")) {
      requireMethod(ex, "POST");
      call(ex);
      return;
    }
    if (p.length == 4 && p[3].equals("manifest")) {
      manifests.serve(ex, p[2]);
      return;
    }
    throw HttpError.notFound();
  }

  private void call(Exchange ex) throws IOException, HttpError {
    ToolCallService pipeline = need(backends.tools(), "tool pipeline");
    byte[] body = Requests.body(ex);
    String argsDefect = null;
    JsonNode root;
    try {
      root = Requests.STRICT.readTree(body);
    } catch (JsonProcessingException strictFailure) {
      // Duplicate keys inside the arguments have no canonical form: parse leniently so the kernel
      // denies (and receipts) the call as invalid_args instead of dropping it unrecorded.
      if (!duplicateInArgs(strictFailure)) {
        throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
      }
      try {
        root = Views.JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw HttpError.badRequest("invalid_json", "request body is not valid JSON");
      }
      argsDefect = "$: duplicate keys are not allowed";
    }
    JsonNode call = root == null ? null : root.get("call");
    if (call == null || !call.isObject()) {
      throw HttpError.badRequest("invalid_request", "body must be {\"call\":{...}}");
    }
    // I-JSON (SPEC §0, §4): a lone UTF-16 surrogate has no canonical form, and hashing it would
    // collide with '?'. Inside the call the kernel denies and receipts the attempt (invalid_args);
    // anywhere else in the body the request is refused here.
    String notIJson = IJsonText.loneSurrogatePath(root, "$", "");
    if (notIJson != null && !notIJson.startsWith("$.call.")) {
      throw HttpError.badRequest(
          "invalid_request", "request body is not I-JSON: lone UTF-16 surrogate at " + notIJson);
    }
    if (notIJson != null && argsDefect == null) {
      // inside args: its path there, as the kernel names args problems; elsewhere in the call (a
      // field the kernel never sees included) the whole path — either way the tool never runs
      String inArgs =
          call.has("args") ? IJsonText.loneSurrogatePath(call.get("args"), "$", "") : null;
      argsDefect = (inArgs != null ? inArgs : notIJson) + ": lone UTF-16 surrogate (not I-JSON)";
    }
    JsonNode toolId = call.get("tool_id");
    if (toolId == null || !toolId.isTextual() || toolId.textValue().isEmpty()) {
      throw HttpError.badRequest("invalid_request", "call.tool_id must be a non-empty string");
    }
    if (toolId.textValue().length() > 256) {
      throw HttpError.badRequest("invalid_request", "call.tool_id is too long");
    }
    JsonNode args = call.has("args") ? call.get("args") : Views.JSON.createObjectNode();
    JsonNode ctx = call.path("context");
    String requestId = text(ctx, "request_id", 64);
    if (requestId == null) {
      requestId = UUID.randomUUID().toString();
    }
    JsonNode tokenNode = call.get("approval_token");
    String approvalToken = null;
    if (tokenNode != null && !tokenNode.isNull()) {
      if (!tokenNode.isTextual()) {
        throw HttpError.badRequest("invalid_request", "call.approval_token must be a string");
      }
      approvalToken = tokenNode.textValue();
    }
    CallContext context =
        new CallContext(
            requestId, text(ctx, "agent_id", 128), text(ctx, "session_id", 128), "admin-api");
    ex.send(
        200,
        Views.outcome(
            pipeline.call(
                new ToolCallRequest(
                    toolId.textValue(), args, context, approvalToken, argsDefect))));
  }

  /** Whether strict parsing failed only because of a duplicate key inside {@code call.args}. */
  private static boolean duplicateInArgs(JsonProcessingException e) {
    if (!(e instanceof StreamReadException sre)
        || sre.getProcessor() == null
        || e.getOriginalMessage() == null
        || !e.getOriginalMessage().startsWith("Duplicate field")) {
      return false;
    }
    return sre.getProcessor()
        .getParsingContext()
        .pathAsPointer()
        .toString()
        .startsWith("/call/args/");
  }
}
