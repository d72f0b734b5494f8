package dev.briefcase.bench.http;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The floor of a loopback GET: one keep-alive HTTP/1.1 connection on a plain socket, the answer
 * read by its {@code Content-Length}. No pool, selector thread or future between the caller and the
 * socket, which the JDK {@code HttpClient} has; the difference between the two is what the client
 * library costs here. Not thread-safe.
 */
final class RawKeepAliveGet implements AutoCloseable {
  private final byte[] request;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  RawKeepAliveGet(URI base, String path) {
    this.port = base.getPort();
    this.request =
        ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
  }

  /** Sends the GET and reads the answer; whether it was a 200 with {@code expectedLength} bytes. */
  boolean get(int expectedLength) throws IOException {
    if (socket == null) {
      socket = new Socket(InetAddress.getLoopbackAddress(), port);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(10_000);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }
    out.write(request);
    out.flush();
    String status = line();
    int length = -1;
    for (String h = line(); !h.isEmpty(); h = line()) {
      if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(h.substring(15).trim());
      }
    }
    if (length < 0) {
      throw new IOException("no Content-Length");
    }
    byte[] body = in.readNBytes(length);
    return status.startsWith("HTTP/1.1 200") && body.length == expectedLength;
  }

  private String line() throws IOException {
    StringBuilder b = new StringBuilder(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  @Override
  public void close() throws IOException {
    if (socket != null) {
      socket.close();
    }
  }
}
