package dev.briefcase.kernel.internal;

import static org.junit.Assert.assertEquals;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.CredentialNeed;
import dev.briefcase.credentials.CredentialStrategy;
import dev.briefcase.credentials.Rejection;
import dev.briefcase.credentials.RequestCredential;
import dev.briefcase.secrets.Sensitive;
import dev.briefcase.tools.ToolManifest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/**
 * Targets the egress layer refuses for the same manifest must also get no credential headers:
 * CallCredentialImpl is the only guard for a connector that does not send through egress.
 */
public class CallCredentialTargetAttackTest {
  private final AtomicInteger strategyCalls = new AtomicInteger();

  private final CredentialStrategy strategy =
      new CredentialStrategy() {
        @Override
        public void preflight(CredentialNeed need) {}

        @Override
        public RequestCredential authorize(CredentialNeed need, String method, URI target) {
          return new RequestCredential(Map.of("Authorization", Sensitive.of("Bearer x")), null);
        }

        @Override
        public Retry rejected(CredentialNeed need, String method, URI target, Rejection r) {
          strategyCalls.incrementAndGet();
          return Retry.REFRESHED;
        }
      };

  private CallCredentialImpl credential(List<String> hosts, List<String> prefixes) {
    return new CallCredentialImpl(
        new CredentialNeed("oauth", "demo"),
        strategy,
        new ToolManifest("t", "builtin", hosts, prefixes, List.of(), 1 << 20));
  }

  @Test
  public void targetsEgressRefusesGetNoHeadersEither() {
    CallCredentialImpl c = credential(List.of("*.example.com"), List.of("/v1"));
    List<String> accepted = new ArrayList<>();
    for (String bad :
        List.of(
            "https://a.b.example.com/v1/me", // egress: a wildcard is one label
            "https://api.example.com/v1admin/x", // egress: prefixes end at a segment boundary
            "https://api.example.com/v1/..;/admin", // egress: ..;param is a dot segment
            "https://api.example.com/v1/%2e%2e/admin", // egress: encoded dots refused
            "https://api.example.com/v1/%2fadmin",
            "https://api.example.com/v1/..\u0100/admin")) { // sent as /v1/..?/admin
      try {
        c.authorize("GET", URI.create(bad));
        accepted.add(bad);
      } catch (CredentialException e) {
        assertEquals(CredentialException.CREDENTIAL_TARGET_REFUSED, e.code());
      }
    }
    assertEquals("headers issued for " + accepted, List.of(), accepted);
  }

  @Test
  public void anEmptyPrefixListAllowsNoPathAsInEgress() {
    CallCredentialImpl c = credential(List.of("api.example.com"), List.of());
    try {
      c.authorize("GET", URI.create("https://api.example.com/admin/keys"));
      throw new AssertionError("headers issued although the manifest allows no path");
    } catch (CredentialException e) {
      assertEquals(CredentialException.CREDENTIAL_TARGET_REFUSED, e.code());
    }
  }

  @Test
  public void aSecondRefreshIsRefusedEvenWhenTheChallengeNamesNoError() {
    CallCredentialImpl c = credential(List.of("api.example.com"), List.of("/v1"));
    URI target = URI.create("https://api.example.com/v1/me");
    Rejection bare = new Rejection(401, "Bearer realm=\"api\"", null, null);
    c.rejected("GET", target, bare); // first refresh: allowed
    try {
      c.rejected("GET", target, bare);
    } catch (CredentialException e) {
      // expected: but the strategy must not have refreshed a second time first
    }
    assertEquals("strategy refresh count", 1, strategyCalls.get());
  }
}
