package dev.briefcase.egress.internal;

import static dev.briefcase.egress.EgressException.PROTOCOL_ERROR;
import static dev.briefcase.egress.EgressException.REDIRECT_REFUSED;
import static dev.briefcase.egress.EgressException.RESPONSE_TOO_LARGE;

import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 exchange over one connected socket: one request with {@code Connection:
 * close}, then a status line, headers and a body delimited by {@code Content-Length}, chunked
 * encoding or end of stream. Every read is bounded by the read timeout and the overall deadline;
 * the body by the cap, which either refuses a longer body or, when the policy says so, cuts it
 * there and stops reading (the connection is closed, never drained). No redirects, no keep-alive,
 * no content decoding.
 */
final class HttpExchange {
  static final int MAX_LINE = 8 * 1024;
  static final int MAX_HEADER_BYTES = 64 * 1024;
  static final int MAX_HEADERS = 200;

  private final Socket socket;
  private final long deadlineNanos;
  private final int readTimeoutMillis;
  private final long maxBody;
  private final boolean truncate;
  private boolean truncated;
  private InputStream in;
  private int headerBytes;

  HttpExchange(Socket socket, long deadlineNanos, int readTimeoutMillis, long maxBody) {
    this(socket, deadlineNanos, readTimeoutMillis, maxBody, false);
  }

  HttpExchange(
      Socket socket, long deadlineNanos, int readTimeoutMillis, long maxBody, boolean truncate) {
    this.socket = socket;
    this.deadlineNanos = deadlineNanos;
    this.readTimeoutMillis = readTimeoutMillis;
    this.maxBody = maxBody;
    this.truncate = truncate;
  }

  EgressResponse run(EgressRequest request, Target target) throws IOException, EgressException {
    OutputStream out = socket.getOutputStream();
    out.write(head(request, target));
    out.write(request.body());
    out.flush();
    in = new BufferedInputStream(new DeadlineStream(socket.getInputStream()), 8192);

    int status;
    Map<String, List<String>> headers;
    do {
      status = statusLine(readLine());
      headers = readHeaders();
      // interim 1xx answers (100 Continue, 103 Early Hints) precede the real one
    } while (status >= 100 && status < 200 && status != 101);
    if (status == 101) {
      throw new EgressException(PROTOCOL_ERROR, "upstream switched protocols");
    }
    // 304 Not Modified answers a conditional request (If-None-Match): no redirect, no Location
    if (status >= 300 && status < 400 && status != 304) {
      throw new EgressException(REDIRECT_REFUSED, "upstream answered " + status + "; not followed");
    }
    byte[] body;
    if (request.method().equals("HEAD") || status == 204 || status == 304) {
      body = new byte[0];
    } else if (headers.containsKey("transfer-encoding")) {
      String te = String.join(",", headers.get("transfer-encoding")).toLowerCase(Locale.ROOT);
      if (!te.trim().endsWith("chunked")) {
        throw new EgressException(PROTOCOL_ERROR, "unsupported transfer encoding");
      }
      body = chunked();
    } else if (headers.containsKey("content-length")) {
      body = fixed(contentLength(headers.get("content-length")));
    } else {
      body = untilClose();
    }
    return new EgressResponse(status, headers, body, truncated);
  }

  static byte[] head(EgressRequest request, Target target) {
    StringBuilder sb = new StringBuilder(256);
    sb.append(request.method()).append(' ').append(target.requestTarget()).append(" HTTP/1.1\r\n");
    sb.append("Host: ").append(target.hostHeader()).append("\r\n");
    boolean userAgent = false;
    boolean acceptEncoding = false;
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      userAgent |= name.equals("user-agent");
      acceptEncoding |= name.equals("accept-encoding");
      sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    if (!userAgent) {
      sb.append("User-Agent: briefcase-egress/0.1\r\n");
    }
    if (!acceptEncoding) {
      // the body is handed on as is, so ask for it undecorated
      sb.append("Accept-Encoding: identity\r\n");
    }
    int length = request.body().length;
    if (length > 0 || List.of("POST", "PUT", "PATCH").contains(request.method())) {
      sb.append("Content-Length: ").append(length).append("\r\n");
    }
    sb.append("Connection: close\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static int statusLine(String line) throws EgressException {
    // HTTP/1.1 200 OK  (reason phrase optional)
    if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
      throw new EgressException(PROTOCOL_ERROR, "malformed status line");
    }
    String code = line.substring(9, 12);
    if (!code.matches("[1-5]\\d\\d") || (line.length() > 12 && line.charAt(12) != ' ')) {
      throw new EgressException(PROTOCOL_ERROR, "malformed status code");
    }
    return Integer.parseInt(code);
  }

  private Map<String, List<String>> readHeaders() throws IOException, EgressException {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    int count = 0;
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      if (++count > MAX_HEADERS) {
        throw new EgressException(RESPONSE_TOO_LARGE, "too many response headers");
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw new EgressException(PROTOCOL_ERROR, "malformed response header");
      }
      String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
      if (!name.matches("[!#$%&'*+.^_`|~0-9a-z-]+")) {
        throw new EgressException(PROTOCOL_ERROR, "malformed response header name");
      }
      headers.computeIfAbsent(name, k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
    }
    return headers;
  }

  private long contentLength(List<String> values) throws EgressException {
    String first = values.get(0);
    for (String v : values) {
      if (!v.equals(first)) {
        throw new EgressException(PROTOCOL_ERROR, "conflicting Content-Length");
      }
    }
    if (!first.matches("\\d{1,18}")) {
      throw new EgressException(PROTOCOL_ERROR, "malformed Content-Length");
    }
    long length = Long.parseLong(first);
    if (length > maxBody) {
      if (!truncate) {
        throw tooLarge();
      }
      truncated = true;
      return maxBody;
    }
    return length;
  }

  private byte[] fixed(long length) throws IOException, EgressException {
    byte[] body = in.readNBytes((int) length);
    if (body.length != length) {
      throw new EgressException(PROTOCOL_ERROR, "connection closed before the body ended");
    }
    return body;
  }

  private byte[] chunked() throws IOException, EgressException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String line = readLine();
      int semi = line.indexOf(';');
      String hex = (semi >= 0 ? line.substring(0, semi) : line).trim();
      if (!hex.matches("[0-9A-Fa-f]{1,15}")) {
        throw new EgressException(PROTOCOL_ERROR, "malformed chunk size");
      }
      long size = Long.parseLong(hex, 16);
      if (size == 0) {
        readHeaders(); // trailers, dropped
        return body.toByteArray();
      }
      if (body.size() + size > maxBody) {
        if (!truncate) {
          throw tooLarge();
        }
        // the rest of the stream is never read: the connection is closed after this answer
        truncated = true;
        body.write(fixed(maxBody - body.size()));
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes((int) size);
      if (chunk.length != size) {
        throw new EgressException(PROTOCOL_ERROR, "connection closed inside a chunk");
      }
      body.write(chunk);
      if (!readLine().isEmpty()) {
        throw new EgressException(PROTOCOL_ERROR, "chunk not followed by CRLF");
      }
    }
  }

  private byte[] untilClose() throws IOException, EgressException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
      if (body.size() + (long) n > maxBody) {
        if (!truncate) {
          throw tooLarge();
        }
        truncated = true;
        body.write(buf, 0, (int) (maxBody - body.size()));
        return body.toByteArray();
      }
      body.write(buf, 0, n);
    }
    return body.toByteArray();
  }

  private String readLine() throws IOException, EgressException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EgressException(PROTOCOL_ERROR, "connection closed inside the response head");
      }
      // Lines include chunk-size lines, so this also bounds chunk framing overhead.
      if (++headerBytes > MAX_HEADER_BYTES + maxBody || line.size() >= MAX_LINE) {
        throw new EgressException(RESPONSE_TOO_LARGE, "response line or head too large");
      }
      if (c == '\n') {
        byte[] b = line.toByteArray();
        int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        return new String(b, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(c);
    }
  }

  private EgressException tooLarge() {
    return new EgressException(
        RESPONSE_TOO_LARGE, "response body exceeds the cap of " + maxBody + " bytes");
  }

  /**
   * Bounds every blocking read by the read timeout and by what is left of the overall deadline, so
   * a server that drips one byte per read-timeout still cannot hold the call past the deadline.
   */
  private final class DeadlineStream extends InputStream {
    private final InputStream delegate;

    DeadlineStream(InputStream delegate) {
      this.delegate = delegate;
    }

    private void arm() throws IOException {
      long left = (deadlineNanos - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        throw new SocketTimeoutException("deadline passed");
      }
      socket.setSoTimeout((int) Math.max(1, Math.min(readTimeoutMillis, left)));
    }

    @Override
    public int read() throws IOException {
      arm();
      return delegate.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      arm();
      return delegate.read(b, off, len);
    }
  }
}
