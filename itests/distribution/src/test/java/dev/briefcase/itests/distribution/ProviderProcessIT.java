package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import org.junit.Test;

/**
 * {@code briefcase start --feature provider}: the reference provider on its own listener and data
 * directory. A DPoP mint (server nonce first), a DPoP-checked quote and its replay, the profile
 * header on every answer (a 404 too; only ProfileHeaderFilter sets it, so this proves the filter),
 * the MCP endpoint absent there, and a jti revocation with the admin secret from the secret store.
 */
public class ProviderProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String PROFILE = "x-briefcase-compatibility-profile";

  private final HttpClient http = HttpClient.newHttpClient();

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
      String canonical = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
      return B64.encodeToString(
          MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
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
        claims.put(
            "ath",
            B64.encodeToString(
                MessageDigest.getInstance("SHA-256")
                    .digest(accessToken.getBytes(StandardCharsets.US_ASCII))));
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

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(
        b.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void profiled(HttpResponse<String> r) {
    assertEquals(r.uri() + " " + r.body(), "aacp_v1", r.headers().firstValue(PROFILE).orElse(null));
  }

  @Test
  public void mintQuoteReplayAndRevokeOnTheProviderListener() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String base = "http://127.0.0.1:" + port;
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-provider"))
            .startArgs("--feature", "provider")
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", base)
            .start()) {
      HttpResponse<String> jwks =
          Poll.await(
              () -> {
                try {
                  HttpResponse<String> r =
                      send(HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")));
                  return r.statusCode() == 200 ? r : null;
                } catch (java.io.IOException e) {
                  return null;
                }
              },
              "the provider listener serves the JWKS",
              Duration.ofSeconds(60));
      profiled(jwks);
      JsonNode key = JSON.readTree(jwks.body()).get("keys").get(0);
      assertEquals("Ed25519", key.get("crv").asText());
      assertFalse(key.has("d"));

      DpopKey client = new DpopKey();
      String tokenUrl = base + "/token";
      HttpResponse<String> first =
          send(
              HttpRequest.newBuilder(URI.create(tokenUrl))
                  .header("DPoP", client.proof("POST", tokenUrl, null, null))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(first.body(), 400, first.statusCode());
      profiled(first);
      assertEquals("use_dpop_nonce", JSON.readTree(first.body()).get("error").asText());
      String nonce = first.headers().firstValue("DPoP-Nonce").orElse(null);
      assertNotNull(nonce);

      HttpResponse<String> minted =
          send(
              HttpRequest.newBuilder(URI.create(tokenUrl))
                  .header("DPoP", client.proof("POST", tokenUrl, null, nonce))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(minted.body(), 200, minted.statusCode());
      profiled(minted);
      JsonNode mint = JSON.readTree(minted.body());
      assertEquals("aacp_v1", mint.get("compatibility_profile").asText());
      assertEquals(50, mint.get("max_calls").asInt());
      String token = mint.get("token").asText();
      JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[0]));
      assertEquals(key.get("kid").asText(), header.get("kid").asText());
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
      assertEquals(client.jkt(), claims.get("cnf").get("jkt").asText());
      assertEquals(base, claims.get("iss").asText());

      String quoteUrl = base + "/api/quote";
      String proof = client.proof("GET", quoteUrl, token, null);
      HttpRequest.Builder quote =
          HttpRequest.newBuilder(URI.create(quoteUrl + "?symbol=ACME"))
              .header("Authorization", "DPoP " + token)
              .header("DPoP", proof);
      HttpResponse<String> quoted = send(quote);
      assertEquals(quoted.body(), 200, quoted.statusCode());
      profiled(quoted);
      assertEquals("ACME", JSON.readTree(quoted.body()).get("symbol").asText());

      HttpResponse<String> replayed = send(quote);
      assertEquals(401, replayed.statusCode());
      profiled(replayed);
      assertEquals(
          "replay_detected", replayed.headers().firstValue("x-briefcase-error").orElse(null));
      assertTrue(
          replayed.headers().allValues("WWW-Authenticate").toString(),
          replayed
              .headers()
              .firstValue("WWW-Authenticate")
              .orElse("")
              .contains("error=\"invalid_dpop_proof\""));

      HttpResponse<String> unknown = send(HttpRequest.newBuilder(URI.create(base + "/nope")));
      assertEquals(404, unknown.statusCode());
      profiled(unknown);
      assertEquals("not_found", JSON.readTree(unknown.body()).get("error").asText());
      HttpResponse<String> mcp =
          send(
              HttpRequest.newBuilder(URI.create(base + "/mcp"))
                  .POST(HttpRequest.BodyPublishers.ofString("{}")));
      assertEquals("the MCP gateway is not on the provider listener", 404, mcp.statusCode());

      HttpResponse<String> tooLarge =
          send(
              HttpRequest.newBuilder(URI.create(tokenUrl))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"scope\":\"" + "q".repeat(70_000) + "\"}")));
      assertEquals(413, tooLarge.statusCode());
      profiled(tooLarge);
      assertEquals("body_too_large", JSON.readTree(tooLarge.body()).get("error").asText());
      HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(URI.create(tokenUrl)));
      assertEquals(405, wrongMethod.statusCode());
      assertEquals("method_not_allowed", JSON.readTree(wrongMethod.body()).get("error").asText());
      HttpResponse<String> noSymbol =
          send(
              HttpRequest.newBuilder(URI.create(quoteUrl + "?symbol=acme&symbol=ACME"))
                  .header("Authorization", "DPoP " + token)
                  .header("DPoP", client.proof("GET", quoteUrl, token, null)));
      assertEquals(400, noSymbol.statusCode());
      assertEquals("invalid_symbol", JSON.readTree(noSymbol.body()).get("error").asText());

      String revokeBody = JSON.createObjectNode().put("jti", claims.get("jti").asText()).toString();
      HttpRequest.Builder revoke =
          HttpRequest.newBuilder(URI.create(base + "/api/revoke"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(revokeBody));
      HttpResponse<String> unset = send(revoke);
      assertEquals(unset.body(), 503, unset.statusCode());
      assertEquals("admin_secret_unset", JSON.readTree(unset.body()).get("error").asText());

      String secret = "provider-admin-" + UUID.randomUUID();
      Distribution.Answer stored =
          d.post(
              "/v1/secrets/provider.admin_secret",
              JSON.createObjectNode()
                  .put(
                      "value_b64",
                      Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)))
                  .toString());
      assertEquals(stored.body(), 200, stored.status());

      HttpResponse<String> wrong =
          send(
              HttpRequest.newBuilder(URI.create(base + "/api/revoke"))
                  .header("x-aag-admin-secret", secret + "x")
                  .POST(HttpRequest.BodyPublishers.ofString(revokeBody)));
      assertEquals(401, wrong.statusCode());
      assertEquals("invalid_admin_secret", JSON.readTree(wrong.body()).get("error").asText());
      assertFalse(wrong.body().contains(secret));

      HttpResponse<String> revoked =
          send(
              HttpRequest.newBuilder(URI.create(base + "/api/revoke"))
                  .header("x-aag-admin-secret", secret)
                  .POST(HttpRequest.BodyPublishers.ofString(revokeBody)));
      assertEquals(revoked.body(), 200, revoked.statusCode());
      profiled(revoked);
      assertTrue(JSON.readTree(revoked.body()).get("revoked").asBoolean());

      HttpResponse<String> after =
          send(
              HttpRequest.newBuilder(URI.create(quoteUrl + "?symbol=ACME"))
                  .header("Authorization", "DPoP " + token)
                  .header("DPoP", client.proof("GET", quoteUrl, token, null)));
      assertEquals(after.body(), 403, after.statusCode());
      assertEquals(
          "capability_revoked", after.headers().firstValue("x-briefcase-error").orElse(null));
    }
  }

  /** base58btc (Bitcoin alphabet) for a did:key. */
  private static String base58(byte[] in) {
    String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    java.math.BigInteger n = new java.math.BigInteger(1, in);
    StringBuilder out = new StringBuilder();
    java.math.BigInteger radix = java.math.BigInteger.valueOf(58);
    while (n.signum() > 0) {
      java.math.BigInteger[] qr = n.divideAndRemainder(radix);
      out.append(alphabet.charAt(qr[1].intValue()));
      n = qr[0];
    }
    for (int i = 0; i < in.length && in[i] == 0; i++) {
      out.append('1');
    }
    return out.reverse().toString();
  }

  /** The did:key of an Ed25519 DPoP key (multicodec 0xed01). */
  private static String didKey(DpopKey key) {
    byte[] raw = Base64.getUrlDecoder().decode(key.x);
    byte[] all = new byte[34];
    all[0] = (byte) 0xed;
    all[1] = 0x01;
    System.arraycopy(raw, 0, all, 2, 32);
    return "did:key:z" + base58(all);
  }

  private static String form(String... pairs) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      if (b.length() > 0) {
        b.append('&');
      }
      b.append(java.net.URLEncoder.encode(pairs[i], StandardCharsets.UTF_8))
          .append('=')
          .append(java.net.URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return b.toString();
  }

  /** The status bit at {@code index} of a served BitstringStatusListCredential. */
  private static int statusBit(String statusJwt, long index) throws Exception {
    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(statusJwt.split("\\.")[1]));
    String encoded = claims.get("credentialSubject").get("encodedList").asText();
    assertEquals('u', encoded.charAt(0));
    byte[] gz = Base64.getUrlDecoder().decode(encoded.substring(1));
    byte[] bits =
        new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz)).readAllBytes();
    return (bits[(int) (index / 8)] >> (7 - (int) (index % 8))) & 1;
  }

  @Test
  public void vcIssueMintAndRevokeOnTheProviderProcess() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String base = "http://127.0.0.1:" + port;
    try (Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-provider-vc"))
            .startArgs("--feature", "provider")
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", base)
            .start()) {
      Poll.await(
          () -> {
            try {
              HttpResponse<String> r =
                  send(
                      HttpRequest.newBuilder(
                          URI.create(base + "/.well-known/oauth-authorization-server")));
              return r.statusCode() == 200 ? r : null;
            } catch (java.io.IOException e) {
              return null;
            }
          },
          "the provider's AS answers",
          Duration.ofSeconds(60));

      // an access token with scope vc through the reference AS: register, authorize, DPoP token
      String redirect = "http://127.0.0.1:47613/callback";
      HttpResponse<String> registered =
          send(
              HttpRequest.newBuilder(URI.create(base + "/oauth/register"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          JSON.createObjectNode()
                              .put("client_name", "vc holder")
                              .put("token_endpoint_auth_method", "none")
                              .set("redirect_uris", JSON.createArrayNode().add(redirect))
                              .toString())));
      assertEquals(registered.body(), 201, registered.statusCode());
      String clientId = JSON.readTree(registered.body()).get("client_id").asText();
      String verifier = B64.encodeToString(UUID.randomUUID().toString().repeat(2).getBytes());
      String challenge =
          B64.encodeToString(
              MessageDigest.getInstance("SHA-256")
                  .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
      HttpResponse<String> authorized =
          send(
              HttpRequest.newBuilder(
                  URI.create(
                      base
                          + "/oauth/authorize?"
                          + form(
                              "response_type",
                              "code",
                              "client_id",
                              clientId,
                              "redirect_uri",
                              redirect,
                              "state",
                              "st-vc",
                              "code_challenge",
                              challenge,
                              "code_challenge_method",
                              "S256",
                              "scope",
                              "vc",
                              "resource",
                              base))));
      assertEquals(authorized.body(), 302, authorized.statusCode());
      String location = authorized.headers().firstValue("Location").orElseThrow();
      String code = null;
      for (String pair : URI.create(location).getRawQuery().split("&")) {
        if (pair.startsWith("code=")) {
          code = java.net.URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8);
        }
      }
      assertNotNull(location, code);
      DpopKey holder = new DpopKey();
      String asToken = base + "/oauth/token";
      HttpResponse<String> tokens =
          send(
              HttpRequest.newBuilder(URI.create(asToken))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .header("DPoP", holder.proof("POST", asToken, null, null))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          form(
                              "grant_type", "authorization_code",
                              "code", code,
                              "redirect_uri", redirect,
                              "code_verifier", verifier,
                              "client_id", clientId,
                              "resource", base))));
      assertEquals(tokens.body(), 200, tokens.statusCode());
      String accessToken = JSON.readTree(tokens.body()).get("access_token").asText();

      // POST /vc/issue: the server nonce first, then the VC bound to the proof key
      String holderDid = didKey(holder);
      String issueUrl = base + "/vc/issue";
      URI issueWithDid = URI.create(issueUrl + "?" + form("holder_did", holderDid));
      HttpResponse<String> needNonce =
          send(
              HttpRequest.newBuilder(issueWithDid)
                  .header("Authorization", "DPoP " + accessToken)
                  .header("DPoP", holder.proof("POST", issueUrl, accessToken, null))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(needNonce.body(), 400, needNonce.statusCode());
      String nonce = needNonce.headers().firstValue("DPoP-Nonce").orElseThrow();
      HttpResponse<String> issued =
          send(
              HttpRequest.newBuilder(issueWithDid)
                  .header("Authorization", "DPoP " + accessToken)
                  .header("DPoP", holder.proof("POST", issueUrl, accessToken, nonce))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(issued.body(), 200, issued.statusCode());
      profiled(issued);
      String vc = JSON.readTree(issued.body()).get("vc_jwt").asText();
      assertNotNull(JSON.readTree(issued.body()).get("expires_at_rfc3339"));
      JsonNode vcClaims = JSON.readTree(Base64.getUrlDecoder().decode(vc.split("\\.")[1]));
      assertEquals(holderDid, vcClaims.get("sub").asText());
      assertEquals(holder.jkt(), vcClaims.get("cnf").get("jkt").asText());
      long index = vcClaims.get("credentialStatus").get(0).get("statusListIndex").asLong();
      HttpResponse<String> badDid =
          send(
              HttpRequest.newBuilder(URI.create(issueUrl + "?holder_did=did:web:x"))
                  .header("Authorization", "DPoP " + accessToken)
                  .header("DPoP", holder.proof("POST", issueUrl, accessToken, nonce))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(400, badDid.statusCode());
      assertEquals("invalid_did", JSON.readTree(badDid.body()).get("error").asText());

      // the mint with x-vc-jwt and the holder key's proof
      String tokenUrl = base + "/token";
      HttpResponse<String> minted =
          send(
              HttpRequest.newBuilder(URI.create(tokenUrl))
                  .header("x-vc-jwt", vc)
                  .header("DPoP", holder.proof("POST", tokenUrl, null, nonce))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(minted.body(), 200, minted.statusCode());
      String cap = JSON.readTree(minted.body()).get("token").asText();
      JsonNode capClaims = JSON.readTree(Base64.getUrlDecoder().decode(cap.split("\\.")[1]));
      assertEquals(holder.jkt(), capClaims.get("cnf").get("jkt").asText());
      HttpResponse<String> stolen =
          send(
              HttpRequest.newBuilder(URI.create(tokenUrl))
                  .header("x-vc-jwt", vc)
                  .header("DPoP", new DpopKey().proof("POST", tokenUrl, null, nonce))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(401, stolen.statusCode());
      assertEquals("vc_holder_mismatch", JSON.readTree(stolen.body()).get("error").asText());

      // the status list before: bit 0, an ETag and 304 on it
      String statusUrl = base + "/status/revocation";
      HttpResponse<String> before = send(HttpRequest.newBuilder(URI.create(statusUrl)));
      assertEquals(200, before.statusCode());
      profiled(before);
      assertEquals("application/vc+jwt", before.headers().firstValue("Content-Type").orElse(""));
      assertEquals("max-age=300", before.headers().firstValue("Cache-Control").orElse(""));
      String etag = before.headers().firstValue("ETag").orElseThrow();
      assertEquals(0, statusBit(before.body(), index));
      HttpResponse<String> notModified =
          send(HttpRequest.newBuilder(URI.create(statusUrl)).header("If-None-Match", etag));
      assertEquals(304, notModified.statusCode());

      // revoke with the admin secret: the list shows the bit at once, the next VC mint fails
      String secret = "provider-admin-" + UUID.randomUUID();
      Distribution.Answer stored =
          d.post(
              "/v1/secrets/provider.admin_secret",
              JSON.createObjectNode()
                  .put(
                      "value_b64",
                      Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)))
                  .toString());
      assertEquals(stored.body(), 200, stored.status());
      String revokeBody = JSON.createObjectNode().put("id", vcClaims.get("id").asText()).toString();
      HttpResponse<String> wrong =
          send(
              HttpRequest.newBuilder(URI.create(base + "/api/vc/revoke"))
                  .header("x-aag-admin-secret", secret + "x")
                  .POST(HttpRequest.BodyPublishers.ofString(revokeBody)));
      assertEquals(401, wrong.statusCode());
      HttpResponse<String> revoked =
          send(
              HttpRequest.newBuilder(URI.create(base + "/api/vc/revoke"))
                  .header("x-aag-admin-secret", secret)
                  .POST(HttpRequest.BodyPublishers.ofString(revokeBody)));
      assertEquals(revoked.body(), 200, revoked.statusCode());
      profiled(revoked);

      HttpResponse<String> after =
          send(HttpRequest.newBuilder(URI.create(statusUrl)).header("If-None-Match", etag));
      assertEquals(200, after.statusCode());
      assertEquals(1, statusBit(after.body(), index));
      HttpResponse<String> refused =
          send(
              HttpRequest.newBuilder(URI.create(tokenUrl))
                  .header("x-vc-jwt", vc)
                  .header("DPoP", holder.proof("POST", tokenUrl, null, nonce))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(refused.body(), 401, refused.statusCode());
      assertEquals("vc_revoked", refused.headers().firstValue("x-briefcase-error").orElse(null));
    }
  }
}
