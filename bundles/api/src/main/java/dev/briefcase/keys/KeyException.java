package dev.briefcase.keys;

import dev.briefcase.error.BriefcaseException;

/**
 * A key operation was refused or failed, with a stable code: one of the constants below, a shared
 * one ({@value #BACKEND_UNAVAILABLE}, {@value #INVALID_REQUEST}), or a signer's own code passed on.
 * The message never carries key material.
 */
public class KeyException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The role name is not identity, pop or dpop:&lt;server&gt;. */
  public static final String INVALID_ROLE = "invalid_role";

  /** The algorithm is not allowed for the role. */
  public static final String INVALID_ALGORITHM = "invalid_algorithm";

  /** The backend (signer id) is malformed. */
  public static final String INVALID_BACKEND = "invalid_backend";

  /** The role already has a key. */
  public static final String KEY_EXISTS = "key_exists";

  /** The role has no key. */
  public static final String KEY_NOT_FOUND = "key_not_found";

  /** Software keys are refused by the profile or the configuration. */
  public static final String SOFTWARE_KEYS_REFUSED = "software_keys_refused";

  /** No backend supports the algorithm. */
  public static final String UNSUPPORTED_ALGORITHM = "unsupported_algorithm";

  /** A signer failed without a more specific code. */
  public static final String SIGNER_ERROR = "signer_error";

  public KeyException(String code, String message) {
    super(code, message);
  }
}
