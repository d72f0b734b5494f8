package dev.briefcase.credentials;

import dev.briefcase.error.BriefcaseException;

/**
 * A refused or failed credential step with a stable code. The message is one line and never carries
 * a token, code, verifier, proof or response body.
 */
public class CredentialException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The provider id is not {@code [A-Za-z0-9._-]{1,58}}. */
  public static final String INVALID_PROVIDER_ID = "invalid_provider_id";

  /** The base URL breaks SPEC §8.1 (scheme, userinfo, query, fragment, path). */
  public static final String INVALID_BASE_URL = "invalid_base_url";

  /** The resource URL is not an https or loopback http URL under the base URL. */
  public static final String INVALID_ENDPOINT_URL = "invalid_endpoint_url";

  /** The redirect URI is not loopback http or https. */
  public static final String INVALID_REDIRECT_URI = "invalid_redirect_uri";

  /** No provider has this id. */
  public static final String UNKNOWN_PROVIDER = "unknown_provider";

  /** A provider with this id is already registered. */
  public static final String PROVIDER_EXISTS = "provider_exists";

  /** No login session has this state (never opened, already used, or forgotten). */
  public static final String UNKNOWN_OAUTH_STATE = "unknown_oauth_state";

  /** The callback's state belongs to another login or provider. */
  public static final String OAUTH_STATE_MISMATCH = "oauth_state_mismatch";

  /** The login session expired (10 minutes). */
  public static final String OAUTH_STATE_EXPIRED = "oauth_state_expired";

  /** No refresh token is stored, or the AS issued none. */
  public static final String MISSING_REFRESH_TOKEN = "missing_refresh_token";

  /** The AS refused the code exchange. */
  public static final String OAUTH_EXCHANGE_FAILED = "oauth_exchange_failed";

  /** The AS refused the refresh. */
  public static final String OAUTH_REFRESH_FAILED = "oauth_refresh_failed";

  /** The AS or resource could not be reached within the deadline. */
  public static final String OAUTH_UNAVAILABLE = "oauth_unavailable";

  /** Discovery found no usable metadata (issuer mismatch, no S256, resource not covering). */
  public static final String OAUTH_DISCOVERY_FAILED = "oauth_discovery_failed";

  /** Too many login sessions are open. */
  public static final String TOO_MANY_LOGINS = "too_many_logins";

  /** The credential was revoked (by an operator or at the AS); log in again to use it. */
  public static final String CREDENTIAL_REVOKED = "credential_revoked";

  /** The resource refused the access token after one refresh. */
  public static final String CREDENTIAL_EXPIRED = "credential_expired";

  /** The resource refused the credential for a reason no retry can fix. */
  public static final String CREDENTIAL_REJECTED = "credential_rejected";

  /** The request target lies outside what the tool's manifest or the provider's resource allows. */
  public static final String CREDENTIAL_TARGET_REFUSED = "credential_target_refused";

  /** The tool names a credential strategy or option that is not known. */
  public static final String INVALID_CREDENTIAL_NEED = "invalid_credential_need";

  /** The resource asks for a scope the stored grant lacks; a human must log in again. */
  public static final String INSUFFICIENT_SCOPE = "insufficient_scope";

  /** The resource refused the DPoP nonce it had just issued. */
  public static final String DPOP_NONCE_REJECTED = "dpop_nonce_rejected";

  /** The resource refused the DPoP proof. */
  public static final String INVALID_DPOP = "invalid_dpop";

  /** The resource saw this DPoP proof before. */
  public static final String REPLAY_DETECTED = "replay_detected";

  /** No secret is stored under the id a tool names for its API key or basic credentials. */
  public static final String MISSING_SECRET = "missing_secret";

  /**
   * The stored secret cannot be sent as a header (not one line of UTF-8 text, not user:password).
   */
  public static final String INVALID_SECRET_VALUE = "invalid_secret_value";

  /**
   * @param code a constant of this class or another stable code of the OAuth family
   * @param message one line, no secrets; line breaks are replaced by spaces
   */
  public CredentialException(String code, String message) {
    super(code, message == null ? "" : message.replaceAll("[\\r\\n]+", " "));
  }
}
