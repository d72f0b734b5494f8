package dev.briefcase.payhelper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

/**
 * LND over REST: {@code POST /v1/channels/transactions} (SendPaymentSync) and {@code GET
 * /v1/payments}, with the admin macaroon in {@code Grpc-Metadata-macaroon} (hex) and TLS trusting
 * only the node's own certificate (pinned: no system CA can stand in for it).
 */
public final class LndRestNode implements LightningNode {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_RESPONSE = 16 << 20;

  private final URI base;
  private final String macaroonHex;
  private final HttpClient http;
  private final Duration timeout;

  public LndRestNode(String url, Path tlsCert, Path macaroon, Duration timeout) throws IOException {
    this.base = URI.create(url.replaceAll("/+$", ""));
    this.macaroonHex = HexFormat.of().formatHex(Files.readAllBytes(macaroon));
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .sslContext(pinned(tlsCert))
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  private static SSLContext pinned(Path certFile) throws IOException {
    try (InputStream in = Files.newInputStream(certFile)) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IOException("no certificate in " + certFile);
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        trust.setCertificateEntry("lnd-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use the LND certificate " + certFile, e);
    }
  }

  @Override
  public Payment pay(String bolt11, String paymentHash) throws NodeException {
    HttpResponse<byte[]> r =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/channels/transactions"))
                .POST(
                    HttpRequest.BodyPublishers.ofByteArray(
                        JSON.createObjectNode()
                            .put("payment_request", bolt11)
                            .toString()
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .header("content-type", "application/json"),
            true);
    JsonNode body = json(r);
    String error =
        r.statusCode() == 200
            ? body.path("payment_error").asText("")
            : body.path("message").asText("");
    if (r.statusCode() == 200 && error.isEmpty()) {
      String preimage = hexOfBase64(body.path("payment_preimage").asText(""));
      String hash = hexOfBase64(body.path("payment_hash").asText(""));
      if (preimage == null || preimage.length() != 64) {
        throw new NodeException("LND answered without a preimage", false);
      }
      return new Payment(Status.SUCCEEDED, hash == null ? paymentHash : hash, preimage);
    }
    if (error.toLowerCase(Locale.ROOT).contains("already paid")) {
      // paid before (a retry after a lost answer): the node's record has the preimage
      return lookup(paymentHash)
          .filter(p -> p.status() == Status.SUCCEEDED)
          .orElseThrow(
              () ->
                  new NodeException("LND says the invoice is paid but has no record of it", false));
    }
    if (error.toLowerCase(Locale.ROOT).contains("in transition")) {
      throw new NodeException("LND: the payment is in flight", false);
    }
    // a refusal (no route, expired, bad macaroon): nothing was paid
    boolean definite = r.statusCode() == 200 || r.statusCode() < 500;
    throw new NodeException("LND refused the payment: " + oneLine(error), definite);
  }

  @Override
  public Optional<Payment> lookup(String paymentHash) throws NodeException {
    HttpResponse<byte[]> r =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/payments?include_incomplete=true")).GET(),
            false);
    if (r.statusCode() != 200) {
      throw new NodeException("LND answered " + r.statusCode() + " to a payment lookup", false);
    }
    Payment found = null;
    for (JsonNode p : json(r).path("payments")) {
      if (!paymentHash.equalsIgnoreCase(p.path("payment_hash").asText())) {
        continue;
      }
      String status = p.path("status").asText("");
      if ("SUCCEEDED".equals(status)) {
        String preimage = p.path("payment_preimage").asText("").toLowerCase(Locale.ROOT);
        return Optional.of(new Payment(Status.SUCCEEDED, paymentHash, preimage));
      }
      found =
          new Payment(
              "FAILED".equals(status) ? Status.FAILED : Status.IN_FLIGHT, paymentHash, null);
    }
    return Optional.ofNullable(found);
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request, boolean paying)
      throws NodeException {
    try {
      HttpResponse<byte[]> r =
          http.send(
              request.header("Grpc-Metadata-macaroon", macaroonHex).timeout(timeout).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.body().length > MAX_RESPONSE) {
        throw new NodeException("LND's answer is too large", false);
      }
      return r;
    } catch (SSLHandshakeException e) {
      throw new NodeException("LND's TLS certificate is not the pinned one", true);
    } catch (ConnectException e) {
      throw new NodeException("LND is unreachable", true);
    } catch (IOException e) {
      // after the request was sent the payment may be under way
      throw new NodeException("LND did not answer: " + e.getClass().getSimpleName(), !paying);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NodeException("interrupted", false);
    }
  }

  private static JsonNode json(HttpResponse<byte[]> r) throws NodeException {
    try {
      JsonNode n = JSON.readTree(r.body());
      if (n == null || !n.isObject()) {
        throw new IOException("not an object");
      }
      return n;
    } catch (IOException e) {
      throw new NodeException(
          "LND answered " + r.statusCode() + " without JSON", r.statusCode() < 500);
    }
  }

  private static String hexOfBase64(String b64) {
    if (b64.isEmpty()) {
      return null;
    }
    try {
      return HexFormat.of().formatHex(Base64.getDecoder().decode(b64));
    } catch (IllegalArgumentException e) {
      try {
        return HexFormat.of().formatHex(Base64.getUrlDecoder().decode(b64));
      } catch (IllegalArgumentException e2) {
        return null;
      }
    }
  }

  static String oneLine(String s) {
    String clean = s.replaceAll("[\\r\\n\\t]+", " ").replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 200 ? clean.substring(0, 200) + "…" : clean;
  }
}
