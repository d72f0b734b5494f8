package dev.briefcase.provider.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

/**
 * A facilitator over plain HTTP(S) with timeouts: https, or http to a loopback address only (a
 * local facilitator); redirects are not followed; answers are read up to {@value #MAX_ANSWER_BYTES}
 * bytes and must be one strict JSON object. Nothing of the request is logged here.
 */
final class HttpFacilitator implements Facilitator {
  static final int MAX_ANSWER_BYTES = 64 * 1024;
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final String base;
  private final Duration timeout;
  private final HttpClient http;

  private HttpFacilitator(String base, Duration timeout) {
    this.base = base;
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * The facilitator at {@code url} (no trailing slash needed), or null when it is blank; {@link
   * IllegalArgumentException} for anything but https or loopback http without user info, query or
   * fragment.
   */
  static HttpFacilitator of(String url, Duration timeout) {
    if (url == null || url.isBlank()) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (Exception e) {
      throw new IllegalArgumentException("invalid x402.facilitator_url");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null
        || uri.getRawUserInfo() != null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || !(scheme.equals("https") || (scheme.equals("http") && loopback(uri.getHost())))) {
      throw new IllegalArgumentException(
          "invalid x402.facilitator_url (https, or http to a loopback address)");
    }
    String s = url.trim();
    return new HttpFacilitator(s.endsWith("/") ? s.substring(0, s.length() - 1) : s, timeout);
  }

  /** A literal loopback address or {@code localhost}; no name is resolved through DNS. */
  private static boolean loopback(String host) {
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))
            .build();
    HttpResponse<InputStream> response =
        http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    byte[] answer;
    try (InputStream in = response.body()) {
      answer = in.readNBytes(MAX_ANSWER_BYTES + 1);
    }
    if (answer.length > MAX_ANSWER_BYTES) {
      throw new IOException("facilitator answer larger than " + MAX_ANSWER_BYTES + " bytes");
    }
    ObjectNode json;
    try {
      json = Json.object(answer);
    } catch (ProviderError e) {
      throw new IOException(
          "facilitator " + path + " answered " + response.statusCode() + ", not JSON");
    }
    // a failed settlement may come with a non-2xx status and a well-formed answer
    if (response.statusCode() != 200 && !json.has("success") && !json.has("isValid")) {
      throw new IOException("facilitator " + path + " answered " + response.statusCode());
    }
    return json;
  }
}
