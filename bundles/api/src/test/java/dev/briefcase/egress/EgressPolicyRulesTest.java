package dev.briefcase.egress;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.Test;

/**
 * The host and path rules the egress client and the kernel's call credential share: a target one of
 * them refuses, the other must refuse too.
 */
public class EgressPolicyRulesTest {
  private final EgressPolicy policy =
      EgressPolicy.of(
          Set.of("api.example.com", "*.svc.example", "::1", "10.0.0.1"), List.of("/v1"));

  @Test
  public void hostsAreListedOrOneLabelUnderAWildcard() {
    assertTrue(policy.allowsHost("api.example.com"));
    assertTrue(policy.allowsHost("API.Example.com"));
    assertTrue(policy.allowsHost("a.svc.example"));
    assertFalse("a wildcard covers one label", policy.allowsHost("a.b.svc.example"));
    assertFalse(policy.allowsHost("svc.example"));
    assertTrue(policy.allowsHost("[::1]"));
    assertTrue(policy.allowsHost("10.0.0.1"));
    assertFalse(policy.allowsHost("evil.com"));
    assertFalse(policy.allowsHost(""));
    assertFalse(policy.allowsHost(null));
    EgressPolicy wild = EgressPolicy.of(Set.of("*.0.0.1"), List.of("/"));
    assertFalse("an address is never under a wildcard", wild.allowsHost("10.0.0.1"));
  }

  @Test
  public void pathsStayUnderAPrefixWithoutTricks() {
    assertTrue(policy.allowsPath("/v1"));
    assertTrue(policy.allowsPath("/v1/me"));
    for (String bad :
        List.of(
            "/v1admin/x",
            "/v1/../admin",
            "/v1/..;/admin",
            "/v1/%2e%2e/admin",
            "/v1/%2Fadmin",
            "/v1/%5cadmin",
            "/v1/%00",
            "/v1/a\\b",
            "/v1/..\u0100/admin",
            "/v1/a b",
            "/v2/me",
            "/")) {
      assertFalse(bad, policy.allowsPath(bad));
    }
    assertFalse(
        "no prefix allows no path",
        EgressPolicy.of(Set.of("a.example"), List.of()).allowsPath("/x"));
  }
}
