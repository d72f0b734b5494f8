package dev.briefcase.itests.attack;

import static org.junit.Assert.assertTrue;

import dev.briefcase.itests.common.Distribution;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/**
 * A query string that is not valid percent-encoding is the caller's mistake: 400 {@code
 * invalid_request}, not a 500 with a stack trace in the log for every such request.
 */
public class AdminQueryAttackIT {
  @Test
  public void malformedQueryIsRefusedNotAnInternalError() throws Exception {
    Path data = Files.createTempDirectory("briefcase-attack-admin-query");
    try (Distribution d = new Distribution(data).env("BRIEFCASE_PROFILE_MODE", "reference")) {
      d.start();
      URI admin = URI.create(d.baseUrl());
      for (String query : new String[] {"limit=%zz", "lim%zz=1"}) {
        String answer = request(admin, "/v1/receipts?" + query, d.token());
        assertTrue(query + ": " + answer, answer.startsWith("HTTP/1.1 400"));
        assertTrue(query + ": " + answer, answer.contains("\"invalid_request\""));
      }
      String log = Files.readString(d.logFile);
      assertTrue("no stack trace logged for a malformed query", !log.contains("request failed"));
    }
  }

  private static String request(URI admin, String target, String token) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(admin.getHost(), admin.getPort()), 5_000);
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET "
                  + target
                  + " HTTP/1.1\r\nHost: "
                  + admin.getHost()
                  + ":"
                  + admin.getPort()
                  + "\r\nAuthorization: Bearer "
                  + token
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
