package dev.briefcase.keys;

import dev.briefcase.signer.KeyHandle;
import java.time.Instant;
import java.util.Objects;

/**
 * One role's key: the handle (never key material), its public JWK and RFC 7638 thumbprint.
 *
 * @param role {@code identity}, {@code pop} or {@code dpop:<server>}
 * @param handle the backend key handle; {@code handle.signerId()} is the backend
 * @param hardwareBacked whether the backend that created it keeps keys in hardware
 * @param publicJwk the public JWK as compact JSON
 * @param thumbprint RFC 7638 SHA-256 thumbprint, base64url
 * @param createdAt when the role was bound to this key
 */
public record KeyInfo(
    String role,
    KeyHandle handle,
    boolean hardwareBacked,
    String publicJwk,
    String thumbprint,
    Instant createdAt) {
  public KeyInfo {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(handle, "handle");
    Objects.requireNonNull(publicJwk, "publicJwk");
    Objects.requireNonNull(thumbprint, "thumbprint");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
