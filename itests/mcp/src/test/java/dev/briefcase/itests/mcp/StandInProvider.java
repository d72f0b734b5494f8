package dev.briefcase.itests.mcp;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback stand-in for the reference provider's capability routes (SPEC §8.2) until the real one
 * ships: {@code POST /token} verifies the DPoP proof (ES256 signature by the embedded public JWK,
 * {@code htm}, {@code htu}, {@code iat}, unused {@code jti}) and binds the capability to the proof
 * key's RFC 7638 thumbprint; {@code GET /api/quote} wants {@code Authorization: DPoP}, a proof by
 * that key with the capability's {@code ath}, and answers 403 {@code capability_revoked} for a
 * revoked capability and 429 once its calls are spent. Its quote answer echoes the request's {@code
 * Authorization} header, as a careless upstream might; the agent must never see it.
 */
final class StandInProvider implements AutoCloseable {
  /** What one request looked like: the route, and whether its proof passed. */
  record Seen(String route, int status) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final List<String> minted = new CopyOnWriteArrayList<>();
  final List<String> proofs = new CopyOnWriteArrayList<>();
  final AtomicInteger mints = new AtomicInteger();
  private final Map<String, String> jkt = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> used = new ConcurrentHashMap<>();
  private final Map<String, Integer> limit = new ConcurrentHashMap<>();
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final Set<String> jtis = ConcurrentHashMap.newKeySet();
  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(4);

  StandInProvider() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Provider-side revoke of every capability minted so far (its jti denylist). */
  void revokeAll() {
    revoked.addAll(minted);
  }

  /** The newest capability has no call left: its next use is 429. */
  void exhaustNewest() {
    String token = minted.get(minted.size() - 1);
    limit.put(token, used.get(token).get());
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    ex.getRequestBody().readAllBytes();
    int status;
    String body;
    Map<String, String> headers = Map.of();
    try {
      if (ex.getRequestMethod().equals("POST") && path.equals("/token")) {
        String proof = ex.getRequestHeaders().getFirst("DPoP");
        String key = verify(proof, "POST", base() + "/token", null);
        String token = "cap-itest-" + UUID.randomUUID();
        mints.incrementAndGet();
        minted.add(token);
        jkt.put(token, key);
        used.put(token, new AtomicInteger());
        status = 200;
        body =
            "{\"token\":\""
                + token
                + "\",\"expires_at_rfc3339\":\""
                + Instant.now().plusSeconds(600)
                + "\",\"max_calls\":50,\"compatibility_profile\":\"aacp_v1\"}";
      } else if (ex.getRequestMethod().equals("GET") && path.equals("/api/quote")) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String token = auth != null && auth.startsWith("DPoP ") ? auth.substring(5) : "";
        if (!minted.contains(token)) {
          status = 401;
          body = "{\"error\":\"invalid_token\"}";
          headers = Map.of("WWW-Authenticate", "DPoP error=\"invalid_token\"");
        } else if (revoked.contains(token)) {
          status = 403;
          body = "{\"error\":\"capability_revoked\"}";
          headers = Map.of("x-briefcase-error", "capability_revoked");
        } else {
          String key =
              verify(ex.getRequestHeaders().getFirst("DPoP"), "GET", base() + "/api/quote", token);
          if (!key.equals(jkt.get(token))) {
            throw new IllegalStateException("invalid_dpop");
          }
          if (used.get(token).incrementAndGet() > limit.getOrDefault(token, 50)) {
            status = 429;
            body = "{\"error\":\"max_calls_exceeded\"}";
          } else {
            String symbol = ex.getRequestURI().getRawQuery().replace("symbol=", "");
            status = 200;
            body =
                "{\"symbol\":\""
                    + symbol
                    + "\",\"price_microusd\":123450000,\"seen_authorization\":\""
                    + auth
                    + "\"}";
          }
        }
      } else {
        status = 404;
        body = "{\"error\":\"not_found\"}";
      }
    } catch (Exception e) {
      status = 401;
      body = "{\"error\":\"invalid_dpop\"}";
      headers = Map.of("WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\"");
    }
    seen.add(new Seen(ex.getRequestMethod() + " " + path, status));
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.getResponseHeaders().add("x-briefcase-compatibility-profile", "aacp_v1");
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Verifies a proof; returns its key's thumbprint. */
  private String verify(String proof, String htm, String htu, String token) throws Exception {
    proofs.add(proof);
    SignedJWT jwt = SignedJWT.parse(proof);
    if (!"dpop+jwt".equals(String.valueOf(jwt.getHeader().getType()))) {
      throw new IllegalStateException("typ");
    }
    JWK jwk = jwt.getHeader().getJWK();
    if (jwk == null || jwk.isPrivate()) {
      throw new IllegalStateException("jwk");
    }
    JWSVerifier verifier = new ECDSAVerifier(((ECKey) jwk).toECPublicKey());
    if (!jwt.verify(verifier)) {
      throw new IllegalStateException("signature");
    }
    JWTClaimsSet c = jwt.getJWTClaimsSet();
    long iat = c.getIssueTime().toInstant().getEpochSecond();
    if (Math.abs(Instant.now().getEpochSecond() - iat) > 120
        || !htm.equals(c.getStringClaim("htm"))
        || !htu.equals(c.getStringClaim("htu"))
        || !jtis.add(c.getJWTID())) {
      throw new IllegalStateException("claims");
    }
    if (token != null) {
      String ath =
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(
                  MessageDigest.getInstance("SHA-256")
                      .digest(token.getBytes(StandardCharsets.UTF_8)));
      if (!ath.equals(c.getStringClaim("ath"))) {
        throw new IllegalStateException("ath");
      }
    }
    return jwk.computeThumbprint().toString();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
