package dev.briefcase.gateway.mcp.internal;

import java.io.IOException;

/**
 * One HTTP request and its response, as {@link McpEndpoint} needs them. Keeps the protocol logic
 * independent of the servlet container, so it is unit-tested without Jetty. Used by one thread at a
 * time; a stream returned by {@link #openStream()} may then be written from any thread.
 */
interface Exchange {

  /** The HTTP method, upper case. */
  String method();

  /** The first value of a request header (case-insensitive name), or {@code null}. */
  String header(String name);

  /** The IP address literal of the local end of the connection, or {@code null} if unknown. */
  String localAddress();

  /** The port of the local end of the connection, or -1 if unknown. */
  int localPort();

  /**
   * Reads the whole request body.
   *
   * @return the body, or {@code null} when it is longer than {@code max} bytes
   */
  byte[] readBody(int max) throws IOException;

  /** Sets a response header for the response that follows. */
  void setHeader(String name, String value);

  /** Sends a complete response; {@code body} may be {@code null} for none. */
  void respond(int status, String contentType, byte[] body) throws IOException;

  /**
   * Answers 200 with {@code text/event-stream} and keeps the response open after the handler
   * returns. The headers are sent before this returns.
   */
  EventStream openStream() throws IOException;
}
