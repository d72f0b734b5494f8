package dev.briefcase.egress.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocketFactory;
import org.junit.Test;

/**
 * java.net.URI keeps non-ASCII "other" characters unencoded; the request line is written in
 * ISO-8859-1, which turns each unmappable one into '?'. A path checked as /v1/..Ā goes out as
 * /v1/..? — a dot segment that leaves the allowed prefix.
 */
public class UnicodePathAttackTest {
  @Test
  public void aPathWithNonAsciiIsRefusedOrSentAsChecked() throws Exception {
    AtomicReference<String> requestLine = new AtomicReference<>();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                  requestLine.set(in.readLine());
                  for (String l = in.readLine(); l != null && !l.isEmpty(); l = in.readLine()) {
                    // drain the head
                  }
                  OutputStream out = s.getOutputStream();
                  out.write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                          .getBytes(StandardCharsets.ISO_8859_1));
                  out.flush();
                } catch (Exception e) {
                  // the client refused before connecting
                }
              });
      t.setDaemon(true);
      t.start();
      HttpEgressClient client =
          new HttpEgressClient(
              1 << 20,
              10_000,
              Resolver.SYSTEM,
              Dialer.SYSTEM,
              (SSLSocketFactory) SSLSocketFactory.getDefault());
      EgressPolicy policy =
          EgressPolicy.of(Set.of("127.0.0.1"), List.of("/v1")).withDevLoopback(true);
      String url = "http://127.0.0.1:" + server.getLocalPort() + "/v1/..\u0100/admin";
      try {
        client.send(new EgressRequest("GET", url, Map.of(), new byte[0]), policy);
      } catch (EgressException e) {
        return; // refused: the defence holds
      }
      t.join(2000);
      String line = requestLine.get();
      assertFalse("sent a dot segment outside /v1: " + line, line.startsWith("GET /v1/..?"));
      assertEquals("GET /v1/..%C4%80/admin HTTP/1.1", line);
    }
  }
}
