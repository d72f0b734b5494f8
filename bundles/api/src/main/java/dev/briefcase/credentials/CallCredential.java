package dev.briefcase.credentials;

import java.net.URI;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The credential of one tool call, as the kernel hands it to the connector after step 8: bound to
 * the tool's {@link CredentialNeed} and manifest, valid until the call ends. The connector asks it
 * for the headers of each request it sends and reports a refusal; it never sees which secret or
 * token lies behind it, and cannot aim it at a host the manifest does not allow.
 */
@ProviderType
public interface CallCredential {
  /** What the tool declared it needs. */
  CredentialNeed need();

  /**
   * The headers for one request.
   *
   * @throws CredentialException {@code credential_target_refused} when {@code target} is not an
   *     http(s) URL on a host and path the tool's manifest allows; otherwise the strategy's codes
   */
  RequestCredential authorize(String method, URI target) throws CredentialException;

  /**
   * Reports that the resource refused the credential. Returns normally when one more try may
   * succeed (at most one retry per kind per call); the connector then asks {@link #authorize} again
   * and resends.
   *
   * @throws CredentialException the stable code of the refusal when no retry is left or none helps
   */
  void rejected(String method, URI target, Rejection rejection) throws CredentialException;
}
