package dev.briefcase.admin.api.internal;

import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The bytes of a plugin named by URL ({@code POST /v1/plugins} with {@code {"url":...}}): a {@code
 * file:} URL is an absolute path to a regular file the daemon reads; an {@code https:} URL (or
 * {@code http:} to a loopback host) is fetched through the egress client with its rules — no
 * redirects, DNS checked once, private ranges refused, loopback only outside {@code ga}, body cap.
 * Every refusal has a stable code and happens before anything is installed; bytes that are not a
 * zip are refused ({@code invalid_bundle}) before the plugin service sees them.
 */
final class PluginSource {
  static final int MAX_URL_CHARS = 2048;

  /** Where the bytes came from, as receipted: the URL without its query (it may carry a token). */
  record Fetched(byte[] bytes, String source) {}

  private PluginSource() {}

  /**
   * Reads or fetches the jar.
   *
   * @param egress the egress client, or {@code null} when it is not running
   * @param devLoopback whether loopback hosts may be fetched (not in {@code ga})
   * @param maxBytes the plugin size cap
   */
  static Fetched fetch(String url, EgressClient egress, boolean devLoopback, int maxBytes)
      throws HttpError {
    if (url == null || url.isBlank() || url.length() > MAX_URL_CHARS) {
      throw HttpError.badRequest("invalid_url", "url must be a file: or https: URL");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw HttpError.badRequest("invalid_url", "url is not a valid URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    return switch (scheme) {
      case "file" -> file(uri, maxBytes);
      case "https", "http" -> remote(uri, scheme, egress, devLoopback, maxBytes);
      default -> throw HttpError.badRequest("invalid_url", "url must be a file: or https: URL");
    };
  }

  private static Fetched file(URI uri, int maxBytes) throws HttpError {
    if (uri.isOpaque()
        || (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty())
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw HttpError.badRequest(
          "invalid_url", "a file: URL names an absolute local path: file:///path/to/plugin.jar");
    }
    Path path;
    try {
      path = Path.of(uri);
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw HttpError.badRequest("invalid_url", "not a local file path");
    }
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      throw HttpError.badRequest("invalid_url", "the path must be absolute, without . or ..");
    }
    if (!Files.isRegularFile(path)) {
      throw HttpError.badRequest("fetch_failed", "no regular file at " + path);
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(maxBytes + 1);
    } catch (IOException e) {
      throw HttpError.badRequest("fetch_failed", "the file could not be read: " + path);
    }
    if (bytes.length > maxBytes) {
      throw new HttpError("body_too_large", "a plugin bundle may be at most 64 MiB");
    }
    if (bytes.length == 0) {
      throw HttpError.badRequest("fetch_failed", "the file is empty: " + path);
    }
    return new Fetched(zip(bytes), path.toUri().toString());
  }

  private static Fetched remote(
      URI uri, String scheme, EgressClient egress, boolean devLoopback, int maxBytes)
      throws HttpError {
    String host = uri.getHost();
    if (uri.isOpaque()
        || host == null
        || uri.getRawUserInfo() != null
        || uri.getRawFragment() != null) {
      throw HttpError.badRequest("invalid_url", "url must be https://host/path, no user or #");
    }
    host = host.toLowerCase(Locale.ROOT);
    if ("http".equals(scheme) && !isLoopbackName(host)) {
      throw HttpError.badRequest("invalid_url", "http: is only for loopback hosts; use https:");
    }
    if (egress == null) {
      throw new HttpError("unavailable", "the egress client is not available");
    }
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    EgressPolicy policy =
        EgressPolicy.of(Set.of(bare), List.of("/"))
            .withDevLoopback(devLoopback)
            .withMaxResponseBytes(maxBytes)
            .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(60));
    EgressResponse r;
    try {
      r = egress.send(EgressRequest.get(uri.toString()), policy);
    } catch (EgressException e) {
      throw refusal(e);
    }
    if (r.status() != 200) {
      throw new HttpError("fetch_failed", "the server answered HTTP " + r.status());
    }
    if (r.body().length == 0) {
      throw new HttpError("fetch_failed", "the server sent an empty body");
    }
    String source =
        scheme
            + "://"
            + uri.getRawAuthority()
            + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
    return new Fetched(zip(r.body()), source);
  }

  /**
   * Only a zip (jar) goes on to the plugin service: any other file the daemon can read is refused
   * here, so neither its bytes nor their hash reach a receipt.
   */
  private static byte[] zip(byte[] bytes) throws HttpError {
    if (bytes.length < 4 || bytes[0] != 'P' || bytes[1] != 'K' || bytes[2] != 3 || bytes[3] != 4) {
      throw HttpError.badRequest("invalid_bundle", "the URL does not name a jar");
    }
    return bytes;
  }

  private static HttpError refusal(EgressException e) {
    String detail = e.code() + ": " + e.getMessage();
    return switch (e.code()) {
      case EgressException.URL_INVALID,
              EgressException.USERINFO,
              EgressException.FRAGMENT,
              EgressException.REQUEST_INVALID,
              EgressException.POLICY_INVALID ->
          HttpError.badRequest("invalid_url", detail);
      case EgressException.SCHEME_REFUSED,
              EgressException.HOST_NOT_ALLOWED,
              EgressException.PATH_NOT_ALLOWED,
              EgressException.ADDRESS_REFUSED,
              EgressException.REDIRECT_REFUSED ->
          new HttpError("fetch_refused", detail);
      case EgressException.RESPONSE_TOO_LARGE -> new HttpError("body_too_large", detail);
      default -> new HttpError("fetch_failed", detail);
    };
  }

  static boolean isLoopbackName(String host) {
    return host.equals("localhost") || host.equals("[::1]") || host.matches("127(\\.\\d{1,3}){3}");
  }
}
