package dev.briefcase.credentials;

import dev.briefcase.secrets.Sensitive;
import java.net.URI;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The provider registry and OAuth login behind the boundary (SPEC §8.1, §8.3, §9, §15). Refresh
 * tokens stay in the secret store, access tokens in memory; no method returns either, except {@link
 * #accessCredential}, which hands the header values for one request to the code that sends it.
 * Every login, refresh and revocation is receipted without values. Thread-safe.
 */
@ProviderType
public interface CredentialService {

  /** Every registered provider, by id. */
  List<ProviderStatus> list() throws CredentialException;

  /**
   * Registers a provider; its base URL is normalised (trailing {@code /} stripped).
   *
   * @param resourceUrl the protected resource discovery starts from, or null for the base URL
   * @param clientId a registered OAuth client id, or null to register one dynamically
   * @param scope the scope to ask for at login, or null
   * @throws CredentialException {@code invalid_provider_id}, {@code invalid_base_url}, {@code
   *     invalid_endpoint_url}, {@code provider_exists}
   */
  ProviderStatus add(String id, String baseUrl, String resourceUrl, String clientId, String scope)
      throws CredentialException;

  /**
   * Removes a provider and its credentials: revokes like {@link #revoke}, then deletes the entry
   * and the stored client id.
   *
   * @throws CredentialException {@code unknown_provider}
   */
  RevokeResult remove(String id) throws CredentialException;

  /**
   * What exists for one provider, never a value.
   *
   * @throws CredentialException {@code unknown_provider}
   */
  ProviderStatus status(String id) throws CredentialException;

  /**
   * Opens a login session: discovery, dynamic registration when needed, PKCE S256, {@code state}
   * and {@code resource}.
   *
   * @param redirectUri the callback (loopback http such as {@code
   *     http://127.0.0.1:<port>/callback}, or https)
   */
  LoginStart start(String id, URI redirectUri) throws CredentialException;

  /**
   * Like {@link #start(String, URI)}, asking for {@code scope} on top of the provider's configured
   * scope: the re-authorization after an {@code insufficient_scope} refusal. The grant that the
   * exchange stores replaces the old one.
   *
   * @param scope RFC 6749 scope tokens separated by spaces, or null for the provider's scope only
   * @throws CredentialException {@code invalid_scope} when {@code scope} is not scope tokens, or
   *     when this service cannot widen a login's scope (the default)
   */
  default LoginStart start(String id, URI redirectUri, String scope) throws CredentialException {
    if (scope == null) {
      return start(id, redirectUri);
    }
    throw new CredentialException("invalid_scope", "this credential service cannot widen a scope");
  }

  /**
   * Exchanges the callback's code for tokens; the session is used once.
   *
   * @param iss the callback's RFC 9207 {@code iss}, or null
   * @throws CredentialException {@code unknown_oauth_state}, {@code oauth_state_mismatch}, {@code
   *     oauth_state_expired}, {@code missing_refresh_token}, {@code oauth_exchange_failed}
   */
  LoginResult exchange(String id, String code, String state, String iss) throws CredentialException;

  /** Revokes at the AS (RFC 7009, best effort) and forgets locally in every case. */
  RevokeResult revoke(String id) throws CredentialException;

  /**
   * A fresh access credential for one request to {@code target}, which must lie under the
   * provider's discovered resource: the access token (refreshed when it expires within 30 s) and,
   * when DPoP-bound, a proof for {@code method} and {@code target}.
   *
   * @throws CredentialException {@code missing_refresh_token}, {@code oauth_refresh_failed}, {@code
   *     oauth_resource_mismatch}, …
   */
  AccessCredential accessCredential(String id, String method, URI target)
      throws CredentialException;

  /**
   * A fresh DPoP proof from the provider's current OAuth DPoP key for a request that carries
   * another token bound to that key: a capability minted with this provider's DPoP-bound access
   * token carries the same {@code cnf.jkt}, so every later request with it needs a proof by the
   * same key. Claims {@code jti, htm, htu, iat, ath = b64url(SHA-256(boundToken))} and {@code
   * nonce} when given. The key never leaves the key directory; the proof goes into one request.
   *
   * @param boundToken the token the proof is for (its hash becomes {@code ath}); never logged
   * @param nonce the resource's newest {@code DPoP-Nonce}, or null
   * @throws CredentialException {@code unknown_provider}, {@code missing_refresh_token} when no
   *     grant (so no DPoP key) exists, {@code dpop_unsupported} when this service cannot (the
   *     default)
   */
  default Sensitive<String> dpopProof(
      String id, String method, URI target, Sensitive<String> boundToken, String nonce)
      throws CredentialException {
    throw new CredentialException(
        "dpop_unsupported", "this credential service cannot sign a proof for another token");
  }
}
