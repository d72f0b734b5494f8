package dev.briefcase.dpop;

import java.time.Instant;

/**
 * A DPoP proof that passed every check.
 *
 * @param jkt RFC 7638 thumbprint (b64url SHA-256) of the proof's public key
 * @param jti the proof's unique id
 * @param htm the HTTP method it was made for
 * @param htu the normalised URI it was made for (no query, no fragment)
 * @param issuedAt its {@code iat}
 * @param alg {@code EdDSA} or {@code ES256}
 */
public record DpopProof(
    String jkt, String jti, String htm, String htu, Instant issuedAt, String alg) {}
