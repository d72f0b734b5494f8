package dev.briefcase.itests.mcp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback HTTP/1.1 forwarder in front of the gateway that adds {@code Authorization: Bearer
 * <token>} to every request, for clients that cannot send a header themselves: the conformance
 * suite's server mode has no such option ({@code server} takes only {@code --url}, {@code
 * --scenario}, {@code --suite}, {@code --expected-failures}, {@code -o}, {@code --spec-version},
 * {@code --verbose} in 0.1.16). So the suite tests the gateway as it ships, token required.
 *
 * <p>Otherwise transparent: request line, headers and body are passed on as they are, and the
 * gateway's answer comes back byte for byte (status, headers, SSE streams, {@code Connection:
 * close}). The one rewrite: the proxy's own authority in {@code Host} and {@code Origin} becomes
 * the gateway's, so that a request reads as if the client had addressed the gateway directly (the
 * {@code dns-rebinding-protection} scenario sends the URL's {@code host:port} as both). Any other
 * value — the scenario's {@code evil.example.com} — reaches the gateway untouched, so the gateway's
 * own checks are what the suite sees.
 */
final class BearerProxy implements AutoCloseable {
  private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]");
  private static final int MAX_HEAD = 64 * 1024;

  private final ServerSocket server;
  private final URI gateway;
  private final String authorization;
  private final Set<Closeable> open = ConcurrentHashMap.newKeySet();

  private BearerProxy(URI gateway, String token) throws IOException {
    this.gateway = gateway;
    this.authorization = "Bearer " + token;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "bearer-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A proxy on a random loopback port for the gateway endpoint {@code url}. */
  static BearerProxy start(String url, String token) throws IOException {
    return new BearerProxy(URI.create(url), token);
  }

  /** The gateway's URL with the proxy's port: {@code http://127.0.0.1:PORT/mcp}. */
  String url() {
    return "http://127.0.0.1:" + server.getLocalPort() + gateway.getRawPath();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Closeable c : open) {
      try {
        c.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        open.add(client);
        Thread t = new Thread(() -> serve(client), "bearer-proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** One client connection: requests go up rewritten on this thread, answers come back raw. */
  private void serve(Socket client) {
    Socket upstream = new Socket();
    open.add(upstream);
    try (client;
        upstream) {
      upstream.connect(new InetSocketAddress(gateway.getHost(), gateway.getPort()), 5_000);
      Thread back =
          new Thread(() -> pumpBack(upstream, client), "bearer-proxy-back-" + client.getPort());
      back.setDaemon(true);
      back.start();
      InputStream in = new BufferedInputStream(client.getInputStream());
      OutputStream up = upstream.getOutputStream();
      while (forwardRequest(in, up)) {
        up.flush();
      }
      upstream.shutdownOutput();
      back.join(60_000);
    } catch (IOException e) {
      // one side went away; the other is closed with it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      open.remove(client);
      open.remove(upstream);
    }
  }

  private static void pumpBack(Socket upstream, Socket client) {
    try {
      InputStream in = upstream.getInputStream();
      OutputStream out = client.getOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        out.flush(); // SSE events must not wait in a buffer
      }
    } catch (IOException e) {
      // one side went away
    } finally {
      try {
        client.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /** Copies one request up; false at the end of the client's stream. */
  private boolean forwardRequest(InputStream in, OutputStream up) throws IOException {
    List<String> head = readHead(in);
    if (head == null) {
      return false;
    }
    long length = 0;
    boolean chunked = false;
    StringBuilder out = new StringBuilder(head.get(0)).append("\r\n");
    for (String line : head.subList(1, head.size())) {
      int colon = line.indexOf(':');
      String name = colon < 0 ? line : line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = colon < 0 ? "" : line.substring(colon + 1).trim();
      switch (name) {
        case "authorization" -> {
          continue; // replaced below
        }
        case "host" -> line = "Host: " + toGateway(value);
        case "origin" -> line = "Origin: " + toGatewayOrigin(value);
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        default -> {
          // passed on as it is
        }
      }
      out.append(line).append("\r\n");
    }
    out.append("Authorization: ").append(authorization).append("\r\n\r\n");
    up.write(out.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (chunked) {
      copyChunked(in, up);
    } else {
      copy(in, up, length);
    }
    return true;
  }

  /** {@code host:PORT} of the proxy → {@code host:PORT} of the gateway; anything else unchanged. */
  private String toGateway(String authority) {
    String own = ":" + server.getLocalPort();
    if (authority.endsWith(own)) {
      String host = authority.substring(0, authority.length() - own.length());
      if (LOOPBACK_NAMES.contains(host.toLowerCase(Locale.ROOT))) {
        return host + ":" + gateway.getPort();
      }
    }
    return authority;
  }

  private String toGatewayOrigin(String origin) {
    return origin.startsWith("http://") ? "http://" + toGateway(origin.substring(7)) : origin;
  }

  /** The request line and header lines, or {@code null} at the end of the stream. */
  private static List<String> readHead(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    int total = 0;
    while (true) {
      String line = readLine(in);
      if (line == null) {
        return null;
      }
      total += line.length();
      if (total > MAX_HEAD) {
        throw new IOException("request head too large");
      }
      if (line.isEmpty()) {
        if (lines.isEmpty()) {
          continue; // a stray CRLF between requests
        }
        return lines;
      }
      lines.add(line);
    }
  }

  /** One CRLF- (or LF-) terminated line, or {@code null} at the end of the stream. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        int len =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    return null;
  }

  private static void copy(InputStream in, OutputStream up, long length) throws IOException {
    byte[] buf = new byte[8192];
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new IOException("client closed inside a body");
      }
      up.write(buf, 0, n);
      left -= n;
    }
  }

  /** A chunked body, chunk lines and trailers included, as the client sent it. */
  private static void copyChunked(InputStream in, OutputStream up) throws IOException {
    while (true) {
      String sizeLine = readLine(in);
      if (sizeLine == null) {
        throw new IOException("client closed inside a chunked body");
      }
      up.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      int semi = sizeLine.indexOf(';');
      long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      if (size == 0) {
        String trailer;
        do {
          trailer = readLine(in);
          if (trailer == null) {
            throw new IOException("client closed inside trailers");
          }
          up.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        } while (!trailer.isEmpty());
        return;
      }
      copy(in, up, size + 2); // the data and its CRLF
    }
  }
}
