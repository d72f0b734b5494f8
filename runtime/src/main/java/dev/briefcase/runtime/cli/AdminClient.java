package dev.briefcase.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.edge.OneLine;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * The admin API over loopback HTTP with the bearer token. No proxy, no redirects, HTTP/1.1. The
 * token only ever goes into the {@code Authorization} header.
 */
final class AdminClient {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  /** A complete answer. */
  record Response(int status, String body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  private final URI base;
  private final String token;
  private final ObjectMapper mapper;
  private final HttpClient http;

  AdminClient(URI base, String token, ObjectMapper mapper) {
    this.base = base;
    this.token = token;
    this.mapper = mapper;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
  }

  URI base() {
    return base;
  }

  Response get(String path) {
    return send(request(path).GET().build());
  }

  Response post(String path, String json) {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json == null ? "{}" : json))
            .build());
  }

  Response delete(String path) {
    return send(request(path).DELETE().build());
  }

  /** Uploads a file as the request body (a plugin jar). */
  Response postFile(String path, java.nio.file.Path file, String contentType) {
    try {
      return send(
          request(path)
              .header("Content-Type", contentType)
              .POST(HttpRequest.BodyPublishers.ofFile(file))
              .build());
    } catch (java.io.FileNotFoundException e) {
      throw new CliException(ExitCodes.ERROR, "no such file: " + file);
    }
  }

  /** A streamed GET (SSE or NDJSON) without a request timeout. */
  HttpResponse<Stream<String>> getLines(String path, String accept) {
    HttpRequest req = request(path, null).header("Accept", accept).GET().build();
    try {
      return http.send(req, HttpResponse.BodyHandlers.ofLines());
    } catch (IOException e) {
      throw connectionFailure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCodes.ERROR, "briefcase: interrupted");
    }
  }

  /** A streamed GET whose body is copied as bytes. */
  HttpResponse<InputStream> getStream(String path) {
    HttpRequest req = request(path, null).GET().build();
    try {
      return http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw connectionFailure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCodes.ERROR, "briefcase: interrupted");
    }
  }

  private HttpRequest.Builder request(String path) {
    return request(path, REQUEST_TIMEOUT);
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(resolve(path));
    if (timeout != null) {
      b.timeout(timeout);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  URI resolve(String path) {
    String root = base.toString();
    if (root.endsWith("/")) {
      root = root.substring(0, root.length() - 1);
    }
    return URI.create(root + path);
  }

  private Response send(HttpRequest req) {
    try {
      HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
      return new Response(res.statusCode(), res.body());
    } catch (IOException e) {
      throw connectionFailure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCodes.ERROR, "briefcase: interrupted");
    }
  }

  private CliException connectionFailure(IOException e) {
    if (e instanceof HttpConnectTimeoutException
        || e instanceof ConnectException
        || e.getCause() instanceof ConnectException) {
      return CliException.notRunning();
    }
    if (e instanceof HttpTimeoutException) {
      return new CliException(
          ExitCodes.ERROR,
          "briefcase: the admin API did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
    }
    return new CliException(
        ExitCodes.NOT_RUNNING, "briefcase: cannot reach the admin API at " + base + ": " + e);
  }

  /** Parses a body as JSON, or fails with a clear message. */
  JsonNode json(Response res) {
    try {
      return mapper.readTree(res.body());
    } catch (IOException e) {
      throw new CliException(
          ExitCodes.ERROR,
          "briefcase: the admin API sent a body that is not JSON (HTTP " + res.status() + ")");
    }
  }

  /** Throws {@code error: <code>: <message>} (exit 1) unless the answer is a 2xx. */
  void requireOk(Response res) {
    if (!res.ok()) {
      throw apiError(res);
    }
  }

  /** The {@code {code, message}} of an error answer as a {@link CliException}. */
  CliException apiError(Response res) {
    String code = "http_" + res.status();
    String message = "";
    try {
      JsonNode body = mapper.readTree(res.body());
      if (body != null && body.isObject()) {
        if (body.hasNonNull("code")) {
          code = body.get("code").asText();
        } else if (body.hasNonNull("status")) {
          code = body.get("status").asText();
        }
        if (body.hasNonNull("message")) {
          message = body.get("message").asText();
        } else if (body.hasNonNull("reason")) {
          message = body.get("reason").asText();
        }
      }
    } catch (IOException e) {
      message = res.body() == null ? "" : res.body();
    }
    return new CliException(ExitCodes.ERROR, "error: " + code + ": " + oneLine(message));
  }

  /** A message from the kernel or an exception on one line, at most 300 characters. */
  static String oneLine(String text) {
    return OneLine.of(text, 300, "", "...");
  }

  static String readToken(java.nio.file.Path file) {
    try {
      String token = java.nio.file.Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.isEmpty()) {
        throw new CliException(ExitCodes.ERROR, "briefcase: the token file " + file + " is empty");
      }
      return token;
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new CliException(
          ExitCodes.ERROR,
          "briefcase: cannot read the token file " + file + ": " + e.getClass().getSimpleName());
    }
  }
}
