package dev.briefcase.egress.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocketFactory;
import org.junit.Test;

/** URL, host, path and address rules, with a fake resolver and a dialer that never dials. */
public class EgressRulesTest {
  private static final String NO_DIAL = "dial refused by test";

  private final AtomicInteger resolves = new AtomicInteger();
  private final List<InetAddress> dialled = new ArrayList<>();
  private List<InetAddress> answer = List.of(addr("203.0.113.10"));

  private final HttpEgressClient client =
      new HttpEgressClient(
          1 << 20,
          10_000,
          host -> {
            resolves.incrementAndGet();
            return answer;
          },
          (address, port, timeout) -> {
            dialled.add(address);
            throw new IOException(NO_DIAL);
          },
          (SSLSocketFactory) SSLSocketFactory.getDefault());

  private final EgressPolicy policy =
      EgressPolicy.of(
          Set.of("api.example.com", "*.svc.example.org", "127.0.0.1", "localhost", "[::1]"),
          List.of("/api/", "/v1"));

  static InetAddress addr(String literal) {
    return Target.address(Cidr.Literals.parse(literal));
  }

  private String refusal(String url, EgressPolicy p) {
    try {
      client.send(EgressRequest.get(url), p);
      fail("expected a refusal for " + url);
      return null;
    } catch (EgressException e) {
      assertFalse(e.getMessage().contains("\n"));
      return e.code();
    }
  }

  private void assertRefusedBeforeDns(String code, String url) {
    assertEquals(url, code, refusal(url, policy));
    assertEquals("resolver must not be called for " + url, 0, resolves.get());
    assertTrue(dialled.isEmpty());
  }

  @Test
  public void userinfoIsRefused() {
    assertRefusedBeforeDns(EgressException.USERINFO, "https://user:pw@api.example.com/api/x");
    assertRefusedBeforeDns(EgressException.USERINFO, "https://user@api.example.com/api/x");
  }

  @Test
  public void fragmentIsRefused() {
    assertRefusedBeforeDns(EgressException.FRAGMENT, "https://api.example.com/api/x#frag");
    assertRefusedBeforeDns(EgressException.FRAGMENT, "https://api.example.com/api/x#");
  }

  @Test
  public void httpToNonLoopbackIsRefusedEvenInDevMode() {
    assertEquals(
        EgressException.SCHEME_REFUSED,
        refusal("http://api.example.com/api/x", policy.withDevLoopback(true)));
    assertRefusedBeforeDns(EgressException.SCHEME_REFUSED, "ftp://api.example.com/api/x");
  }

  @Test
  public void httpToLoopbackNeedsDevMode() {
    assertRefusedBeforeDns(EgressException.SCHEME_REFUSED, "http://127.0.0.1:9/api/x");
    assertRefusedBeforeDns(EgressException.SCHEME_REFUSED, "http://localhost:9/api/x");
  }

  @Test
  public void malformedUrls() {
    assertRefusedBeforeDns(EgressException.URL_INVALID, "/api/x");
    assertRefusedBeforeDns(EgressException.URL_INVALID, "https://api.example.com/a b");
    assertRefusedBeforeDns(EgressException.URL_INVALID, "mailto:a@example.com");
    // non-ASCII would be written as '?' on the ISO-8859-1 request line: refused, path and query
    assertRefusedBeforeDns(EgressException.URL_INVALID, "https://api.example.com/v1/..\u0100/x");
    assertRefusedBeforeDns(EgressException.URL_INVALID, "https://api.example.com/api/\u00e9");
    assertRefusedBeforeDns(EgressException.URL_INVALID, "https://api.example.com/api/x?q=\u0100");
    assertRefusedBeforeDns(EgressException.URL_INVALID, "https://api.example.com/api/x?q=\u00a0");
  }

  @Test
  public void hostAllowList() {
    assertRefusedBeforeDns(EgressException.HOST_NOT_ALLOWED, "https://evil.example.com/api/x");
    assertRefusedBeforeDns(EgressException.HOST_NOT_ALLOWED, "https://api.example.com.evil/api/x");
    assertRefusedBeforeDns(EgressException.HOST_NOT_ALLOWED, "https://svc.example.org/api/x");
    assertRefusedBeforeDns(EgressException.HOST_NOT_ALLOWED, "https://a.b.svc.example.org/api/x");
    assertRefusedBeforeDns(EgressException.HOST_NOT_ALLOWED, "https://api.example.com./api/x");
    assertRefusedBeforeDns(EgressException.HOST_NOT_ALLOWED, "https://10.0.0.1/api/x");
  }

  @Test
  public void wildcardAndCaseMatch() {
    // allowed by host and path: gets as far as the dialer
    assertEquals(EgressException.CONNECT_FAILED, refusal("https://one.svc.example.org/v1", policy));
    assertEquals(EgressException.CONNECT_FAILED, refusal("https://API.Example.COM/api/q", policy));
    assertEquals(2, resolves.get());
  }

  @Test
  public void pathRules() {
    assertRefusedBeforeDns(
        EgressException.PATH_NOT_ALLOWED, "https://api.example.com/api/../admin");
    assertRefusedBeforeDns(
        EgressException.PATH_NOT_ALLOWED, "https://api.example.com/api/%2e%2e/admin");
    assertRefusedBeforeDns(
        EgressException.PATH_NOT_ALLOWED, "https://api.example.com/api/%2E./admin");
    assertRefusedBeforeDns(
        EgressException.PATH_NOT_ALLOWED, "https://api.example.com/api%2f..%2fadmin");
    assertRefusedBeforeDns(
        EgressException.PATH_NOT_ALLOWED, "https://api.example.com/api/%2Fadmin");
    assertRefusedBeforeDns(EgressException.PATH_NOT_ALLOWED, "https://api.example.com/api/./x");
    assertRefusedBeforeDns(EgressException.PATH_NOT_ALLOWED, "https://api.example.com/admin");
    assertRefusedBeforeDns(EgressException.PATH_NOT_ALLOWED, "https://api.example.com/v1x");
    assertRefusedBeforeDns(EgressException.PATH_NOT_ALLOWED, "https://api.example.com/");
    assertRefusedBeforeDns(EgressException.PATH_NOT_ALLOWED, "https://api.example.com");
  }

  @Test
  public void reservedAndMalformedRequestHeaders() {
    for (Map<String, String> headers :
        List.of(
            Map.of("Host", "evil.example"),
            Map.of("Content-Length", "5"),
            Map.of("Transfer-Encoding", "chunked"),
            Map.of("X-A", "v\r\nX-Injected: 1"),
            Map.of("Bad Name", "v"))) {
      try {
        client.send(
            new EgressRequest("GET", "https://api.example.com/api/x", headers, null), policy);
        fail("expected refusal for " + headers.keySet());
      } catch (EgressException e) {
        assertEquals(EgressException.REQUEST_INVALID, e.code());
        assertFalse("header value must not be echoed", e.getMessage().contains("Injected"));
      }
    }
    assertEquals(0, resolves.get());
  }

  @Test
  public void privateAnswerIsRefusedWithoutDialling() {
    for (String bad :
        List.of(
            "10.0.0.5",
            "169.254.169.254",
            "127.0.0.1",
            "100.64.1.1",
            "192.168.0.1",
            "fd00::1",
            "fe80::1",
            "::ffff:169.254.169.254")) {
      answer = List.of(addr(bad));
      assertEquals(
          bad, EgressException.ADDRESS_REFUSED, refusal("https://api.example.com/api/x", policy));
    }
    assertTrue("nothing may be dialled", dialled.isEmpty());
  }

  @Test
  public void oneBadAnswerAmongGoodOnesRefusesTheCall() {
    answer = List.of(addr("203.0.113.10"), addr("10.0.0.1"));
    assertEquals(EgressException.ADDRESS_REFUSED, refusal("https://api.example.com/api/x", policy));
    assertTrue(dialled.isEmpty());
  }

  @Test
  public void explicitCidrLiftsPrivateButNeverLoopback() {
    EgressPolicy lifted = policy.withAllowedCidrs(List.of("10.0.0.0/8", "127.0.0.0/8"));
    answer = List.of(addr("10.0.0.5"));
    assertEquals(EgressException.CONNECT_FAILED, refusal("https://api.example.com/api/x", lifted));
    assertEquals(List.of(addr("10.0.0.5")), dialled);
    answer = List.of(addr("127.0.0.1"));
    assertEquals(EgressException.ADDRESS_REFUSED, refusal("https://api.example.com/api/x", lifted));
    assertEquals(1, dialled.size());
  }

  @Test
  public void badCidrIsAPolicyError() {
    assertEquals(
        EgressException.POLICY_INVALID,
        refusal("https://api.example.com/api/x", policy.withAllowedCidrs(List.of("10.0.0.0"))));
  }

  @Test
  public void devModeLoopbackOnlyForLoopbackHosts() {
    EgressPolicy dev = policy.withDevLoopback(true);
    // a public name that resolves to loopback stays refused in dev mode
    answer = List.of(addr("127.0.0.1"));
    assertEquals(EgressException.ADDRESS_REFUSED, refusal("https://api.example.com/api/x", dev));
    assertTrue(dialled.isEmpty());
    // localhost and loopback literals are allowed through to the dialer
    assertEquals(EgressException.CONNECT_FAILED, refusal("http://localhost:9/api/x", dev));
    assertEquals(EgressException.CONNECT_FAILED, refusal("http://127.0.0.1:9/api/x", dev));
    assertEquals(EgressException.CONNECT_FAILED, refusal("http://[::1]:9/api/x", dev));
    assertEquals(3, dialled.size());
    // literals are not looked up
    assertEquals(2, resolves.get());
  }

  @Test
  public void dnsFailure() {
    HttpEgressClient failing =
        new HttpEgressClient(
            1 << 20,
            10_000,
            host -> {
              throw new java.net.UnknownHostException(host);
            },
            (a, p, t) -> {
              throw new IOException(NO_DIAL);
            },
            (SSLSocketFactory) SSLSocketFactory.getDefault());
    try {
      failing.send(EgressRequest.get("https://api.example.com/api/x"), policy);
      fail();
    } catch (EgressException e) {
      assertEquals(EgressException.DNS_FAILED, e.code());
    }
  }

  @Test
  public void stoppedClientFailsFast() {
    client.deactivate();
    assertEquals(EgressException.UNAVAILABLE, refusal("https://api.example.com/api/x", policy));
  }

  @Test
  public void policyValidation() {
    for (String bad : List.of("*.com", "*", "a.*.example.com", "**.example.com")) {
      try {
        EgressPolicy.of(Set.of(bad), List.of("/"));
        fail(bad);
      } catch (IllegalArgumentException expected) {
        // refused
      }
    }
    try {
      EgressPolicy.of(Set.of("x.example"), List.of("api"));
      fail();
    } catch (IllegalArgumentException expected) {
      // refused
    }
    assertTrue(
        EgressPolicy.of(Set.of("API.Example.com"), List.of("/"))
            .allowedHosts()
            .contains("api.example.com"));
  }
}
