package dev.briefcase.plugins.internal;

import com.sun.net.httpserver.HttpServer;
import dev.briefcase.plugins.internal.TestPki.Identity;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampResponseGenerator;
import org.bouncycastle.tsp.TimeStampTokenGenerator;

/** An RFC 3161 time-stamping authority on loopback, answering with BouncyCastle. */
final class TestTsa implements AutoCloseable {
  private final HttpServer server;
  private final AtomicLong serial = new AtomicLong(1);

  TestTsa(Identity tsa, List<java.security.cert.X509Certificate> chain) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/tsa",
        ex -> {
          byte[] answer;
          try {
            TimeStampRequest request = new TimeStampRequest(ex.getRequestBody().readAllBytes());
            TimeStampTokenGenerator tokens =
                new TimeStampTokenGenerator(
                    new JcaSimpleSignerInfoGeneratorBuilder()
                        .build("SHA256withECDSA", tsa.key(), tsa.cert()),
                    new JcaDigestCalculatorProviderBuilder()
                        .build()
                        .get(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256)),
                    new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"));
            tokens.addCertificates(new JcaCertStore(chain));
            answer =
                new TimeStampResponseGenerator(tokens, TSPAlgorithms.ALLOWED)
                    .generate(request, BigInteger.valueOf(serial.incrementAndGet()), new Date())
                    .getEncoded();
          } catch (Exception e) {
            ex.sendResponseHeaders(500, -1);
            ex.close();
            return;
          }
          ex.getResponseHeaders().set("Content-Type", "application/timestamp-reply");
          ex.sendResponseHeaders(200, answer.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(answer);
          }
        });
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/tsa");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
