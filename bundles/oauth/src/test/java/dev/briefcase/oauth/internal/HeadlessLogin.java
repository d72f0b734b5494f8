package dev.briefcase.oauth.internal;

import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Plays the user in oidc-provider's development interactions over plain HTTP: opens the
 * authorization URL, follows redirects with a cookie jar, submits the login form (any login) and
 * the consent form, and stops at the redirect to the client's redirect URI, whose URL it returns.
 */
public final class HeadlessLogin {
  private static final Pattern FORM = Pattern.compile("<form[^>]*action=\"([^\"]+)\"[^>]*>");
  private static final Pattern HIDDEN =
      Pattern.compile("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"");

  private HeadlessLogin() {}

  public static URI login(URI authorizationUrl, String redirectPrefix, String user)
      throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    HttpRequest next = HttpRequest.newBuilder(authorizationUrl).GET().build();
    for (int hop = 0; hop < 20; hop++) {
      HttpResponse<String> res = client.send(next, HttpResponse.BodyHandlers.ofString());
      URI here = res.request().uri();
      if (res.statusCode() / 100 == 3) {
        URI location = here.resolve(res.headers().firstValue("location").orElseThrow());
        if (location.toString().startsWith(redirectPrefix)) {
          return location;
        }
        next = HttpRequest.newBuilder(location).GET().build();
        continue;
      }
      Matcher form = FORM.matcher(res.body());
      if (res.statusCode() != 200 || !form.find()) {
        throw new IllegalStateException("login stopped at HTTP " + res.statusCode() + " " + here);
      }
      Map<String, String> fields = new LinkedHashMap<>();
      Matcher hidden = HIDDEN.matcher(res.body());
      while (hidden.find()) {
        fields.put(hidden.group(1), hidden.group(2));
      }
      if (res.body().contains("name=\"login\"")) {
        fields.put("login", user);
        fields.put("password", "any");
      }
      String body =
          fields.entrySet().stream()
              .map(
                  e ->
                      URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                          + "="
                          + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
              .collect(Collectors.joining("&"));
      next =
          HttpRequest.newBuilder(here.resolve(form.group(1).replace("&amp;", "&")))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();
    }
    throw new IllegalStateException("login did not reach the redirect URI");
  }

  /** A query parameter of a callback URL, decoded. */
  public static String param(URI callback, String name) {
    for (String pair : callback.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
