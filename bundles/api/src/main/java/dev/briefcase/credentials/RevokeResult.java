package dev.briefcase.credentials;

/**
 * The outcome of a revocation (SPEC §15): the remote RFC 7009 call is best effort; the refresh
 * token, DPoP key, access token and login sessions are forgotten locally in every case.
 *
 * @param providerId the provider
 * @param hadRefreshToken whether a refresh token was stored
 * @param remoteRevocationAttempted whether the AS's revocation endpoint was called
 * @param remoteRevocationSucceeded whether it answered 200
 */
public record RevokeResult(
    String providerId,
    boolean hadRefreshToken,
    boolean remoteRevocationAttempted,
    boolean remoteRevocationSucceeded) {}
