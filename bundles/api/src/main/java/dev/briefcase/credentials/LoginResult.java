package dev.briefcase.credentials;

import java.time.Instant;

/**
 * A completed login: a refresh token is stored, an access token is held in memory.
 *
 * @param providerId the provider
 * @param accessTokenExpiresAt when the access token expires
 * @param dpopBound whether the tokens are DPoP-bound (RFC 9449)
 */
public record LoginResult(String providerId, Instant accessTokenExpiresAt, boolean dpopBound) {}
