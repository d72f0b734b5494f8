package dev.briefcase.egress.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * TLS to the validated address with host-name verification: a JDK HTTPS server on 127.0.0.1 with a
 * throw-away certificate whose only name is the IP 127.0.0.1 (made with the JDK's keytool).
 */
public class HttpsServerTest {
  private static final char[] PASSWORD = "changeit".toCharArray();

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private HttpsServer server;
  private HttpEgressClient client;
  private final AtomicInteger hits = new AtomicInteger();
  private int port;

  @Before
  public void start() throws Exception {
    File keystore = new File(tmp.getRoot(), "server.p12");
    Process keytool =
        new ProcessBuilder(
                System.getProperty("java.home") + "/bin/keytool",
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=egress-test",
                "-ext",
                "san=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.getPath(),
                "-storepass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    keytool.getInputStream().readAllBytes();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue());

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keystore)) {
      ks.load(in, PASSWORD);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD);
    SSLContext serverContext = SSLContext.getInstance("TLS");
    serverContext.init(kmf.getKeyManagers(), null, null);

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", ks.getCertificate("server"));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext clientContext = SSLContext.getInstance("TLS");
    clientContext.init(null, tmf.getTrustManagers(), null);

    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
    server.createContext(
        "/api/hello",
        ex -> {
          hits.incrementAndGet();
          byte[] body = "secure hello".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    port = server.getAddress().getPort();
    client =
        new HttpEgressClient(
            1 << 20, 30_000, Resolver.SYSTEM, Dialer.SYSTEM, clientContext.getSocketFactory());
  }

  @After
  public void stop() {
    server.stop(0);
  }

  @Test
  public void httpsToTheValidatedAddressVerifiesTheCertificate() throws Exception {
    EgressPolicy policy =
        EgressPolicy.of(Set.of("127.0.0.1"), List.of("/api")).withDevLoopback(true);
    EgressResponse r =
        client.send(EgressRequest.get("https://127.0.0.1:" + port + "/api/hello"), policy);
    assertEquals(200, r.status());
    assertEquals("secure hello", r.bodyText());
    assertEquals(1, hits.get());
  }

  @Test
  public void certificateForAnotherNameIsRefused() {
    // "localhost" reaches the same socket, but the certificate only names 127.0.0.1
    EgressPolicy policy =
        EgressPolicy.of(Set.of("localhost"), List.of("/api")).withDevLoopback(true);
    try {
      client.send(EgressRequest.get("https://localhost:" + port + "/api/hello"), policy);
      fail("host-name verification must refuse the certificate");
    } catch (EgressException e) {
      // CONNECT_FAILED if localhost resolves to ::1 only, where nothing listens
      assertTrue(
          e.code(),
          e.code().equals(EgressException.TLS_FAILED)
              || e.code().equals(EgressException.CONNECT_FAILED));
    }
    assertEquals(0, hits.get());
  }
}
