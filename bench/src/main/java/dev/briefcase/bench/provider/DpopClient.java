package dev.briefcase.bench.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A third-party DPoP client of the reference provider, as the contract describes it: one Ed25519
 * key on the JDK's own EdDSA, a fresh RFC 9449 proof per request ({@code htm}, {@code htu}, {@code
 * iat}, {@code jti}, {@code ath} with a token, the newest server nonce), an unauthenticated mint
 * ({@code POST /token}) with one retry after {@code use_dpop_nonce}, and the DPoP-bound quote.
 */
final class DpopClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  /** A minted capability: the token and the calls it allows. */
  record Capability(String token, int maxCalls) {}

  private final String base;
  private final KeyPair pair;
  private final String x;
  private final AtomicReference<String> nonce = new AtomicReference<>();
  private volatile HttpClient http;

  DpopClient(String base) throws Exception {
    this.base = base;
    pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    byte[] spki = pair.getPublic().getEncoded();
    x = B64.encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    reset();
  }

  /** A fresh connection pool (idle connections may have been closed between phases). */
  void reset() {
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  /** A proof for {@code htm htu}, bound to {@code token} when given. */
  String proof(String htm, String htu, String token) throws Exception {
    ObjectNode header = JSON.createObjectNode().put("typ", "dpop+jwt").put("alg", "EdDSA");
    header.putObject("jwk").put("kty", "OKP").put("crv", "Ed25519").put("x", x);
    ObjectNode claims =
        JSON.createObjectNode()
            .put("jti", UUID.randomUUID().toString())
            .put("htm", htm)
            .put("htu", htu)
            .put("iat", Instant.now().getEpochSecond());
    if (token != null) {
      claims.put(
          "ath",
          B64.encodeToString(
              MessageDigest.getInstance("SHA-256")
                  .digest(token.getBytes(StandardCharsets.US_ASCII))));
    }
    String n = nonce.get();
    if (n != null && token == null) {
      claims.put("nonce", n);
    }
    String input =
        B64.encodeToString(JSON.writeValueAsBytes(header))
            + "."
            + B64.encodeToString(JSON.writeValueAsBytes(claims));
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(pair.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + B64.encodeToString(s.sign());
  }

  /** {@code GET /.well-known/jwks.json}: the listener and a servlet, no crypto (the floor). */
  boolean jwks() throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("jwks: HTTP " + r.statusCode());
    }
    return true;
  }

  /** An unauthenticated mint with a fresh proof (one more round when the nonce rotated). */
  Capability mint() throws Exception {
    String url = base + "/token";
    for (int attempt = 0; attempt < 2; attempt++) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .timeout(Duration.ofSeconds(10))
                  .header("DPoP", proof("POST", url, null))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        var answer = JSON.readTree(r.body());
        return new Capability(answer.get("token").asText(), answer.path("max_calls").asInt(50));
      }
      String fresh = r.headers().firstValue("DPoP-Nonce").orElse(null);
      if (r.statusCode() != 400 || fresh == null) {
        throw new IllegalStateException(
            "mint: HTTP "
                + r.statusCode()
                + " "
                + r.headers().firstValue("x-briefcase-error").orElse(""));
      }
      nonce.set(fresh);
    }
    throw new IllegalStateException("mint: the nonce changed twice in a row");
  }

  /** {@code GET /api/quote?symbol=ABC} with the capability and a fresh proof. */
  boolean quote(String capability) throws Exception {
    String htu = base + "/api/quote";
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create(htu + "?symbol=ABC"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "DPoP " + capability)
                .header("DPoP", proof("GET", htu, capability))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "quote: HTTP "
              + r.statusCode()
              + " "
              + r.headers().firstValue("x-briefcase-error").orElse(""));
    }
    return true;
  }
}
