package dev.briefcase.provider.oauth.internal;

/**
 * DPoP proof verification at the token endpoint (RFC 9449 §4.3): signature, {@code typ}, {@code
 * alg}, {@code htm}, {@code htu}, {@code iat} window, replay of {@code jkt:jti} and, when the AS
 * requires them, server nonces (§8). Implementations are thread-safe.
 */
interface ProofCheck {
  /**
   * The RFC 7638 thumbprint of a valid proof's key.
   *
   * @throws OAuthError {@code invalid_dpop_proof} or {@code use_dpop_nonce} (both 400)
   */
  String jkt(String proof, String htm, String htu) throws OAuthError;

  /** The nonce to send in {@code DPoP-Nonce}, or null when the AS does not use nonces. */
  String nonce();
}
