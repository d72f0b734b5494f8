package dev.briefcase.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import org.junit.Test;

/**
 * {@code briefcase provider check} (SPEC §21 provider contract kit) against the reference provider
 * process ({@code briefcase start --feature provider}, admin secret set): all eight checks pass.
 * Then a small mutating proxy in front of the same provider breaks one promise at a time — the
 * profile header stripped, a replay answered 200, an unproven bound-token quote answered 200 — and
 * exactly the check for that promise fails, with exit code 6. The provider's public base URL is the
 * proxy's, so its htu and iss checks hold through the proxy; in pass-through mode the proxy changes
 * nothing.
 */
public class ContractKitIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROFILE = "x-briefcase-compatibility-profile";
  private static final List<String> CHECKS =
      List.of(
          "profile_marker_header",
          "token_response_profile_field",
          "capability_pop_binding",
          "quote_requires_dpop_when_pop_bound",
          "quote_accepts_dpop",
          "replay_is_deterministic_and_signaled",
          "oauth_code_pkce_mints_capability",
          "revocation_signaled");
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "host",
          "connection",
          "content-length",
          "expect",
          "upgrade",
          "transfer-encoding",
          "keep-alive",
          "te",
          "date",
          "via",
          "warning");

  enum Mode {
    PASS,
    STRIP_PROFILE,
    REPLAY_OK,
    UNPROVEN_OK
  }

  /** Forwards to the provider and breaks the contract as {@link #mode} says. */
  static final class MutatingProxy implements AutoCloseable {
    final HttpServer server;
    final HttpClient client =
        HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    final String upstream;
    volatile Mode mode = Mode.PASS;

    MutatingProxy(int port, String upstream) throws IOException {
      this.upstream = upstream;
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
      server.setExecutor(Executors.newFixedThreadPool(4));
      server.createContext("/", this::handle);
      server.start();
    }

    private void handle(HttpExchange ex) throws IOException {
      try (ex) {
        byte[] body = ex.getRequestBody().readAllBytes();
        String path = ex.getRequestURI().getRawPath();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (mode == Mode.UNPROVEN_OK
            && path.equals("/api/quote")
            && auth != null
            && auth.startsWith("DPoP ")
            && !ex.getRequestHeaders().containsKey("DPoP")) {
          answer(ex, 200, Map.of(PROFILE, List.of("aacp_v1")), "{\"symbol\":\"ACME\"}");
          return;
        }
        HttpRequest.Builder forward =
            HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI()))
                .timeout(Duration.ofSeconds(15))
                .method(
                    ex.getRequestMethod(),
                    body.length == 0
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders()
            .forEach(
                (name, values) -> {
                  if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(v -> forward.header(name, v));
                  }
                });
        HttpResponse<byte[]> r;
        try {
          r = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        r.headers()
            .map()
            .forEach(
                (name, values) -> {
                  if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))
                      && !name.startsWith(":")) {
                    headers.put(name, values);
                  }
                });
        if (mode == Mode.STRIP_PROFILE) {
          headers.keySet().removeIf(n -> n.equalsIgnoreCase(PROFILE));
        }
        if (mode == Mode.REPLAY_OK
            && r.statusCode() == 401
            && "replay_detected".equals(r.headers().firstValue("x-briefcase-error").orElse(null))) {
          answer(ex, 200, Map.of(PROFILE, List.of("aacp_v1")), "{\"symbol\":\"ACME\"}");
          return;
        }
        ex.getResponseHeaders().putAll(headers);
        byte[] out = r.body();
        ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
          try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
          }
        }
      }
    }

    private static void answer(
        HttpExchange ex, int status, Map<String, List<String>> headers, String body)
        throws IOException {
      ex.getResponseHeaders().putAll(headers);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      byte[] out = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    }

    @Override
    public void close() {
      server.stop(0);
      ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Runs the kit and checks the report's shape; returns {name: check}. */
  private static Map<String, JsonNode> check(
      Distribution d, String base, Path secretFile, String secret, int expectedExit)
      throws Exception {
    Distribution.CliResult r =
        d.cli("provider", "check", base, "--admin-secret-file", secretFile.toString());
    assertFalse("the admin secret is never printed", r.stdout().contains(secret));
    assertFalse("the admin secret is never printed", r.stderr().contains(secret));
    JsonNode report = JSON.readTree(r.stdout());
    assertEquals(r.stdout() + r.stderr(), expectedExit, r.exit());
    assertEquals(base, report.get("base_url").asText());
    assertEquals(expectedExit == 0, report.get("ok").asBoolean());
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (JsonNode c : report.get("checks")) {
      names.add(c.get("name").asText());
      byName.put(c.get("name").asText(), c);
      assertFalse(c.get("detail").asText().isBlank());
    }
    assertEquals(CHECKS, names);
    return byName;
  }

  private static void onlyFails(Map<String, JsonNode> checks, String failing) {
    for (String name : CHECKS) {
      assertEquals(
          name + ": " + checks.get(name).get("detail").asText(),
          !name.equals(failing),
          checks.get(name).get("ok").asBoolean());
    }
  }

  @Test
  public void theReferenceProviderPassesAndEachBrokenPromiseFailsItsCheck() throws Exception {
    int providerPort = freePort();
    int proxyPort = freePort();
    String upstream = "http://127.0.0.1:" + providerPort;
    String base = "http://127.0.0.1:" + proxyPort;
    Path dir = Files.createTempDirectory("briefcase-contract-kit");
    String secret = "provider-admin-" + UUID.randomUUID();
    Path secretFile = dir.resolve("admin-secret");
    Files.writeString(secretFile, secret + "\n");
    HttpClient http = HttpClient.newHttpClient();
    try (MutatingProxy proxy = new MutatingProxy(proxyPort, upstream);
        Distribution d =
            new Distribution(dir.resolve("data"))
                .startArgs("--feature", "provider")
                .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + providerPort)
                .env("BRIEFCASE_PROVIDER_BASE_URL", base)
                .start()) {
      Poll.await(
          () -> {
            try {
              HttpResponse<String> r =
                  http.send(
                      HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json"))
                          .timeout(Duration.ofSeconds(15))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              return r.statusCode() == 200 ? r : null;
            } catch (IOException e) {
              return null;
            }
          },
          "the provider listener serves the JWKS",
          Duration.ofSeconds(60));
      Distribution.Answer stored =
          d.post(
              "/v1/secrets/provider.admin_secret",
              JSON.createObjectNode()
                  .put(
                      "value_b64",
                      Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)))
                  .toString());
      assertEquals(stored.body(), 200, stored.status());

      Map<String, JsonNode> all = check(d, base, secretFile, secret, 0);
      onlyFails(all, null);

      proxy.mode = Mode.STRIP_PROFILE;
      onlyFails(check(d, base, secretFile, secret, 6), "profile_marker_header");

      proxy.mode = Mode.REPLAY_OK;
      onlyFails(check(d, base, secretFile, secret, 6), "replay_is_deterministic_and_signaled");

      proxy.mode = Mode.UNPROVEN_OK;
      onlyFails(check(d, base, secretFile, secret, 6), "quote_requires_dpop_when_pop_bound");

      // no admin secret: the revocation check is skipped, which makes the report not ok
      proxy.mode = Mode.PASS;
      Distribution.CliResult noSecret = d.cli("provider", "check", base);
      assertEquals(noSecret.stdout() + noSecret.stderr(), 6, noSecret.exit());
      JsonNode revocation = JSON.readTree(noSecret.stdout()).get("checks").get(7);
      assertEquals("revocation_signaled", revocation.get("name").asText());
      assertFalse(revocation.get("ok").asBoolean());
      assertEquals("skipped: no admin secret", revocation.get("detail").asText());

      // a bad base URL is a usage error, before any request
      Distribution.CliResult plainHttp = d.cli("provider", "check", "http://provider.example");
      assertEquals(2, plainHttp.exit());
      assertEquals("", plainHttp.stdout());
    }
  }
}
