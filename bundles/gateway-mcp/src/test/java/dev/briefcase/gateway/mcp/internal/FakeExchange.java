package dev.briefcase.gateway.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** An in-memory {@link Exchange}: set the request, read the response. */
final class FakeExchange implements Exchange {
  final String method;
  final Map<String, String> requestHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  final Map<String, String> responseHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  byte[] body = new byte[0];
  String localAddress = "127.0.0.1";
  int localPort = 8765;
  int status;
  String contentType;
  byte[] responseBody;
  FakeStream stream;

  FakeExchange(String method) {
    this.method = method;
  }

  /** A POST as SDK clients send it. */
  static FakeExchange post(String json) {
    FakeExchange ex = new FakeExchange("POST");
    ex.requestHeaders.put("Host", "127.0.0.1:8765");
    ex.requestHeaders.put("Accept", "application/json, text/event-stream");
    ex.requestHeaders.put("Content-Type", "application/json");
    ex.body = json.getBytes(StandardCharsets.UTF_8);
    return ex;
  }

  FakeExchange header(String name, String value) {
    requestHeaders.put(name, value);
    return this;
  }

  FakeExchange session(String id) {
    return header("Mcp-Session-Id", id);
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String header(String name) {
    return requestHeaders.get(name);
  }

  @Override
  public int localPort() {
    return localPort;
  }

  @Override
  public String localAddress() {
    return localAddress;
  }

  @Override
  public byte[] readBody(int max) {
    return body.length > max ? null : body;
  }

  @Override
  public void setHeader(String name, String value) {
    responseHeaders.put(name, value);
  }

  @Override
  public void respond(int status, String contentType, byte[] body) {
    if (this.status != 0) {
      throw new IllegalStateException("answered twice");
    }
    this.status = status;
    this.contentType = contentType;
    this.responseBody = body;
  }

  @Override
  public EventStream openStream() throws IOException {
    if (this.status != 0) {
      throw new IllegalStateException("answered twice");
    }
    this.status = 200;
    this.contentType = "text/event-stream";
    this.stream = new FakeStream();
    return stream;
  }

  JsonNode json() throws IOException {
    return JsonRpc.JSON.readTree(responseBody);
  }
}
