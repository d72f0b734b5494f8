package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.edge.IJsonText;
import java.io.IOException;

/**
 * JSON-RPC 2.0 framing of the MCP endpoint: one message per POST body, parsed under the I-JSON
 * rules of SPEC §0, checked (no batches, {@code jsonrpc}, {@code method}, {@code id}) and answered
 * with response and error objects. Stateless.
 */
final class JsonRpc {
  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  static final int METHOD_NOT_FOUND = -32601;
  static final int INVALID_PARAMS = -32602;
  static final int INTERNAL_ERROR = -32603;
  static final int NOT_INITIALIZED = -32002;
  static final int SESSION_NOT_FOUND = -32001;
  static final int TRANSPORT_ERROR = -32000;

  /** The {@code argsDefect} handed to the kernel when the raw arguments had duplicate keys. */
  static final String DUPLICATE_KEYS = "$: duplicate keys are not allowed";

  static final String JSON_TYPE = "application/json";

  static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** Strict: duplicate keys are not I-JSON, and trailing data is not one message. */
  static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static final ObjectMapper LENIENT =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private JsonRpc() {}

  /**
   * One message that passed the framing checks.
   *
   * @param id a valid id (string or integer), or {@code null} for a notification
   * @param method the method, or {@code null} for a response to a server request
   * @param params the params, {@code null} when absent or JSON {@code null}
   * @param argsDefect why the kernel must deny a {@code tools/call}'s arguments, or {@code null}
   * @param notIJson the path of a lone surrogate in the params of a {@code tools/call}, or null
   */
  record Message(JsonNode id, String method, JsonNode params, String argsDefect, String notIJson) {
    boolean isRequest() {
      return id != null;
    }

    boolean isResponse() {
      return method == null;
    }
  }

  /** Parses and checks one POST body; {@code null} after answering the error itself. */
  static Message read(Exchange ex, byte[] body) throws IOException {
    JsonNode msg;
    String argsDefect = null;
    try {
      msg = JSON.readTree(body);
    } catch (StreamReadException e) {
      if (!duplicateInArguments(e)) {
        rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error");
        return null;
      }
      // Duplicate keys inside the arguments have no canonical form: parse leniently and let the
      // kernel deny (and receipt) the call as invalid_args instead of dropping it unrecorded.
      try {
        msg = LENIENT.readTree(body);
      } catch (IOException again) {
        rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error");
        return null;
      }
      argsDefect = DUPLICATE_KEYS;
    } catch (IOException e) {
      rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error");
      return null;
    }
    if (msg == null || msg.isMissingNode()) {
      rpcError(ex, 400, NullNode.instance, PARSE_ERROR, "Parse error: empty body");
      return null;
    }
    if (msg.isArray()) {
      rpcError(
          ex,
          400,
          NullNode.instance,
          INVALID_REQUEST,
          "Invalid Request: batches are not supported; send one JSON-RPC message per POST");
      return null;
    }
    if (!msg.isObject()) {
      rpcError(ex, 400, NullNode.instance, INVALID_REQUEST, "Invalid Request");
      return null;
    }
    JsonNode id = msg.get("id");
    boolean hasId = id != null;
    JsonNode replyId = validId(id) ? id : NullNode.instance;
    JsonNode version = msg.get("jsonrpc");
    if (version == null || !"2.0".equals(version.textValue())) {
      rpcError(ex, 400, replyId, INVALID_REQUEST, "Invalid Request: jsonrpc must be \"2.0\"");
      return null;
    }
    JsonNode methodNode = msg.get("method");
    if (methodNode == null) {
      if (hasId && (msg.has("result") || msg.has("error"))) {
        return new Message(id, null, null, null, null);
      }
      rpcError(ex, 400, replyId, INVALID_REQUEST, "Invalid Request: method is missing");
      return null;
    }
    if (!methodNode.isTextual()) {
      rpcError(ex, 400, replyId, INVALID_REQUEST, "Invalid Request: method must be a string");
      return null;
    }
    if (hasId && !validId(id)) {
      rpcError(
          ex,
          400,
          NullNode.instance,
          INVALID_REQUEST,
          "Invalid Request: id must be a string or an integer");
      return null;
    }
    String method = methodNode.textValue();
    // I-JSON (SPEC §0): a lone UTF-16 surrogate anywhere has no canonical form. A tools/call
    // whose params hold one still reaches the kernel, which denies and receipts the attempt; the
    // answer is then Invalid params. Anything else is refused here, echoing none of it.
    String notIJson = IJsonText.loneSurrogatePath(msg, "$", "…");
    if (notIJson != null) {
      boolean inParams = notIJson.startsWith("$.params");
      if (!(hasId && inParams && "tools/call".equals(method))) {
        JsonNode safeId = notIJson.startsWith("$.id") ? NullNode.instance : replyId;
        if (inParams && hasId) {
          rpcError(ex, 200, safeId, INVALID_PARAMS, notIJsonMessage("Invalid params", notIJson));
        } else {
          rpcError(ex, 400, safeId, INVALID_REQUEST, notIJsonMessage("Invalid Request", notIJson));
        }
        return null;
      }
      if (argsDefect == null) {
        // the kernel denies (and receipts) the call whatever part of the params held it, so a
        // field it never sees (_meta, say) cannot slip a malformed call through to the tool
        JsonNode arguments = msg.path("params").get("arguments");
        String inArgs = IJsonText.loneSurrogatePath(arguments, "$", "…");
        argsDefect = (inArgs != null ? inArgs : notIJson) + ": lone UTF-16 surrogate (not I-JSON)";
      }
    }
    JsonNode params = msg.get("params");
    if (params != null && params.isNull()) {
      params = null;
    }
    return new Message(id, method, params, argsDefect, notIJson);
  }

  /** Whether strict parsing failed only on a duplicate key inside {@code params.arguments}. */
  private static boolean duplicateInArguments(StreamReadException e) {
    if (e.getProcessor() == null
        || e.getOriginalMessage() == null
        || !e.getOriginalMessage().startsWith("Duplicate field")) {
      return false;
    }
    return e.getProcessor()
        .getParsingContext()
        .pathAsPointer()
        .toString()
        .startsWith("/params/arguments/");
  }

  static boolean validId(JsonNode id) {
    return id != null && (id.isTextual() || id.isIntegralNumber());
  }

  /** The answer to a message that is not I-JSON; {@code path} is already well-formed. */
  static String notIJsonMessage(String prefix, String path) {
    return prefix + ": not I-JSON, lone UTF-16 surrogate at " + clip(path, 200);
  }

  static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }

  static ObjectNode response(JsonNode id, JsonNode result) {
    ObjectNode o = F.objectNode();
    o.put("jsonrpc", "2.0");
    o.set("id", id);
    o.set("result", result);
    return o;
  }

  static ObjectNode errorMessage(JsonNode id, int code, String message) {
    ObjectNode o = F.objectNode();
    o.put("jsonrpc", "2.0");
    o.set("id", id);
    ObjectNode e = o.putObject("error");
    e.put("code", code);
    e.put("message", message);
    return o;
  }

  static void result(Exchange ex, JsonNode id, JsonNode result) throws IOException {
    send(ex, 200, response(id, result));
  }

  static void rpcError(Exchange ex, int status, JsonNode id, int code, String message)
      throws IOException {
    send(ex, status, errorMessage(id, code, message));
  }

  /**
   * Rejects a request at the transport level. Such a request's body may not have been read, so the
   * connection is closed after the answer: a keep-alive client must not send its next request into
   * a stream the server is about to drop.
   */
  static void transportError(Exchange ex, int status, String message) throws IOException {
    ex.setHeader("Connection", "close");
    rpcError(ex, status, NullNode.instance, TRANSPORT_ERROR, message);
  }

  private static void send(Exchange ex, int status, ObjectNode message) throws IOException {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(message);
    } catch (JsonProcessingException e) {
      throw new IOException("could not serialise a response", e);
    }
    ex.respond(status, JSON_TYPE, bytes);
  }
}
