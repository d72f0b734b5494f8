package dev.briefcase.credentials;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a tool needs from step 8 of the pipeline (credential strategy): which {@link
 * CredentialStrategy} and what it works on. The need is part of the tool's spec, set by the
 * operator's tool description; the agent cannot change it.
 *
 * @param strategy the strategy kind, e.g. {@value #OAUTH}, {@value #API_KEY}, {@value #BASIC}
 * @param reference what the strategy resolves: a provider id for {@value #OAUTH}, a secret id for
 *     {@value #API_KEY} and {@value #BASIC}, a provider id for {@value #CAPABILITY}
 * @param options strategy options (e.g. {@code header} and {@code prefix} of an API key), never a
 *     secret
 */
public record CredentialNeed(String strategy, String reference, Map<String, String> options) {
  /** An OAuth access token of a registered provider, DPoP-bound when the AS supports it. */
  public static final String OAUTH = "oauth";

  /** An API key from the secret store, sent in a header. */
  public static final String API_KEY = "api_key";

  /** {@code user:password} from the secret store, sent as HTTP basic credentials. */
  public static final String BASIC = "basic";

  /**
   * A capability token minted by a registered provider (SPEC §8.2), DPoP-bound, cached per provider
   * behind the boundary; the reference is the provider id.
   */
  public static final String CAPABILITY = "capability";

  /**
   * Checks and copies.
   *
   * @throws IllegalArgumentException when the strategy is not {@code [a-z0-9_]{1,32}}, the
   *     reference not {@code [A-Za-z0-9._-]{1,64}}, or an option key not {@code [a-z_]{1,32}} or
   *     its value not at most 128 printable ASCII characters
   */
  public CredentialNeed {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(reference, "reference");
    if (!strategy.matches("[a-z0-9_]{1,32}")) {
      throw new IllegalArgumentException("invalid credential strategy");
    }
    if (!reference.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("invalid credential reference");
    }
    Map<String, String> copy = new TreeMap<>();
    if (options != null) {
      options.forEach(
          (k, v) -> {
            if (k == null
                || !k.matches("[a-z_]{1,32}")
                || v == null
                || !v.matches("[ -~]{0,128}")) {
              throw new IllegalArgumentException("invalid credential option");
            }
            copy.put(k, v);
          });
    }
    options = Map.copyOf(copy);
  }

  public CredentialNeed(String strategy, String reference) {
    this(strategy, reference, Map.of());
  }

  /** {@code strategy:reference}, as receipts and logs name it. */
  @Override
  public String toString() {
    return strategy + ":" + reference;
  }
}
