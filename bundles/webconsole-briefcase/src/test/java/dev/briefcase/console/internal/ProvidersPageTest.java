package dev.briefcase.console.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.credentials.AccessCredential;
import dev.briefcase.credentials.CredentialService;
import dev.briefcase.credentials.LoginResult;
import dev.briefcase.credentials.LoginStart;
import dev.briefcase.credentials.Provider;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.credentials.RevokeResult;
import dev.briefcase.error.BriefcaseException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.junit.Test;

/**
 * The Providers page without a framework: the login action's redirect is the page's own callback on
 * the console port, the authorization URL is shown as an escaped link, and a callback is taken
 * once, only for a state this console issued to the same user, and handed to the credential
 * service's exchange.
 */
public class ProvidersPageTest {
  private final List<String> calls = new CopyOnWriteArrayList<>();

  private final CredentialService credentials =
      new CredentialService() {
        @Override
        public List<ProviderStatus> list() {
          return List.of(
              new ProviderStatus(
                  new Provider(
                      "acme", "https://acme.example", "https://acme.example/api", null, "a<b"),
                  true,
                  null));
        }

        @Override
        public LoginStart start(String id, URI redirectUri) {
          calls.add("start " + id + " " + redirectUri);
          return new LoginStart(id, "https://acme.example/auth?x=\"><script>", "st-1");
        }

        @Override
        public LoginResult exchange(String id, String code, String state, String iss) {
          calls.add("exchange " + id + " " + code + " " + state + " " + iss);
          return new LoginResult(id, Instant.parse("2026-01-01T00:10:00Z"), true);
        }

        @Override
        public ProviderStatus add(String a, String b, String c, String d, String e) {
          throw new UnsupportedOperationException();
        }

        @Override
        public RevokeResult remove(String id) {
          throw new UnsupportedOperationException();
        }

        @Override
        public ProviderStatus status(String id) {
          throw new UnsupportedOperationException();
        }

        @Override
        public RevokeResult revoke(String id) {
          throw new UnsupportedOperationException();
        }

        @Override
        public AccessCredential accessCredential(String id, String method, URI target) {
          throw new UnsupportedOperationException();
        }
      };

  private ProvidersPage page() {
    ConsoleActions actions = new ConsoleActions();
    actions.credentials = credentials;
    return new ProvidersPage(actions);
  }

  private static HttpServletRequest request(String uri, Map<String, String> params) {
    Map<String, Object> attributes = new HashMap<>();
    attributes.put(ServletConstants.ATTR_PLUGIN_ROOT, "/system/console/briefcase-providers");
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            ProvidersPageTest.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, m, args) ->
                switch (m.getName()) {
                  case "getParameter" -> params.get((String) args[0]);
                  case "getRequestURI" -> uri;
                  case "getLocalPort" -> 8766;
                  case "getAttribute" -> attributes.get((String) args[0]);
                  case "setAttribute" -> attributes.put((String) args[0], args[1]);
                  case "getRemoteUser" -> params.get("_user");
                  default -> null;
                });
  }

  @Test
  public void aLoginStartedHereCompletesThroughThisPagesCallbackOnce() throws Exception {
    ProvidersPage page = page();
    HttpServletRequest post =
        request(
            "/system/console/briefcase-providers",
            Map.of("action", "login", "id", "acme", "_user", "alice"));
    String told = page.act(post, "console:alice");
    assertTrue(told, told.startsWith("Login to acme started"));
    // the start asked for the page's own callback on the console's loopback port
    assertEquals(
        List.of("start acme http://127.0.0.1:8766/system/console/briefcase-providers/callback"),
        calls);

    StringWriter html = new StringWriter();
    page.render(post, new PrintWriter(html, true), "alice");
    String text = html.toString();
    assertTrue(text, text.contains("id=\"login-url\""));
    assertFalse("unescaped markup from the AS", text.contains("\"><script>"));
    assertFalse("unescaped scope", text.contains("a<b"));
    assertTrue(text, text.contains("<td>stored</td>"));

    // another user's browser cannot complete it, nor can an unknown state
    expect(
        "unknown_oauth_state",
        () ->
            page.callback(
                request("/x/briefcase-providers/callback", Map.of("state", "st-1", "code", "c")),
                "mallory"));
    expect(
        "unknown_oauth_state",
        () ->
            page.callback(
                request("/x/briefcase-providers/callback", Map.of("state", "st-2", "code", "c")),
                "alice"));
    String done =
        page.callback(
            request(
                "/system/console/briefcase-providers/callback",
                Map.of("state", "st-1", "code", "the-code", "iss", "https://acme.example")),
            "alice");
    assertTrue(done, done.startsWith("Logged in to acme: refresh token stored, DPoP-bound"));
    assertEquals("exchange acme the-code st-1 https://acme.example", calls.get(1));
    // used once
    expect(
        "unknown_oauth_state",
        () ->
            page.callback(
                request("/x/briefcase-providers/callback", Map.of("state", "st-1", "code", "c")),
                "alice"));
    assertEquals(2, calls.size());
  }

  @Test
  public void aRefusedLoginOrAMissingCodeIsReportedAndNothingIsExchanged() throws Exception {
    ProvidersPage page = page();
    HttpServletRequest post =
        request(
            "/system/console/briefcase-providers",
            Map.of("action", "login", "id", "acme", "_user", "alice"));
    page.act(post, "console:alice");
    BriefcaseException refused =
        expect(
            "oauth_login_refused",
            () ->
                page.callback(
                    request(
                        "/x/briefcase-providers/callback",
                        Map.of("state", "st-1", "error", "<b>evil</b>")),
                    "alice"));
    assertFalse(refused.getMessage(), refused.getMessage().contains("<b>"));
    page.act(post, "console:alice");
    expect(
        "invalid_request",
        () ->
            page.callback(
                request("/x/briefcase-providers/callback", Map.of("state", "st-1")), "alice"));
    expect(
        "invalid_request",
        () -> page.act(request("/x", Map.of("action", "remove", "id", "acme")), "console:alice"));
    assertEquals(2, calls.stream().filter(c -> c.startsWith("start")).count());
    // a POST without a console user starts nothing
    expect(
        "forbidden",
        () -> page.act(request("/x", Map.of("action", "login", "id", "acme")), "console:"));
    assertTrue(calls.stream().noneMatch(c -> c.startsWith("exchange")));
  }

  @Test
  public void pendingLoginsExpireAndAreBounded() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    MutableClock clock = new MutableClock(t0);
    ConsoleLogins logins = new ConsoleLogins(clock);
    logins.started("s1", "acme", "alice");
    clock.now = t0.plus(ConsoleLogins.TTL);
    expect("unknown_oauth_state", () -> logins.take("s1", "alice"));
    for (int i = 0; i <= ConsoleLogins.MAX; i++) {
      logins.started("s" + i, "acme", "alice");
    }
    expect("unknown_oauth_state", () -> logins.take("s0", "alice"));
    assertEquals("acme", logins.take("s" + ConsoleLogins.MAX, "alice"));
    expect("unknown_oauth_state", () -> logins.take(null, "alice"));
    expect("unknown_oauth_state", () -> logins.take("s1", null));
  }

  private static final class MutableClock extends Clock {
    volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private static BriefcaseException expect(String code, Step step) {
    try {
      step.run();
    } catch (BriefcaseException e) {
      assertEquals(e.getMessage(), code, e.code());
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected " + code + ", got " + e, e);
    }
    fail("expected " + code);
    return null;
  }
}
