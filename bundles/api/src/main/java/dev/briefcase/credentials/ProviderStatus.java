package dev.briefcase.credentials;

import java.time.Instant;

/**
 * What exists for a provider, never a value (SPEC §8.1, §18 {@code has_oauth_refresh}).
 *
 * @param provider the registry entry
 * @param hasRefreshToken whether a refresh token is stored in the secret store
 * @param accessTokenExpiresAt when the access token held in memory expires, or null when none is
 *     held
 */
public record ProviderStatus(
    Provider provider, boolean hasRefreshToken, Instant accessTokenExpiresAt) {}
