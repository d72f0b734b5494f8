package dev.briefcase.itests.console;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.briefcase.itests.common.Distribution;
import dev.briefcase.itests.common.FeatureBundles;
import dev.briefcase.oauth.internal.HeadlessLogin;
import dev.briefcase.oauth.internal.OAuthFixture;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * The Providers page of the console against the real AS (oidc-provider) and the built distribution:
 * the provider is listed without values, "Log in" shows the authorization URL as a link, the
 * authorization server redirects the (headless) browser to the page's own callback, the console
 * completes the login, and the same callback a second time changes nothing. The code never reaches
 * the daemon's log.
 */
public class ProvidersConsoleIT {
  private static final Pattern LINK = Pattern.compile("id=\"login-url\"[^>]*href=\"([^\"]+)\"");

  @Test
  public void aLoginStartedInTheConsoleCompletesThroughItsCallback() throws Exception {
    System.setProperty(
        "briefcase.oauth.js",
        FeatureBundles.root().resolve("bundles/oauth/src/test/js").toString());
    String user = "operator";
    String pw = "providers-console-pw-1";
    try (OAuthFixture fixture = OAuthFixture.start();
        Console c =
            Console.start(Files.createTempDirectory("briefcase-console-oauth"), null, user, pw)) {
      Distribution.Answer added =
          c.dist.post(
              "/v1/providers",
              "{\"id\":\"api\",\"base_url\":\""
                  + fixture.rs
                  + "\",\"resource_url\":\""
                  + fixture.rs
                  + "/api\",\"scope\":\"api:read\"}");
      assertEquals(added.body(), 201, added.status());

      HttpResponse<String> list = c.get("/briefcase-providers", user, pw);
      assertEquals(200, list.statusCode());
      assertTrue(list.body(), list.body().contains("data-provider-id=\"api\""));
      assertTrue(list.body(), list.body().contains("<td>none</td>"));

      HttpResponse<String> started =
          c.post(
              "/briefcase-providers",
              user,
              pw,
              Console.form("id", "api", "action", "login", "csrf", Console.csrf(list.body())),
              null);
      assertEquals(started.body(), 200, started.statusCode());
      Matcher m = LINK.matcher(started.body());
      assertTrue(started.body(), m.find());
      URI authorization = URI.create(m.group(1).replace("&amp;", "&"));
      assertTrue(authorization.toString(), authorization.toString().startsWith(fixture.as));

      String callbackPrefix = c.url + "/briefcase-providers/callback";
      URI callback = HeadlessLogin.login(authorization, callbackPrefix, "grace");
      String code = HeadlessLogin.param(callback, "code");
      String pathAndQuery = callback.getRawPath() + "?" + callback.getRawQuery();
      String relative = pathAndQuery.substring(pathAndQuery.indexOf("/briefcase-providers"));

      HttpResponse<String> done = c.get(relative, user, pw);
      assertEquals(done.body(), 200, done.statusCode());
      assertTrue(done.body(), done.body().contains("Logged in to api: refresh token stored"));
      assertEquals("no-referrer", done.headers().firstValue("Referrer-Policy").orElse(""));
      Distribution.Answer status = c.dist.get("/v1/providers/api");
      assertTrue(
          status.body(),
          new ObjectMapper().readTree(status.body()).path("has_oauth_refresh").asBoolean());

      HttpResponse<String> again = c.get(relative, user, pw);
      assertTrue(again.body(), again.body().contains("unknown_oauth_state"));
      assertFalse("the code in the daemon log", Files.readString(c.dist.logFile).contains(code));
    }
  }
}
