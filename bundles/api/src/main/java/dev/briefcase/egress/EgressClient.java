package dev.briefcase.egress;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Makes one outbound HTTP request under an {@link EgressPolicy}. Every check happens before any
 * byte leaves the machine, and every refusal is an {@link EgressException} with a stable code:
 *
 * <ul>
 *   <li>the URL is parsed strictly: no userinfo, no fragment, {@code https} only ({@code http} only
 *       to a loopback host when {@link EgressPolicy#devLoopback()} is on);
 *   <li>the host must be allowed by {@link EgressPolicy#allowedHosts()} and the path must fall
 *       under one of {@link EgressPolicy#allowedPathPrefixes()} (no dot segments, no encoded
 *       slashes or dots);
 *   <li>the name is resolved exactly once; every returned address must be outside the refused
 *       ranges (private, loopback, link-local, CGNAT, multicast, reserved and their IPv4-mapped,
 *       NAT64 and 6to4 forms) unless the policy allows it; the connection goes to a validated
 *       address, never to the name again, and TLS verifies the certificate against the name;
 *   <li>a 3xx answer is refused and its {@code Location} is never contacted;
 *   <li>the body is capped at {@link EgressPolicy#maxResponseBytes()}; connect, read and overall
 *       timeouts apply.
 * </ul>
 *
 * <p>Non-3xx statuses, including 4xx and 5xx, are returned as responses. Thread-safe; one request
 * per call, one connection per request ({@code Connection: close}).
 */
@ProviderType
public interface EgressClient {

  /**
   * Sends {@code request} if {@code policy} allows it.
   *
   * @return the response, body read fully and within the cap
   * @throws EgressException refused or failed; see {@link EgressException} for the codes
   */
  EgressResponse send(EgressRequest request, EgressPolicy policy) throws EgressException;
}
