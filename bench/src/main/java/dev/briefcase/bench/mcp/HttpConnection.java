package dev.briefcase.bench.mcp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection on a plain socket: {@code POST} with a {@code Content-Length}
 * body, response read by {@code Content-Length}, chunked transfer coding or end of stream. Enough
 * for MCP streamable HTTP on loopback, with nothing between the bench and the socket (no pool, no
 * selector thread, no per-request futures), so the driver costs as little CPU as possible. Not
 * thread-safe: one caller at a time.
 */
final class HttpConnection implements AutoCloseable {
  /** A response: status, headers with lower-case names (last one wins), body. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String header(String lowerCaseName) {
      return headers.get(lowerCaseName);
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private static final int MAX_BODY = 16 << 20;

  private final String host;
  private final int port;
  private final String path;
  private final int timeoutMillis;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private final StringBuilder line = new StringBuilder(128);

  HttpConnection(URI url, int timeoutMillis) {
    this.host = url.getHost();
    this.port = url.getPort() < 0 ? 80 : url.getPort();
    this.path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    this.timeoutMillis = timeoutMillis;
  }

  /** Sends one request (connecting first if needed) and reads the whole response. */
  Response post(String extraHeaders, byte[] body) throws IOException {
    if (socket == null) {
      connect();
    }
    StringBuilder h = new StringBuilder(256 + extraHeaders.length());
    h.append("POST ").append(path).append(" HTTP/1.1\r\n");
    h.append("Host: ").append(host).append(':').append(port).append("\r\n");
    h.append("Content-Type: application/json\r\n");
    h.append("Accept: application/json, text/event-stream\r\n");
    h.append(extraHeaders);
    h.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    byte[] head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[head.length + body.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    try {
      out.write(all);
      out.flush();
      return read();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(timeoutMillis);
      s.connect(new InetSocketAddress(host, port), timeoutMillis);
    } catch (IOException e) {
      s.close();
      throw e;
    }
    socket = s;
    in = new BufferedInputStream(s.getInputStream(), 16_384);
    out = s.getOutputStream();
  }

  private Response read() throws IOException {
    int status;
    Map<String, String> headers;
    do {
      String statusLine = readLine();
      if (statusLine == null) {
        throw new IOException("connection closed before a response");
      }
      // "HTTP/1.1 200 OK"
      if (statusLine.length() < 12 || !statusLine.startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response: " + statusLine);
      }
      status = Integer.parseInt(statusLine.substring(9, 12));
      headers = new LinkedHashMap<>();
      String l;
      while ((l = readLine()) != null && !l.isEmpty()) {
        int colon = l.indexOf(':');
        if (colon > 0) {
          headers.put(
              l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
      }
    } while (status >= 100 && status < 200);
    byte[] body;
    boolean closeAfter = "close".equalsIgnoreCase(headers.get("connection"));
    String te = headers.get("transfer-encoding");
    String cl = headers.get("content-length");
    if (status == 204 || status == 304) {
      body = new byte[0];
    } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      body = readChunked();
    } else if (cl != null) {
      int n = Integer.parseInt(cl);
      if (n < 0 || n > MAX_BODY) {
        throw new IOException("content-length " + n);
      }
      body = in.readNBytes(n);
      if (body.length < n) {
        throw new IOException("connection closed inside a body");
      }
    } else {
      body = in.readNBytes(MAX_BODY);
      closeAfter = true;
    }
    if (closeAfter) {
      close();
    }
    return new Response(status, headers, body);
  }

  private byte[] readChunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream(512);
    while (true) {
      String size = readLine();
      if (size == null) {
        throw new IOException("connection closed inside a chunked body");
      }
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      if (n == 0) {
        // trailers up to the empty line
        String t;
        while ((t = readLine()) != null && !t.isEmpty()) {
          // ignored
        }
        return body.toByteArray();
      }
      if (body.size() + n > MAX_BODY) {
        throw new IOException("body larger than " + MAX_BODY);
      }
      byte[] chunk = in.readNBytes(n);
      if (chunk.length < n) {
        throw new IOException("connection closed inside a chunk");
      }
      body.write(chunk);
      readLine();
    }
  }

  private String readLine() throws IOException {
    line.setLength(0);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = line.length();
        if (n > 0 && line.charAt(n - 1) == '\r') {
          line.setLength(n - 1);
        }
        return line.toString();
      }
      if (line.length() > 65_536) {
        throw new IOException("header line too long");
      }
      line.append((char) c);
    }
    return line.length() == 0 ? null : line.toString();
  }

  @Override
  public void close() {
    Socket s = socket;
    socket = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // nothing left to do
      }
    }
  }
}
