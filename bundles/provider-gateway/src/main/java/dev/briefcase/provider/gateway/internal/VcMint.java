package dev.briefcase.provider.gateway.internal;

/**
 * The {@code x-vc-jwt} mint path (SPEC §8.4/§8.5): checks a VC this provider issued (signature,
 * issuer, validity, status) and says what it grants and which key holds it. {@link VcIssuer} is the
 * implementation; without one the mint answers {@code vc_not_supported}.
 */
interface VcMint {
  /** What a VC grants: its scopes and the holder key's thumbprint ({@code cnf.jkt}). */
  record Grant(String[] scopes, String jkt) {}

  /** The grant, or a {@link ProviderError} (401 {@code invalid_vc}, {@code vc_revoked}, ...). */
  Grant verify(String vcJwt);
}
