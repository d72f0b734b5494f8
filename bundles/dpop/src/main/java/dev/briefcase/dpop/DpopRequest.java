package dev.briefcase.dpop;

/**
 * What one HTTP request asks of its DPoP proof.
 *
 * @param proof the single {@code DPoP} header value, or null when the request has none
 * @param method the request's HTTP method, compared with {@code htm}
 * @param uri the request's public URI; query and fragment are ignored, scheme and host are compared
 *     case-insensitively, default ports dropped (compared with {@code htu})
 * @param accessToken the access token the proof must cover through {@code ath}, or null (the token
 *     endpoint, a mint)
 * @param expectedJkt the {@code cnf.jkt} the proof key must match, or null when not bound
 * @param requireNonce true when the proof must carry a current server nonce
 */
public record DpopRequest(
    String proof,
    String method,
    String uri,
    String accessToken,
    String expectedJkt,
    boolean requireNonce) {}
