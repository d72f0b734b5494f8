package dev.briefcase.bench.mcp;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The floor of the MCP load bench: the least an HTTP server can do for an MCP {@code tools/call}.
 * One blocking thread per keep-alive connection, no JSON library: it cuts the JSON-RPC id and the
 * {@code text} argument out of the body and answers a fixed result around them ({@code initialize}
 * gets a fixed session, notifications a 202). It tells how fast the driver and the loopback are, so
 * the SDK and Briefcase figures can be read against it. A child JVM like {@link SdkEchoServer}:
 * prints {@code MCP_URL ...} and serves until its standard input closes.
 */
public final class FloorServer {
  private FloorServer() {}

  public static void main(String[] args) throws Exception {
    ServerSocket server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  Thread t = new Thread(() -> serve(s), "floor-conn");
                  t.setDaemon(true);
                  t.start();
                } catch (IOException e) {
                  // closed on exit
                }
              }
            },
            "floor-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    System.out.println(
        ChildServer.URL_PREFIX + "http://127.0.0.1:" + server.getLocalPort() + "/mcp");
    System.out.flush();
    ChildServer.awaitEndOfInput();
    server.close();
    System.exit(0);
  }

  private static void serve(Socket s) {
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream(), 16_384);
      OutputStream out = s.getOutputStream();
      byte[] body = new byte[65_536];
      while (true) {
        int length = -1;
        String line = readLine(in);
        if (line == null) {
          return;
        }
        while (!(line = readLine(in)).isEmpty()) {
          int colon = line.indexOf(':');
          if (colon > 0
              && line.substring(0, colon)
                  .trim()
                  .toLowerCase(Locale.ROOT)
                  .equals("content-length")) {
            length = Integer.parseInt(line.substring(colon + 1).trim());
          }
        }
        if (length < 0 || length > body.length) {
          out.write(response(400, "", null));
          return;
        }
        int read = in.readNBytes(body, 0, length);
        if (read < length) {
          return;
        }
        String json = new String(body, 0, length, StandardCharsets.UTF_8);
        String id = cut(json, "\"id\":", ",}");
        if (id == null) {
          out.write(response(202, "", null));
        } else if (json.contains("\"method\":\"initialize\"")) {
          out.write(
              response(
                  200,
                  "{\"jsonrpc\":\"2.0\",\"id\":"
                      + id
                      + ",\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":"
                      + "{\"tools\":{\"listChanged\":false}},\"serverInfo\":{\"name\":\"floor\","
                      + "\"version\":\"1\"}}}",
                  "floor-session"));
        } else {
          String text = cut(json, "\"text\":\"", "\"");
          out.write(
              response(
                  200,
                  "{\"jsonrpc\":\"2.0\",\"id\":"
                      + id
                      + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\""
                      + (text == null ? "" : text)
                      + "\"}],\"isError\":false}}",
                  null));
        }
        out.flush();
      }
    } catch (IOException e) {
      // the client went away
    } catch (RuntimeException e) {
      // a request this server does not understand: say so in its log
      e.printStackTrace();
    }
  }

  /** The text after {@code key} up to the first of {@code ends}, or {@code null}. */
  private static String cut(String json, String key, String ends) {
    int at = json.indexOf(key);
    if (at < 0) {
      return null;
    }
    int from = at + key.length();
    int to = from;
    while (to < json.length() && ends.indexOf(json.charAt(to)) < 0) {
      to++;
    }
    return json.substring(from, to).trim();
  }

  private static byte[] response(int status, String body, String sessionId) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder(160);
    h.append("HTTP/1.1 ").append(status).append(status == 200 ? " OK" : " Other").append("\r\n");
    if (b.length > 0) {
      h.append("Content-Type: application/json\r\n");
    }
    if (sessionId != null) {
      h.append("Mcp-Session-Id: ").append(sessionId).append("\r\n");
    }
    h.append("Content-Length: ").append(b.length).append("\r\n\r\n");
    byte[] head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[head.length + b.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(b, 0, all, head.length, b.length);
    return all;
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }
}
