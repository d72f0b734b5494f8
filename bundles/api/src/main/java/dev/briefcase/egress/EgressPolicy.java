package dev.briefcase.egress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What one caller (a tool manifest, a connector) may reach. Immutable; build one with {@link
 * #of(Set, List)} and the {@code with*} methods.
 *
 * <p><b>Hosts</b> are compared lower-case, exactly. An entry {@code *.example.com} matches exactly
 * one more DNS label, like a TLS wildcard: {@code api.example.com}, but neither {@code example.com}
 * nor {@code a.b.example.com}. The suffix of a wildcard needs at least two labels ({@code *.com} is
 * refused), and a wildcard never matches an IP literal. A trailing dot ({@code example.com.}) is
 * not normalised away, so it does not match.
 *
 * <p><b>Paths</b>: each prefix starts with {@code /}. A path is allowed when it equals a prefix, or
 * continues it at a segment boundary ({@code /api} allows {@code /api} and {@code /api/quote} but
 * not {@code /apix}; {@code /} allows everything). An empty list allows nothing.
 *
 * <p><b>Addresses</b>: private, CGNAT, link-local and similar ranges are refused unless {@link
 * #allowedCidrs()} contains them (empty by default). Loopback is reachable only with {@link
 * #devLoopback()} and only when the URL's host is itself loopback ({@code localhost}, {@code
 * 127.x.x.x}, {@code [::1]}); a CIDR can never open loopback, multicast, unspecified or reserved
 * addresses.
 *
 * @param allowedHosts lower-case names or {@code *.suffix} wildcards
 * @param allowedPathPrefixes raw path prefixes, each starting with {@code /}
 * @param devLoopback dev mode: allow {@code http} and loopback addresses for loopback hosts
 * @param allowedCidrs explicitly allowed ranges such as {@code 10.1.0.0/16} or {@code fd00::/8}
 * @param maxResponseBytes the body cap in bytes, at least 1
 * @param connectTimeout per TCP connect
 * @param readTimeout per read while waiting for the upstream
 * @param totalTimeout the whole call, DNS to last byte
 * @param truncateOversized what a body larger than {@link #maxResponseBytes()} becomes: {@code
 *     false} (the default) refuses it with {@code egress_response_too_large}; {@code true} cuts it
 *     to the cap, stops reading and answers it with {@link EgressResponse#truncated()} set
 */
public record EgressPolicy(
    Set<String> allowedHosts,
    List<String> allowedPathPrefixes,
    boolean devLoopback,
    List<String> allowedCidrs,
    long maxResponseBytes,
    Duration connectTimeout,
    Duration readTimeout,
    Duration totalTimeout,
    boolean truncateOversized) {

  /** The default body cap: 1 MiB, the sandbox's default {@code max_output_bytes}. */
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 1L << 20;

  /** The default connect timeout. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** The default read timeout. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);

  /** The default overall timeout, the sandbox's wall clock. */
  public static final Duration DEFAULT_TOTAL_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException for a malformed host, wildcard or prefix, a non-positive cap
   *     or timeout
   */
  public EgressPolicy {
    Set<String> hosts = new LinkedHashSet<>();
    for (String h : Objects.requireNonNull(allowedHosts, "allowedHosts")) {
      String host = h.trim().toLowerCase(Locale.ROOT);
      if (host.isEmpty() || host.contains("/") || host.contains("@")) {
        throw new IllegalArgumentException("invalid allowed host");
      }
      if (host.contains("*")) {
        String suffix = host.startsWith("*.") ? host.substring(2) : "";
        if (suffix.isEmpty() || suffix.contains("*") || !suffix.contains(".")) {
          throw new IllegalArgumentException("invalid wildcard host: " + host);
        }
      }
      hosts.add(host);
    }
    allowedHosts = Set.copyOf(hosts);
    List<String> prefixes = new ArrayList<>();
    for (String p : Objects.requireNonNull(allowedPathPrefixes, "allowedPathPrefixes")) {
      if (p == null || !p.startsWith("/")) {
        throw new IllegalArgumentException("path prefix must start with /");
      }
      prefixes.add(p);
    }
    allowedPathPrefixes = List.copyOf(prefixes);
    allowedCidrs = List.copyOf(Objects.requireNonNull(allowedCidrs, "allowedCidrs"));
    if (maxResponseBytes < 1) {
      throw new IllegalArgumentException("maxResponseBytes must be positive");
    }
    requirePositive(connectTimeout, "connectTimeout");
    requirePositive(readTimeout, "readTimeout");
    requirePositive(totalTimeout, "totalTimeout");
  }

  /** A policy that refuses an oversized body ({@code truncateOversized} false). */
  public EgressPolicy(
      Set<String> allowedHosts,
      List<String> allowedPathPrefixes,
      boolean devLoopback,
      List<String> allowedCidrs,
      long maxResponseBytes,
      Duration connectTimeout,
      Duration readTimeout,
      Duration totalTimeout) {
    this(
        allowedHosts,
        allowedPathPrefixes,
        devLoopback,
        allowedCidrs,
        maxResponseBytes,
        connectTimeout,
        readTimeout,
        totalTimeout,
        false);
  }

  /** A policy for these hosts and path prefixes with every other setting at its safe default. */
  public static EgressPolicy of(Set<String> allowedHosts, List<String> allowedPathPrefixes) {
    return new EgressPolicy(
        allowedHosts,
        allowedPathPrefixes,
        false,
        List.of(),
        DEFAULT_MAX_RESPONSE_BYTES,
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_READ_TIMEOUT,
        DEFAULT_TOTAL_TIMEOUT,
        false);
  }

  /** This policy with dev-mode loopback switched on or off. */
  public EgressPolicy withDevLoopback(boolean on) {
    return new EgressPolicy(
        allowedHosts,
        allowedPathPrefixes,
        on,
        allowedCidrs,
        maxResponseBytes,
        connectTimeout,
        readTimeout,
        totalTimeout,
        truncateOversized);
  }

  /** This policy with these explicitly allowed CIDRs. */
  public EgressPolicy withAllowedCidrs(List<String> cidrs) {
    return new EgressPolicy(
        allowedHosts,
        allowedPathPrefixes,
        devLoopback,
        cidrs,
        maxResponseBytes,
        connectTimeout,
        readTimeout,
        totalTimeout,
        truncateOversized);
  }

  /** This policy with another body cap. */
  public EgressPolicy withMaxResponseBytes(long max) {
    return new EgressPolicy(
        allowedHosts,
        allowedPathPrefixes,
        devLoopback,
        allowedCidrs,
        max,
        connectTimeout,
        readTimeout,
        totalTimeout,
        truncateOversized);
  }

  /**
   * Whether the policy allows {@code host} (lower case; an IPv6 literal with or without brackets):
   * listed exactly, or — a name, not an address literal — covered by a {@code *.suffix} wildcard by
   * exactly one label, like a TLS wildcard. The one rule every caller uses: the egress client
   * before it sends, the kernel before it hands out a credential for the same target.
   */
  public boolean allowsHost(String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (allowedHosts.contains(h)) {
      return true;
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      return allowedHosts.contains(h.substring(1, h.length() - 1));
    }
    if (h.indexOf(':') >= 0 || h.matches("[0-9]+(\\.[0-9]+){3}")) {
      return false; // an address literal is only ever listed exactly, never under a wildcard
    }
    int dot = h.indexOf('.');
    return dot > 0 && allowedHosts.contains("*" + h.substring(dot));
  }

  /**
   * Whether the policy allows a raw (still percent-encoded) request path: printable ASCII only, no
   * encoded separator or dot ({@code %2f %5c %2e}), no NUL or backslash, no dot segment (also
   * before a {@code ;} parameter), and under an allowed prefix at a segment boundary. A policy
   * without prefixes allows no path.
   */
  public boolean allowsPath(String rawPath) {
    String path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '\\') {
        return false;
      }
    }
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains("%2e")
        || lower.contains("%00")) {
      return false;
    }
    for (String segment : path.split("/", -1)) {
      int semicolon = segment.indexOf(';');
      String name = semicolon >= 0 ? segment.substring(0, semicolon) : segment;
      if (name.equals(".") || name.equals("..")) {
        return false;
      }
    }
    for (String prefix : allowedPathPrefixes) {
      if (prefix.endsWith("/")
          ? path.startsWith(prefix) || path.equals(prefix.substring(0, prefix.length() - 1))
          : path.equals(prefix) || path.startsWith(prefix + "/")) {
        return true;
      }
    }
    return false;
  }

  /** This policy with other timeouts. */
  public EgressPolicy withTimeouts(Duration connect, Duration read, Duration total) {
    return new EgressPolicy(
        allowedHosts,
        allowedPathPrefixes,
        devLoopback,
        allowedCidrs,
        maxResponseBytes,
        connect,
        read,
        total,
        truncateOversized);
  }

  /** This policy with oversized bodies cut to the cap ({@code true}) or refused ({@code false}). */
  public EgressPolicy withTruncation(boolean on) {
    return new EgressPolicy(
        allowedHosts,
        allowedPathPrefixes,
        devLoopback,
        allowedCidrs,
        maxResponseBytes,
        connectTimeout,
        readTimeout,
        totalTimeout,
        on);
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }
}
