package dev.briefcase.connector.provider.internal;

import dev.briefcase.credentials.CredentialException;
import dev.briefcase.credentials.ProviderStatus;
import dev.briefcase.egress.EgressPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The provider URL rules (SPEC §8.1): the registered base URL (https, or http to a loopback
 * literal), the egress policy of a provider call, RFC 9449 {@code htu} and origins.
 */
final class ProviderUrls {
  private ProviderUrls() {}

  /** The registered base URL, re-checked (SPEC §8.1): https, or loopback http when allowed. */
  static URI baseUrl(ProviderStatus status) throws CredentialException {
    URI base;
    try {
      base = new URI(status.provider().baseUrl());
    } catch (URISyntaxException | NullPointerException e) {
      throw new CredentialException(CredentialException.INVALID_BASE_URL, "invalid base URL");
    }
    String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
    boolean ok =
        base.getHost() != null
            && base.getRawUserInfo() == null
            && base.getRawQuery() == null
            && base.getRawFragment() == null
            && (base.getRawPath() == null || base.getRawPath().isEmpty())
            && (scheme.equals("https") || (scheme.equals("http") && loopback(base.getHost())));
    if (!ok) {
      throw new CredentialException(CredentialException.INVALID_BASE_URL, "invalid base URL");
    }
    return base;
  }

  static EgressPolicy policy(URI base, String pathPrefix, boolean loopbackAllowed) {
    return EgressPolicy.of(Set.of(base.getHost().toLowerCase(Locale.ROOT)), List.of(pathPrefix))
        .withDevLoopback(loopbackAllowed && loopback(base.getHost()))
        .withMaxResponseBytes(64 * 1024);
  }

  private static final java.util.regex.Pattern LOOPBACK_V4 =
      java.util.regex.Pattern.compile(
          "127\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
              + "(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){2}");

  /**
   * A loopback literal only: a dotted quad of ASCII digits in 127.0.0.0/8, {@code localhost}, or
   * {@code [::1]}/{@code ::1}. A name such as {@code 127.attacker.example} is not loopback.
   */
  static boolean loopback(String host) {
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    return h.equals("localhost")
        || h.equals("[::1]")
        || h.equals("::1")
        || LOOPBACK_V4.matcher(h).matches();
  }

  /** RFC 9449 {@code htu}: the target without query and fragment. */
  static URI htu(URI target) throws CredentialException {
    try {
      if (target == null || target.getScheme() == null || target.getRawAuthority() == null) {
        throw new URISyntaxException(String.valueOf(target), "not absolute");
      }
      return new URI(target.getScheme() + "://" + target.getRawAuthority() + rawPath(target));
    } catch (URISyntaxException e) {
      throw new CredentialException(
          CredentialException.CREDENTIAL_TARGET_REFUSED, "the target is not an absolute URL");
    }
  }

  private static String rawPath(URI u) {
    return u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
  }

  static String origin(URI u) {
    int port = u.getPort();
    if (port < 0) {
      port = "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
    return u.getScheme().toLowerCase(Locale.ROOT)
        + "://"
        + u.getHost().toLowerCase(Locale.ROOT)
        + ":"
        + port;
  }

  static boolean sameOrigin(URI base, URI target) {
    return target.getRawUserInfo() == null && origin(base).equals(origin(target));
  }
}
