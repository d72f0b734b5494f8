package dev.briefcase.credentials;

import java.net.URI;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A credential strategy plugin (step 8 of the tool call): it turns a {@link CredentialNeed} into
 * the headers of one outbound request. Registered as a service with the property {@value #KIND}
 * naming the strategy ({@code oauth}, {@code api_key}, …). The kernel looks one up for each call
 * and holds it until the call ends, so an update of the plugin's bundle lets running calls finish
 * on the old instance and hands the next call to the new one.
 *
 * <p>Values never leave as anything but {@link RequestCredential} headers: no method returns or
 * logs a token, secret or proof otherwise, and every message of a {@link CredentialException} is
 * free of them.
 */
@ConsumerType
public interface CredentialStrategy {
  /** The service property naming the strategy kind ({@code String}). */
  String KIND = "credential.strategy";

  /** What a retry after a {@link Rejection} will do differently. */
  enum Retry {
    /** The resource issued a new DPoP nonce; the next proof carries it. */
    NONCE,
    /** The access token was refreshed. */
    REFRESHED
  }

  /**
   * Step 8 pre-flight, before the tool runs: whether a credential exists for {@code need}, so a
   * call that cannot succeed makes no upstream request.
   *
   * @throws CredentialException {@code unknown_provider}, {@code missing_refresh_token}, {@code
   *     credential_revoked}, {@code missing_secret}, {@code invalid_credential_need}, {@code
   *     secret_store_unavailable}, …
   */
  void preflight(CredentialNeed need) throws CredentialException;

  /**
   * The headers for one request of {@code method} to {@code target} (a DPoP proof is bound to
   * both).
   *
   * @throws CredentialException the stable code of what is missing or failed
   */
  RequestCredential authorize(CredentialNeed need, String method, URI target)
      throws CredentialException;

  /**
   * The resource refused the credential of a request: whether a second try can succeed ({@link
   * Retry#NONCE} after a new {@code DPoP-Nonce}, {@link Retry#REFRESHED} after {@code
   * invalid_token}), else the stable code of the refusal. The caller (the kernel) allows each kind
   * of retry once per call.
   *
   * @throws CredentialException {@code credential_expired}, {@code credential_rejected}, {@code
   *     insufficient_scope}, {@code invalid_dpop}, {@code replay_detected}, {@code
   *     dpop_nonce_rejected}, {@code oauth_refresh_failed}, …
   */
  Retry rejected(CredentialNeed need, String method, URI target, Rejection rejection)
      throws CredentialException;
}
