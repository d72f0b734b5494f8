package dev.briefcase.itests.console;

import dev.briefcase.itests.common.Distribution;
import dev.briefcase.testing.Poll;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The distribution started with {@code --feature features/console.json} on free ports, and a raw
 * HTTP client for the console ({@code <data_dir>/console.url}).
 */
final class Console implements AutoCloseable {
  final Distribution dist;
  final String url;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Console(Distribution dist, String url) {
    this.dist = dist;
    this.url = url;
  }

  /**
   * Starts a distribution with the console feature; {@code password} null leaves no file, so the
   * console generates one ({@link #generatedPassword}). The file is written owner-only (0600): the
   * console refuses a password file others can read.
   */
  static Console start(Path data, String profile, String user, String password) throws Exception {
    Files.createDirectories(data);
    if (password != null) {
      Path file = data.resolve("console_password");
      Files.deleteIfExists(file);
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, password + "\n");
    }
    Distribution d =
        new Distribution(data)
            .env("BRIEFCASE_CONSOLE_HTTP_PORT", "0")
            .startArgs(
                "--feature", Distribution.home().resolve("features/console.json").toString());
    if (profile != null) {
      d.env("BRIEFCASE_PROFILE_MODE", profile);
    }
    if (user != null) {
      d.env("BRIEFCASE_CONSOLE_USER", user);
    }
    d.start();
    String url =
        Poll.firstWithin(
            Duration.ofSeconds(30), () -> Poll.textOrNull(data.resolve("console.url")));
    if (url == null) {
      d.stop();
      throw new IOException("no console.url within 30 s; see " + d.logFile);
    }
    Console c = new Console(d, url);
    // the web console registers its servlet after the security provider: wait for a 401
    if (!Poll.within(
        Duration.ofSeconds(30),
        () -> c.get("/briefcase-approvals", null, null).statusCode() != 404)) {
      throw new IOException("console pages not served within 30 s; see " + d.logFile);
    }
    return c;
  }

  /** The password the console generated at first start ({@code <data_dir>/console_password}). */
  String generatedPassword() throws IOException {
    return Files.readString(dist.dataDir.resolve("console_password")).strip();
  }

  HttpResponse<String> get(String path, String user, String password)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).GET();
    auth(b, user, password);
    return http.send(
        b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(
      String path, String user, String password, Map<String, String> form, String origin)
      throws IOException, InterruptedException {
    String body =
        form.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (origin != null) {
      b.header("Origin", origin);
    }
    auth(b, user, password);
    return http.send(
        b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void auth(HttpRequest.Builder b, String user, String password) {
    if (user != null) {
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** The first CSRF token on a page. */
  static String csrf(String html) {
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
    if (!m.find()) {
      throw new AssertionError("no csrf field in page");
    }
    return m.group(1);
  }

  static Map<String, String> form(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  /** Calls a tool through the admin API; returns the approval id when one is required. */
  String callTool(String tool, String argsJson) throws IOException, InterruptedException {
    Distribution.Answer a =
        dist.post(
            "/v1/tools/call",
            "{\"call\":{\"tool_id\":" + quote(tool) + ",\"args\":" + argsJson + "}}");
    return a.json().path("approval").path("id").asText(null);
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  public void close() throws InterruptedException {
    dist.stop();
  }
}
