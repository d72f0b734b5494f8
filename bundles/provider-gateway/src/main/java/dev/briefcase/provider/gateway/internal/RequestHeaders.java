package dev.briefcase.provider.gateway.internal;

import java.util.List;

/** The request headers a provider check reads (case-insensitive names). */
@FunctionalInterface
interface RequestHeaders {
  /** Every value of the header, in order; empty when absent. */
  List<String> all(String name);

  /** The only value, null when absent; two values or an oversized one: {@code invalid_request}. */
  default String single(String name, int maxChars) {
    List<String> values = all(name);
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new ProviderError(400, "invalid_request", "repeated header " + name);
    }
    String v = values.get(0);
    if (v.length() > maxChars) {
      throw new ProviderError(400, "header_too_large", "oversized header " + name);
    }
    return v;
  }
}
