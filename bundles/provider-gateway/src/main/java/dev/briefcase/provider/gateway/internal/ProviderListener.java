package dev.briefcase.provider.gateway.internal;

/** The provider's own Felix HTTP listener (features/provider.json, CONTRACT.md). */
final class ProviderListener {
  /** {@code org.apache.felix.http.name} of the provider listener. */
  static final String NAME = "briefcase-provider";

  /** The whiteboard target of every provider servlet and filter. */
  static final String TARGET = "(org.apache.felix.http.name=" + NAME + ")";

  /** The header on every provider response (SPEC §8.2). */
  static final String PROFILE_HEADER = "x-briefcase-compatibility-profile";

  static final String PROFILE = "aacp_v1";

  private ProviderListener() {}
}
