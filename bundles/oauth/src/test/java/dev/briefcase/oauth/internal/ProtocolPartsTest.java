package dev.briefcase.oauth.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.sun.net.httpserver.HttpServer;
import dev.briefcase.credentials.Rejection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/** The hand-written protocol parts: URL rules, challenge parsing, nonce keeping, the transport. */
public class ProtocolPartsTest {

  @Test
  public void serverUrlsAreHttpsOrLoopbackHttpWithoutUserinfo() throws Exception {
    ServerUrls.check("https://as.example/t", "c");
    ServerUrls.check("http://127.0.0.1:8080/x", "c");
    ServerUrls.check("http://[::1]:8080/x", "c");
    ServerUrls.check("http://localhost/x", "c");
    for (String bad :
        new String[] {
          "http://as.example/",
          "http://127.0.0.1.nip.io/",
          "https://user:pw@as.example/",
          "https://as.example/#f",
          "ftp://as.example/",
          "/relative",
          ""
        }) {
      try {
        ServerUrls.check(bad, "bad_url");
        fail("accepted " + bad);
      } catch (OAuthException e) {
        assertEquals("bad_url", e.code());
      }
    }
    assertTrue(ServerUrls.sameIssuer("https://as.example/", "https://as.example"));
    assertFalse(ServerUrls.sameIssuer("https://as.example/a", "https://as.example/b"));
    assertTrue(
        ServerUrls.isPrefix(URI.create("https://a.example/"), URI.create("https://a.example/x")));
    assertTrue(
        ServerUrls.isPrefix(
            URI.create("https://a.example:443/api"), URI.create("https://a.example/api")));
  }

  @Test
  public void challengesAreParsed() {
    String www =
        "DPoP error=\"use_dpop_nonce\", error_description=\"x\", algs=\"ES256\","
            + " resource_metadata=\"https://rs.example/.well-known/oauth-protected-resource/api\"";
    assertEquals("use_dpop_nonce", new Rejection(401, www, null, null).error());
    assertEquals(
        "https://rs.example/.well-known/oauth-protected-resource/api",
        Discovery.resourceMetadataUrl(www));
    assertNull(new Rejection(401, "DPoP algs=\"ES256\"", null, null).error());
    assertNull(Discovery.resourceMetadataUrl(null));
    // a parameter whose name merely ends in resource_metadata is not it
    assertNull(Discovery.resourceMetadataUrl("Bearer x_resource_metadata=\"https://evil/\""));
  }

  @Test
  public void theNewestNonceIsKeptPerServer() {
    DpopNonces n = new DpopNonces();
    URI a = URI.create("https://a.example/token");
    n.put(a, "one");
    n.put(URI.create("https://a.example:443/other"), "two");
    n.put(URI.create("https://b.example/token"), "bee");
    assertEquals("two", n.get(a));
    assertEquals("bee", n.get(URI.create("https://b.example/")));
    n.put(a, "bad nonce with spaces");
    n.put(a, "x".repeat(2000));
    assertEquals("two", n.get(a));
    assertNull(n.get(URI.create("https://c.example/")));
  }

  @Test
  public void transportNeverFollowsRedirectsAndCapsBodies() throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/redirect",
        ex -> {
          ex.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data");
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    server.createContext(
        "/big",
        ex -> {
          byte[] chunk = new byte[64 * 1024];
          ex.sendResponseHeaders(200, 0);
          try (var out = ex.getResponseBody()) {
            for (int i = 0; i < 64; i++) {
              out.write(chunk);
            }
          } catch (java.io.IOException e) {
            // the client hung up at the cap
          }
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      HttpTransport http = new HttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(3), 1 << 20);
      HTTPResponse r =
          http.send(new HTTPRequest(HTTPRequest.Method.GET, URI.create(base + "/redirect")));
      assertEquals(302, r.getStatusCode());
      try {
        http.send(new HTTPRequest(HTTPRequest.Method.GET, URI.create(base + "/big")));
        fail("a 4 MiB body passed a 1 MiB cap");
      } catch (OAuthException e) {
        assertEquals("oauth_response_too_large", e.code());
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  public void discoveryIsCachedFor300Seconds() throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger fetches = new AtomicInteger();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    server.createContext(
        "/.well-known/",
        ex -> {
          fetches.incrementAndGet();
          String path = ex.getRequestURI().getPath();
          String body =
              path.equals("/.well-known/oauth-protected-resource/api")
                  ? "{\"resource\":\""
                      + base
                      + "/api\",\"authorization_servers\":[\""
                      + base
                      + "\"]}"
                  : path.equals("/.well-known/oauth-authorization-server")
                      ? "{\"issuer\":\""
                          + base
                          + "\",\"authorization_endpoint\":\""
                          + base
                          + "/auth\",\"token_endpoint\":\""
                          + base
                          + "/token\",\"response_types_supported\":[\"code\"],"
                          + "\"code_challenge_methods_supported\":[\"S256\"]}"
                      : null;
          byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : bytes.length);
          if (body != null) {
            ex.getResponseBody().write(bytes);
          }
          ex.close();
        });
    server.start();
    try {
      OAuthFlowTest.MutableClock clock = new OAuthFlowTest.MutableClock(Instant.now());
      Discovery d =
          new Discovery(
              new HttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(3), 1 << 20), clock);
      URI api = URI.create(base + "/api");
      assertEquals(URI.create(base + "/token"), d.discover(api, null).tokenEndpoint());
      assertEquals(2, fetches.get());
      clock.advance(Duration.ofSeconds(299));
      d.discover(api, null);
      assertEquals(2, fetches.get());
      clock.advance(Duration.ofSeconds(2));
      d.discover(api, null);
      assertEquals(4, fetches.get());
    } finally {
      server.stop(0);
    }
  }

  @Test
  public void aRemoteResourceCannotAimDiscoveryAtLoopback() throws Exception {
    // a service on this machine that must never hear from Briefcase on a remote server's word
    HttpServer local =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger hits = new AtomicInteger();
    local.createContext(
        "/",
        ex -> {
          hits.incrementAndGet();
          ex.sendResponseHeaders(404, -1);
          ex.close();
        });
    local.start();
    try {
      String internal = "http://127.0.0.1:" + local.getAddress().getPort();
      Discovery d =
          new Discovery(
              new HttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(3), 1 << 20),
              java.time.Clock.systemUTC());
      // the remote resource's 401 names metadata on this machine's loopback
      String challenge = "Bearer resource_metadata=\"" + internal + "/admin/v1/secrets\"";
      try {
        d.discover(URI.create("https://rs.invalid/api"), challenge);
        fail("a remote resource's challenge led discovery to loopback");
      } catch (OAuthException e) {
        assertEquals("oauth_discovery_failed", e.code());
      }
      assertEquals("a request reached the loopback service", 0, hits.get());
    } finally {
      local.stop(0);
    }
    // the same rule for an issuer or an AS endpoint found in a remote document
    URI remote = URI.create("https://as.example");
    for (String url :
        new String[] {"http://127.0.0.1:8080/token", "http://localhost/revoke", "http://[::1]/"}) {
      try {
        ServerUrls.checkDiscovered(URI.create(url), remote, "oauth_metadata_invalid");
        fail(url + " accepted from a remote server");
      } catch (OAuthException e) {
        assertEquals("oauth_metadata_invalid", e.code());
      }
    }
    // a loopback server (a local AS, the test fixture) may name loopback endpoints
    URI localAs = URI.create("http://127.0.0.1:9000");
    assertEquals(
        URI.create("http://127.0.0.1:9000/token"),
        ServerUrls.checkDiscovered(
            URI.create("http://127.0.0.1:9000/token"), localAs, "oauth_metadata_invalid"));
    assertEquals(
        URI.create("https://as.example/token"),
        ServerUrls.checkDiscovered(
            URI.create("https://as.example/token"), remote, "oauth_metadata_invalid"));
  }
}
