package dev.briefcase.itests.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The provider-side Briefcase process ({@code briefcase start --feature provider}, its own data dir
 * and listener port) behind a {@link TapProxy} whose URL is the provider's public base URL (so
 * htu/iss/aud checks hold for everything sent through the tap), with {@code provider.admin_secret}
 * set by {@code briefcase secrets set} on the provider side.
 */
final class ProviderSide implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final int port;
  final TapProxy tap;
  final Distribution dist;
  final String adminSecret = "provider-admin-" + UUID.randomUUID();

  private ProviderSide(int port, TapProxy tap, Distribution dist) {
    this.port = port;
    this.tap = tap;
    this.dist = dist;
  }

  /**
   * Starts the provider with {@code env} added (e.g. {@code BRIEFCASE_PROVIDER_PRICE_MICROUSD}).
   */
  static ProviderSide start(String name, Map<String, String> env) throws Exception {
    return start(name, env, Map.of());
  }

  /**
   * As {@link #start(String, Map)}, with {@code gatewayConfig} replacing entries of the shipped
   * {@code dev.briefcase.provider.gateway} configuration (features/provider.json) for settings no
   * environment variable reaches, e.g. {@code status.ttl.ms:Long}: the gateway's configuration with
   * those entries goes into a second feature file started after {@code provider}.
   */
  static ProviderSide start(String name, Map<String, String> env, Map<String, Object> gatewayConfig)
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> args = new ArrayList<>(List.of("--feature", "provider"));
    if (!gatewayConfig.isEmpty()) {
      args.add("--feature");
      args.add(gatewayFeature(name, gatewayConfig).toString());
    }
    TapProxy tap = new TapProxy("http://127.0.0.1:" + port);
    Distribution d =
        new Distribution(Files.createTempDirectory("briefcase-provider-" + name))
            .startArgs(args.toArray(String[]::new))
            .env("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:" + port)
            .env("BRIEFCASE_PROVIDER_BASE_URL", tap.base());
    env.forEach(d::env);
    ProviderSide p = new ProviderSide(port, tap, d);
    try {
      d.start();
      Poll.await(
          () -> {
            try {
              HttpResponse<String> r = p.direct("GET", "/.well-known/jwks.json", Map.of());
              return r.statusCode() == 200 ? r : null;
            } catch (IOException e) {
              return null;
            }
          },
          "the provider listener serves the JWKS",
          Duration.ofSeconds(60));
      Distribution.CliResult set =
          d.cliWithInput(
              p.adminSecret.getBytes(StandardCharsets.UTF_8),
              "secrets",
              "set",
              "provider.admin_secret");
      if (set.exit() != 0) {
        throw new IOException("secrets set provider.admin_secret: " + set.stderr());
      }
      return p;
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
  }

  /** A feature file with the shipped gateway configuration, {@code entries} replaced. */
  private static Path gatewayFeature(String name, Map<String, Object> entries) throws IOException {
    Path work = Files.createTempDirectory("briefcase-provider-feature-" + name);
    JsonNode shipped =
        JSON.readTree(Distribution.home().resolve("features/provider.json").toFile());
    ObjectNode gateway =
        ((ObjectNode) shipped.path("configurations").path("dev.briefcase.provider.gateway"))
            .deepCopy();
    entries.forEach(
        (k, v) -> {
          gateway.remove(k);
          gateway.set(k, JSON.valueToTree(v));
        });
    ObjectNode pf = JSON.createObjectNode();
    pf.put("feature-resource-version", "1.0");
    pf.put("id", "dev.briefcase:dev.briefcase.feature.itest-" + name + "-provider:0.1.0-SNAPSHOT");
    pf.putArray("bundles");
    pf.putObject("configurations").set("dev.briefcase.provider.gateway", gateway);
    return Files.writeString(work.resolve(name + "-provider.json"), pf.toString());
  }

  /** The public base URL (the tap). */
  String base() {
    return tap.base();
  }

  /** A request straight to the provider's listener, past the tap. */
  HttpResponse<String> direct(String method, String target, Map<String, String> headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
            .timeout(Duration.ofSeconds(15))
            .method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code POST /api/revoke {token}} with the admin secret: the provider refuses that jti. */
  HttpResponse<String> revoke(String capability) throws IOException, InterruptedException {
    return admin("/api/revoke", JSON.createObjectNode().put("token", capability).toString());
  }

  /** A {@code POST} of {@code json} to an admin route of the provider, with the admin secret. */
  HttpResponse<String> admin(String path, String json) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(15))
            .header("x-aag-admin-secret", adminSecret)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The {@code jti} claim of a JWT (read, not verified: the test's own bookkeeping). */
  static String jti(String jwt) throws IOException {
    return JSON.readTree(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]))
        .path("jti")
        .asText();
  }

  @Override
  public void close() throws InterruptedException {
    try {
      dist.close();
    } finally {
      tap.close();
    }
  }
}
