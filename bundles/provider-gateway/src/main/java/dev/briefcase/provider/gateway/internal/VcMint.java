package dev.briefcase.provider.gateway.internal;

/**
 * The {@code x-vc-jwt} mint path (SPEC §8.4/§8.5): checks a VC this provider issued (signature,
 * holder, validity, status) and says what it grants. Until the VC issuer exists no implementation
 * is wired and the mint answers {@code vc_not_supported}.
 */
interface VcMint {
  /** The scopes the VC grants, or a {@link ProviderError} (401 {@code invalid_vc} and the like). */
  String[] verify(String vcJwt);
}
