package dev.briefcase.connector.provider.internal;

import dev.briefcase.egress.EgressClient;
import dev.briefcase.egress.EgressException;
import dev.briefcase.egress.EgressPolicy;
import dev.briefcase.egress.EgressRequest;
import dev.briefcase.egress.EgressResponse;
import dev.briefcase.vc.StatusEntry;
import dev.briefcase.vc.StatusListCredential;
import dev.briefcase.vc.StatusOutcome;
import dev.briefcase.vc.VcException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SPEC §8.4 status check of a VC: each {@code BitstringStatusListEntry} is read from its status
 * list credential, fetched through egress (https, or loopback http outside {@code ga}; at most
 * {@link StatusListCredential#MAX_CHARS}; the hosts the caller allows only), verified against the
 * VC's issuer and decoded with the 16 MiB cap of {@code dev.briefcase.vc}. Lists are cached per
 * issuer and URL for {@code ttl}, else {@code max-age}, else 300 s, at most 24 h, then revalidated
 * with {@code If-None-Match}. Thread-safe; nothing here is secret (lists are public).
 */
final class StatusChecker {
  static final Duration DEFAULT_TTL = Duration.ofSeconds(300);
  static final Duration MAX_TTL = Duration.ofHours(24);

  /** A list that cannot be read or trusted. */
  static final String STATUS_LIST_UNAVAILABLE = "status_list_unavailable";

  /** The list's host is not one the strategy may fetch from. */
  static final String STATUS_HOST_NOT_ALLOWED = "status_host_not_allowed";

  private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age\\s*=\\s*(\\d{1,9})");
  private static final Pattern ETAG = Pattern.compile("(?:W/)?\"[\\x21\\x23-\\x7e]{0,200}\"");
  private static final int MAX_CACHED_LISTS = 256;

  /**
   * The outcome of one entry, as its {@code vc_status_check} receipt names it.
   *
   * @param value the entry's value, or null when the list was not read
   * @param code why the outcome is UNKNOWN, or null
   */
  record Check(StatusEntry entry, StatusOutcome outcome, Long value, String code) {}

  /** One cached list: verified once, used until {@code freshUntil}. */
  private record Cached(
      StatusListCredential.Verified list, String etag, Instant freshUntil, Duration ttl) {}

  private final EgressClient egress;
  private final Clock clock;
  private final boolean loopbackAllowed;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  StatusChecker(EgressClient egress, Clock clock, boolean loopbackAllowed) {
    this.egress = egress;
    this.clock = clock;
    this.loopbackAllowed = loopbackAllowed;
  }

  /**
   * Checks every entry of a verified VC.
   *
   * @param issuerDid the VC's issuer: every list must be signed by it
   * @param allowedHosts the hosts lists may come from (lower case)
   */
  List<Check> check(List<StatusEntry> entries, String issuerDid, Set<String> allowedHosts) {
    return entries.stream().map(e -> checkOne(e, issuerDid, allowedHosts)).toList();
  }

  /** The combined outcome: REVOKED over INVALID over UNKNOWN over VALID. */
  static StatusOutcome overall(List<Check> checks) {
    StatusOutcome worst = StatusOutcome.VALID;
    for (Check c : checks) {
      worst = rank(c.outcome()) > rank(worst) ? c.outcome() : worst;
    }
    return worst;
  }

  private static int rank(StatusOutcome o) {
    return switch (o) {
      case VALID -> 0;
      case UNKNOWN -> 1;
      case INVALID -> 2;
      case REVOKED -> 3;
    };
  }

  /** Forgets every cached list (a revoke; tests). */
  void clear() {
    cache.clear();
  }

  private Check checkOne(StatusEntry entry, String issuerDid, Set<String> allowedHosts) {
    StatusListCredential.Verified list;
    try {
      list = list(entry.statusListCredential(), issuerDid, allowedHosts);
    } catch (VcException e) {
      return new Check(entry, StatusOutcome.UNKNOWN, null, e.code());
    }
    StatusOutcome outcome = StatusOutcome.of(entry, list);
    Long value = null;
    String code = null;
    if (!entry.statusPurpose().equals(list.statusPurpose())) {
      code = "status_purpose_mismatch";
    } else {
      try {
        value = list.list().get(entry.statusListIndex(), entry.statusSize());
      } catch (VcException e) {
        code = e.code();
      }
    }
    return new Check(entry, outcome, value, code);
  }

  private StatusListCredential.Verified list(String url, String issuerDid, Set<String> hosts)
      throws VcException {
    URI uri = checkUrl(url, hosts);
    String key = issuerDid + " " + uri;
    Instant now = clock.instant();
    Cached cached = cache.get(key);
    if (cached != null && now.isBefore(cached.freshUntil()) && usable(cached.list(), now)) {
      return cached.list();
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Accept", "application/vc+jwt, application/jwt");
    if (cached != null && cached.etag() != null) {
      headers.put("If-None-Match", cached.etag());
    }
    EgressResponse res;
    try {
      res = egress.send(new EgressRequest("GET", uri.toString(), headers, null), policy(uri));
    } catch (EgressException e) {
      throw new VcException(
          e.code().equals(EgressException.RESPONSE_TOO_LARGE)
              ? "status_list_too_large"
              : STATUS_LIST_UNAVAILABLE,
          "the status list could not be fetched");
    }
    if (res.status() == 304 && cached != null && usable(cached.list(), now)) {
      Duration ttl = ttl(cached.list(), res, cached.ttl());
      cache.put(key, new Cached(cached.list(), etag(res, cached.etag()), now.plus(ttl), ttl));
      return cached.list();
    }
    if (res.status() != 200) {
      cache.remove(key);
      throw new VcException(STATUS_LIST_UNAVAILABLE, "the status list answered " + res.status());
    }
    String jwt = new String(res.body(), StandardCharsets.US_ASCII).strip();
    StatusListCredential.Verified list;
    try {
      list = StatusListCredential.verify(jwt, issuerDid, now);
    } catch (VcException e) {
      cache.remove(key); // a list that stops verifying is never served from the cache
      throw e;
    }
    Duration ttl = ttl(list, res, null);
    if (cache.size() >= MAX_CACHED_LISTS) {
      cache.clear();
    }
    cache.put(key, new Cached(list, etag(res, null), now.plus(ttl), ttl));
    return list;
  }

  /** The list's own window still holds (it was verified against it when fetched). */
  private static boolean usable(StatusListCredential.Verified list, Instant now) {
    return list.validUntil() == null || now.isBefore(list.validUntil());
  }

  /** {@code ttl} (ms), else {@code max-age}, else the earlier TTL or 300 s; at most 24 h. */
  static Duration ttl(StatusListCredential.Verified list, EgressResponse res, Duration earlier) {
    Duration ttl = null;
    if (list.ttlMillis() != null && list.ttlMillis() > 0) {
      ttl = Duration.ofMillis(list.ttlMillis());
    } else {
      String cc = res.header("cache-control");
      Matcher m = cc == null ? null : MAX_AGE.matcher(cc.toLowerCase(Locale.ROOT));
      if (m != null && m.find()) {
        ttl = Duration.ofSeconds(Long.parseLong(m.group(1)));
      }
    }
    if (ttl == null) {
      ttl = earlier != null ? earlier : DEFAULT_TTL;
    }
    return ttl.compareTo(MAX_TTL) > 0 ? MAX_TTL : ttl;
  }

  private static String etag(EgressResponse res, String earlier) {
    String etag = res.header("etag");
    if (etag != null && ETAG.matcher(etag.strip()).matches()) {
      return etag.strip();
    }
    return earlier;
  }

  /** https, or http to a loopback host when allowed; a host the caller allows; no userinfo. */
  private URI checkUrl(String url, Set<String> hosts) throws VcException {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new VcException("invalid_credential_status", "the status list URL is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    boolean ok =
        !host.isEmpty()
            && uri.getRawUserInfo() == null
            && uri.getRawFragment() == null
            && (scheme.equals("https")
                || (scheme.equals("http") && loopbackAllowed && ProviderUrls.loopback(host)));
    if (!ok) {
      throw new VcException("invalid_credential_status", "the status list URL is refused");
    }
    if (!hosts.contains(host)) {
      throw new VcException(STATUS_HOST_NOT_ALLOWED, "the status list is on another host");
    }
    return uri;
  }

  private EgressPolicy policy(URI uri) {
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return EgressPolicy.of(Set.of(host), List.of(path))
        .withDevLoopback(loopbackAllowed && ProviderUrls.loopback(host))
        .withMaxResponseBytes(StatusListCredential.MAX_CHARS);
  }
}
