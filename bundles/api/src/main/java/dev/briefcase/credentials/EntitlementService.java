package dev.briefcase.credentials;

import java.time.Instant;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Verifiable-credential entitlements of a provider (SPEC §8.4): {@code POST
 * /v1/providers/{id}/vc/fetch} asks the provider to issue one for this Briefcase's holder DID and
 * keeps it behind the boundary, where the {@code capability} strategy presents it when minting.
 * Registered by the bundle that holds the VC (the provider connector); the admin API looks it up
 * for each request. No method returns or logs the credential, a token or a proof. Thread-safe.
 */
@ProviderType
public interface EntitlementService {
  /** The provider's issue failed; the message names the cause's code. */
  String VC_ISSUE_FAILED = "vc_issue_failed";

  /**
   * What a fetched VC says, never the VC itself.
   *
   * @param providerId the provider
   * @param issuer the issuer's did:key (pinned per provider at the first fetch)
   * @param expiresAt the end of the VC's validity
   * @param scope the scope the VC grants, or null
   */
  record Entitlement(String providerId, String issuer, Instant expiresAt, String scope) {}

  /**
   * Fetches a VC for the holder DID (the identity key's did:key) from {@code POST {base}/vc/issue},
   * verifies it and stores it, replacing any earlier one.
   *
   * @throws CredentialException {@code unknown_provider}, {@code missing_refresh_token}, {@code
   *     oauth_refresh_failed}, {@value #VC_ISSUE_FAILED} (the message names the cause's code)
   */
  Entitlement fetchVc(String providerId) throws CredentialException;
}
