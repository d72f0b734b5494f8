package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The receiving side of LND's REST API: {@code POST /v1/invoices} (AddInvoice) and {@code GET
 * /v1/invoice/{r_hash hex}} (LookupInvoice), with the {@code Grpc-Metadata-macaroon} header (hex)
 * over https trusting only the node's own certificate (LND serves a self-signed one; the system
 * trust store would never accept it, and any other certificate must not be trusted). The macaroon
 * comes from the secret store per call and is never logged. Node failures are 502 {@code
 * lightning_node_unavailable}.
 */
final class LndInvoices implements LightningInvoices {
  static final String UNAVAILABLE = "lightning_node_unavailable";
  private static final int MAX_ANSWER = 64 * 1024;

  private final URI base;
  private final HttpClient http;
  private final Supplier<byte[]> macaroon;
  private final Duration timeout;

  /**
   * @param url {@code https://host:port} of the LND REST listener
   * @param certFile the node's TLS certificate (PEM), the only one trusted
   * @param macaroon the invoice macaroon (binary), read per call
   */
  LndInvoices(String url, Path certFile, Supplier<byte[]> macaroon, Duration timeout) {
    URI uri = URI.create(url.trim());
    if (!"https".equals(uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT))
        || uri.getHost() == null
        || uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("l402.lnd.url must be https://host[:port]");
    }
    String s = uri.toString();
    this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.http =
        HttpClient.newBuilder()
            .sslContext(pinned(certFile))
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.macaroon = macaroon;
    this.timeout = timeout;
  }

  static SSLContext pinned(Path certFile) {
    try (InputStream in = Files.newInputStream(certFile)) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("l402.lnd.cert.file holds no certificate");
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
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "l402.lnd.cert.file unreadable: " + e.getClass().getName());
    }
  }

  @Override
  public Added add(long msat, long expirySeconds, String memo) {
    String body =
        Json.newObject()
            .put("value_msat", Long.toString(msat))
            .put("expiry", Long.toString(expirySeconds))
            .put("memo", memo)
            .toString();
    JsonNode r = call(HttpRequest.newBuilder(URI.create(base + "/v1/invoices")), body);
    byte[] hash = b64(r.path("r_hash").asText(""));
    String request = r.path("payment_request").asText("");
    if (hash == null || hash.length != 32 || request.isEmpty() || request.length() > 7089) {
      throw unavailable("AddInvoice answer malformed");
    }
    return new Added(hash, request);
  }

  @Override
  public boolean settled(byte[] paymentHash) {
    JsonNode r =
        call(
            HttpRequest.newBuilder(
                URI.create(base + "/v1/invoice/" + HexFormat.of().formatHex(paymentHash))),
            null);
    return "SETTLED".equals(r.path("state").asText());
  }

  private JsonNode call(HttpRequest.Builder b, String jsonBody) {
    byte[] mac = macaroon.get();
    b.timeout(timeout)
        .header("Grpc-Metadata-macaroon", HexFormat.of().formatHex(mac))
        .header("Accept", "application/json");
    if (jsonBody != null) {
      b.header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(jsonBody));
    } else {
      b.GET();
    }
    HttpResponse<byte[]> resp;
    try {
      resp = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      // the exception class only: a TLS failure message may carry certificate details, never a
      // secret, but the node's address is all an operator needs
      throw unavailable("LND unreachable (" + e.getClass().getSimpleName() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("interrupted");
    }
    if (resp.statusCode() != 200) {
      throw unavailable("LND answered " + resp.statusCode());
    }
    if (resp.body().length > MAX_ANSWER) {
      throw unavailable("LND answer too large");
    }
    try {
      JsonNode node = Json.MAPPER.readTree(resp.body());
      if (node == null || !node.isObject()) {
        throw unavailable("LND answer is not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw unavailable("LND answer is not JSON");
    }
  }

  private static byte[] b64(String s) {
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      try {
        return Base64.getUrlDecoder().decode(s);
      } catch (IllegalArgumentException e2) {
        return null;
      }
    }
  }

  static ProviderError unavailable(String reason) {
    return new ProviderError(502, UNAVAILABLE, reason);
  }
}
