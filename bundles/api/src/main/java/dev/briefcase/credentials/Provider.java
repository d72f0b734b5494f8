package dev.briefcase.credentials;

/**
 * A registered provider (SPEC §8.1): its id, its {@code base_url} (https or loopback http, no
 * userinfo, query, fragment or path, no trailing {@code /}), the protected resource URL discovery
 * starts from (under {@code base_url}; equal to it when none is given), an optional OAuth client id
 * (else one is registered dynamically, RFC 7591) and an optional scope. None of it is secret.
 *
 * @param id {@code [A-Za-z0-9._-]{1,58}}
 * @param baseUrl the normalised base URL
 * @param resourceUrl the protected resource URL (path allowed, no query or fragment)
 * @param clientId the configured client id, or null
 * @param scope the scope asked for at login, or null
 */
public record Provider(
    String id, String baseUrl, String resourceUrl, String clientId, String scope) {}
