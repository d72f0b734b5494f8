package dev.briefcase.credentials;

/**
 * An open login session (SPEC §9 OAuth start): the URL the user opens and the {@code state} the
 * callback must carry back. The PKCE verifier stays inside the service.
 *
 * @param providerId the provider
 * @param authorizationUrl the authorization URL with PKCE S256, {@code state} and {@code resource}
 * @param state the login session's state
 */
public record LoginStart(String providerId, String authorizationUrl, String state) {}
