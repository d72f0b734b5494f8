package dev.briefcase.credentials;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One kind of the unified revocation {@code POST /v1/revocations/{kind}/{id}} (SPEC §15): a plugin
 * that drops the credentials of that kind it holds for an id. Registered as a service with the
 * property {@value #KIND} naming the kind ({@code capability}, {@code vc}, …); the admin API looks
 * the revoker of a kind up for each request, so a kind arrives and leaves with its bundle. An
 * unknown kind stays {@code unknown_revocation_kind}. Thread-safe; no method returns or logs a
 * credential value.
 */
@ConsumerType
public interface CredentialRevoker {
  /** The service property naming the revocation kind ({@code String}, {@code [a-z0-9_]{1,32}}). */
  String KIND = "revocation.kind";

  /**
   * Drops every credential of this kind held for {@code id}; the next call that needs one obtains a
   * fresh one (or fails when none can be obtained). Revoking what is not held is not an error.
   *
   * @param id the id the kind works on (a provider id for {@code capability})
   * @return whether a credential was held and is now dropped
   * @throws CredentialException {@code unknown_provider} (or the kind's own code) when the id names
   *     nothing; nothing changes then
   */
  boolean revoke(String id) throws CredentialException;
}
