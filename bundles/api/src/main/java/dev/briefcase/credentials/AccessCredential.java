package dev.briefcase.credentials;

import dev.briefcase.secrets.Sensitive;
import java.time.Instant;

/**
 * The credential for one outbound request: the {@code Authorization} header value ({@code DPoP
 * <token>} or {@code Bearer <token>}) and, for a DPoP-bound token, a fresh proof bound to the
 * request's method and URL (with {@code ath} and the server's newest nonce). Both are {@link
 * Sensitive}: they go into the request and nowhere else; {@link #toString()} shows neither.
 *
 * @param authorization the {@code Authorization} header value
 * @param dpopProof the {@code DPoP} header value, or null for a Bearer token
 * @param expiresAt when the access token expires
 */
public record AccessCredential(
    Sensitive<String> authorization, Sensitive<String> dpopProof, Instant expiresAt) {

  @Override
  public String toString() {
    return "AccessCredential[[REDACTED], dpop=" + (dpopProof != null) + ", " + expiresAt + "]";
  }
}
