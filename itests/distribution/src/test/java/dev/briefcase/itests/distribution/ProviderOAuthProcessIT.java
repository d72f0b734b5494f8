package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.Test;

/**
 * The contract kit's {@code oauth_code_pkce_mints_capability} against {@code briefcase start
 * --feature provider}: a client registers at the reference AS, authorizes with PKCE S256, exchanges
 * the code with a DPoP proof, mints a capability with the DPoP-bound access token at the gateway
 * (same listener, same identity key), then refreshes (rotation) and revokes; the revoked family is
 * refused. Plain JDK HTTP and a JDK Ed25519 key, as a third-party client would do it.
 */
public class ProviderOAuthProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String PROFILE = "x-briefcase-compatibility-profile";
  private static final String REDIRECT = "http://127.0.0.1:47613/callback";

  /** An Ed25519 DPoP key on the JDK's own EdDSA. */
  private static final class DpopKey {
    final KeyPair pair;
    final String x;

    DpopKey() throws Exception {
      pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] spki = pair.getPublic().getEncoded();
      x = B64.encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    }

    String jkt() throws Exception {
      return sha256("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}");
    }

    String proof(String htm, String htu, String accessToken, String nonce) throws Exception {
      ObjectNode header = JSON.createObjectNode().put("typ", "dpop+jwt").put("alg", "EdDSA");
      header.putObject("jwk").put("kty", "OKP").put("crv", "Ed25519").put("x", x);
      ObjectNode claims =
          JSON.createObjectNode()
              .put("jti", UUID.randomUUID().toString())
              .put("htm", htm)
              .put("htu", htu)
              .put("iat", Instant.now().getEpochSecond());
      if (accessToken != null) {
        claims.put("ath", sha256(accessToken));
      }
      if (nonce != null) {
        claims.put("nonce", nonce);
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
  }

  private final HttpClient http =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  /** A request whose answer must carry the profile header. */
  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    HttpResponse<String> r = unchecked(b);
    assertEquals(r.uri() + " " + r.body(), "aacp_v1", r.headers().firstValue(PROFILE).orElse(null));
    return r;
  }

  /** A request as is (while the listener starts, Jetty answers its own 404 first). */
  private HttpResponse<String> unchecked(HttpRequest.Builder b) throws Exception {
    return http.send(
        b.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Waits until {@code url} answers 200 (with the profile header). */
  private void awaitRoute(String url) throws Exception {
    HttpResponse<String> ok =
        Poll.await(
            () -> {
              try {
                HttpResponse<String> r = unchecked(HttpRequest.newBuilder(URI.create(url)));
                return r.statusCode() == 200 ? r : null;
              } catch (java.io.IOException e) {
                return null;
              }
            },
            "the provider listener serves " + url,
            Duration.ofSeconds(60));
    assertEquals("aacp_v1", ok.headers().firstValue(PROFILE).orElse(null));
  }

  private HttpResponse<String> form(String url, Map<String, String> params, String proof)
      throws Exception {
    String body =
        params.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (proof != null) {
      b.header("DPoP", proof);
    }
    return send(b);
  }

  @Test
  public void anAccessTokenFromCodeAndPkceMintsABoundCapability() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String base = "http://127.0.0.1:" + port;
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-provider-oauth"))
            .startArgs("--feature", "provider")
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", base)
            .start()) {
      awaitRoute(base + "/.well-known/oauth-authorization-server");
      HttpResponse<String> metadata =
          send(
              HttpRequest.newBuilder(URI.create(base + "/.well-known/oauth-authorization-server")));
      JsonNode md = JSON.readTree(metadata.body());
      assertEquals(base, md.get("issuer").asText());
      String tokenEndpoint = md.get("token_endpoint").asText();
      JsonNode prm =
          JSON.readTree(
              send(HttpRequest.newBuilder(
                      URI.create(base + "/.well-known/oauth-protected-resource")))
                  .body());
      assertEquals(base, prm.get("resource").asText());

      HttpResponse<String> registered =
          send(
              HttpRequest.newBuilder(URI.create(md.get("registration_endpoint").asText()))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"redirect_uris\":[\"" + REDIRECT + "\"],\"client_name\":\"kit\"}")));
      assertEquals(registered.body(), 201, registered.statusCode());
      String clientId = JSON.readTree(registered.body()).get("client_id").asText();

      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String verifier = B64.encodeToString(random);
      String authorize =
          md.get("authorization_endpoint").asText()
              + "?response_type=code&client_id="
              + clientId
              + "&redirect_uri="
              + URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8)
              + "&scope=quote&state=kit-1&code_challenge_method=S256&code_challenge="
              + sha256(verifier)
              + "&resource="
              + URLEncoder.encode(base, StandardCharsets.UTF_8);
      HttpResponse<String> redirected = send(HttpRequest.newBuilder(URI.create(authorize)));
      assertEquals(redirected.body(), 302, redirected.statusCode());
      Map<String, String> callback =
          query(URI.create(redirected.headers().firstValue("Location").orElseThrow()));
      assertEquals("kit-1", callback.get("state"));
      assertEquals(base, callback.get("iss"));

      DpopKey key = new DpopKey();
      Map<String, String> exchange = new LinkedHashMap<>();
      exchange.put("grant_type", "authorization_code");
      exchange.put("client_id", clientId);
      exchange.put("code", callback.get("code"));
      exchange.put("redirect_uri", REDIRECT);
      exchange.put("code_verifier", verifier);
      exchange.put("resource", base);
      HttpResponse<String> tokens =
          form(tokenEndpoint, exchange, key.proof("POST", tokenEndpoint, null, null));
      assertEquals(tokens.body(), 200, tokens.statusCode());
      assertEquals("no-store", tokens.headers().firstValue("Cache-Control").orElse(null));
      JsonNode t = JSON.readTree(tokens.body());
      assertEquals("DPoP", t.get("token_type").asText());
      String accessToken = t.get("access_token").asText();
      String refresh = t.get("refresh_token").asText();

      // the access token is signed by the key the gateway publishes
      JsonNode jwk =
          JSON.readTree(
                  send(HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json"))).body())
              .get("keys")
              .get(0);
      JsonNode atHeader = JSON.readTree(Base64.getUrlDecoder().decode(accessToken.split("\\.")[0]));
      assertEquals(jwk.get("kid").asText(), atHeader.get("kid").asText());
      assertEquals("at+jwt", atHeader.get("typ").asText());

      // the mint: DPoP access token + proof with ath, after the gateway's nonce round trip
      String mintUrl = base + "/token";
      String nonce = null;
      HttpResponse<String> minted = null;
      for (int attempt = 0; attempt < 2; attempt++) {
        minted =
            send(
                HttpRequest.newBuilder(URI.create(mintUrl))
                    .header("Authorization", "DPoP " + accessToken)
                    .header("DPoP", key.proof("POST", mintUrl, accessToken, nonce))
                    .POST(HttpRequest.BodyPublishers.noBody()));
        nonce = minted.headers().firstValue("DPoP-Nonce").orElse(null);
        if (minted.statusCode() != 400 || nonce == null) {
          break;
        }
      }
      assertEquals(minted.body(), 200, minted.statusCode());
      JsonNode mint = JSON.readTree(minted.body());
      assertEquals("aacp_v1", mint.get("compatibility_profile").asText());
      String capability = mint.get("token").asText();
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(capability.split("\\.")[1]));
      assertEquals(key.jkt(), claims.get("cnf").get("jkt").asText());
      assertEquals("quote", claims.get("scope").asText());

      // rotation, then RFC 7009 revocation of the family
      Map<String, String> rotate = new LinkedHashMap<>();
      rotate.put("grant_type", "refresh_token");
      rotate.put("client_id", clientId);
      rotate.put("refresh_token", refresh);
      HttpResponse<String> rotated =
          form(tokenEndpoint, rotate, key.proof("POST", tokenEndpoint, null, null));
      assertEquals(rotated.body(), 200, rotated.statusCode());
      String refresh2 = JSON.readTree(rotated.body()).get("refresh_token").asText();
      assertNotEquals(refresh, refresh2);
      Map<String, String> revoke = new LinkedHashMap<>();
      revoke.put("token", refresh2);
      revoke.put("token_type_hint", "refresh_token");
      revoke.put("client_id", clientId);
      assertEquals(200, form(md.get("revocation_endpoint").asText(), revoke, null).statusCode());
      rotate.put("refresh_token", refresh2);
      HttpResponse<String> refused =
          form(tokenEndpoint, rotate, key.proof("POST", tokenEndpoint, null, null));
      assertEquals(400, refused.statusCode());
      assertEquals("invalid_grant", JSON.readTree(refused.body()).get("error").asText());

      String log = Files.readString(d.logFile);
      for (String secret :
          new String[] {callback.get("code"), verifier, accessToken, refresh, refresh2}) {
        assertNotNull(secret);
        assertTrue("a secret reached the provider's log", !log.contains(secret));
      }
    }
  }

  /**
   * {@code briefcase login} of the provider process's own daemon against its reference AS (as SPEC
   * §21's reference-mode setups do): discovery, registration, PKCE, the loopback callback, a
   * DPoP-bound grant; then status and revocation at the AS.
   */
  @Test
  public void theCliLogsInAtTheReferenceAsAndRevokes() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String base = "http://127.0.0.1:" + port;
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-provider-login"))
            .startArgs("--feature", "provider")
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", base)
            .start()) {
      awaitRoute(base + "/.well-known/oauth-protected-resource");
      Distribution.CliResult added = d.cli("providers", "add", "ref", base, "--scope", "quote");
      assertEquals(added.stderr(), 0, added.exit());

      java.nio.file.Path out = Files.createTempFile("briefcase-login", ".out");
      ProcessBuilder pb =
          new ProcessBuilder(
                  "sh",
                  d.home.resolve("bin/briefcase").toString(),
                  "login",
                  "ref",
                  "--timeout",
                  "60",
                  "--no-browser")
              .redirectOutput(out.toFile())
              .redirectError(ProcessBuilder.Redirect.DISCARD);
      pb.environment().put("BRIEFCASE_DATA_DIR", d.dataDir.toString());
      Process login = pb.start();
      try {
        String url =
            Poll.await(
                () ->
                    Files.readString(out)
                        .lines()
                        .filter(l -> l.startsWith(base + "/oauth/authorize?"))
                        .findFirst()
                        .orElse(null),
                "login printed the authorization URL",
                Duration.ofSeconds(60));
        // the test is the browser: consent is automatic, the AS redirects to the CLI's listener
        HttpResponse<String> redirected = send(HttpRequest.newBuilder(URI.create(url)));
        assertEquals(redirected.body(), 302, redirected.statusCode());
        URI callback = URI.create(redirected.headers().firstValue("Location").orElseThrow());
        assertEquals(base, query(callback).get("iss"));
        HttpResponse<String> landed =
            http.send(
                HttpRequest.newBuilder(callback).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(landed.body(), 200, landed.statusCode());
        assertTrue(
            "login did not finish", login.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        String printed = Files.readString(out);
        assertEquals(printed, 0, login.exitValue());
        assertTrue(printed, printed.contains("DPoP-bound"));
      } finally {
        login.destroyForcibly();
      }

      Distribution.CliResult status = d.cli("providers", "status", "ref");
      assertTrue(status.stdout(), status.stdout().matches("(?s).*refresh token:\\s+stored.*"));
      Distribution.CliResult revoked = d.cli("revoke", "oauth", "ref");
      assertEquals(revoked.stderr(), 0, revoked.exit());
      assertTrue(revoked.stdout(), revoked.stdout().contains("revoked at the AS"));
    }
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : uri.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      out.put(
          pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static String sha256(String text) throws Exception {
    return B64.encodeToString(
        MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII)));
  }
}
