package dev.briefcase.provider.gateway.internal;

import java.net.URI;
import java.util.Locale;

/**
 * The gateway's checked settings (from {@link ProviderGateway.Config}).
 *
 * @param baseUrl public base URL, no trailing slash: {@code iss}, {@code aud}, {@code htu} base
 * @param scope the tool scope minted and required by {@code /api/quote}
 * @param priceMicroUsd price of an unauthenticated mint; 0 = free mint, else 402
 * @param tokenAud the {@code aud} caveat put on minted tokens, or null
 * @param maxBytes the {@code max_bytes} caveat put on minted tokens, 0 = none
 * @param maxTrackedCapabilities the most live capability tokens whose calls are counted
 */
record Settings(
    String baseUrl,
    String scope,
    long ttlSeconds,
    int maxCalls,
    long priceMicroUsd,
    boolean tokenRequireNonce,
    boolean resourceRequireNonce,
    String tokenAud,
    long maxBytes,
    String adminSecretId,
    int maxTrackedCapabilities) {

  /** Checks and normalises a base URL: http(s), host, no user info, query, fragment or path. */
  static String baseUrl(String text) {
    URI uri;
    try {
      uri = new URI(text.trim());
    } catch (Exception e) {
      throw new IllegalArgumentException("invalid base.url");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!(scheme.equals("http") || scheme.equals("https"))
        || uri.getHost() == null
        || uri.getRawUserInfo() != null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || !(path.isEmpty() || path.equals("/"))) {
      throw new IllegalArgumentException("invalid base.url (http(s)://host[:port] only)");
    }
    String s = text.trim();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  String tokenUrl() {
    return baseUrl + "/token";
  }

  String quoteUrl() {
    return baseUrl + "/api/quote";
  }

  String issueUrl() {
    return baseUrl + "/vc/issue";
  }

  String statusUrl(String purpose) {
    return baseUrl + "/status/" + purpose;
  }
}
