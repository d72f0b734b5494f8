package dev.briefcase.credentials;

import dev.briefcase.secrets.Sensitive;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The headers that authorise exactly one outbound request (e.g. {@code Authorization} and {@code
 * DPoP}). Values are {@link Sensitive}: the connector puts them on the request and drops them.
 *
 * @param headers header name → value, to add to the request
 * @param expiresAt when the credential stops being usable, or null when it does not expire
 */
public record RequestCredential(Map<String, Sensitive<String>> headers, Instant expiresAt) {
  public RequestCredential {
    headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
  }

  @Override
  public String toString() {
    return "RequestCredential[" + headers.keySet() + ", " + expiresAt + "]";
  }
}
