package dev.briefcase.signer;

import dev.briefcase.error.BriefcaseException;

/**
 * A signer refused or failed, with a stable code: one of the constants below or a shared one
 * ({@value #BACKEND_UNAVAILABLE} for a stopped signer or an unreachable secret store, {@value
 * #INVALID_REQUEST}). The message never carries key material or a PIN.
 */
public class SignerException extends BriefcaseException {
  private static final long serialVersionUID = 1L;

  /** The handle names no key of this signer. */
  public static final String UNKNOWN_HANDLE = "unknown_handle";

  /** The signer cannot make or use keys of the algorithm. */
  public static final String UNSUPPORTED_ALGORITHM = "unsupported_algorithm";

  /** The signer's configuration is not usable. */
  public static final String INVALID_CONFIG = "invalid_config";

  /** A stored key or key index cannot be read back. */
  public static final String KEY_CORRUPT = "key_corrupt";

  /** The signature could not be made. */
  public static final String SIGNING_FAILED = "signing_failed";

  /** The platform refused access to the key. */
  public static final String ACCESS_DENIED = "access_denied";

  /** PKCS#11: the module library is not there. */
  public static final String MODULE_NOT_FOUND = "module_not_found";

  /** PKCS#11: no token carries the configured label. */
  public static final String TOKEN_NOT_FOUND = "token_not_found";

  /** PKCS#11: the token failed. */
  public static final String TOKEN_ERROR = "token_error";

  /** PKCS#11: no PIN is stored for the token. */
  public static final String PIN_MISSING = "pin_missing";

  /** PKCS#11: the stored PIN is wrong. */
  public static final String WRONG_PIN = "wrong_pin";

  /** PKCS#11: the token locked its PIN. */
  public static final String PIN_LOCKED = "pin_locked";

  /** TPM 2.0: the TPM failed. */
  public static final String TPM_ERROR = "tpm_error";

  /** TPM 2.0: the TPM refused the key's authorisation. */
  public static final String TPM_AUTH_FAILED = "tpm_auth_failed";

  /** TPM 2.0: the TPM is in dictionary-attack lockout. */
  public static final String TPM_LOCKED_OUT = "tpm_locked_out";

  /** The TPM is not available to the platform provider. */
  public static final String TPM_UNAVAILABLE = "tpm_unavailable";

  /** TPM 2.0: the TPM (or its simulator) cannot be reached. */
  public static final String TPM_UNREACHABLE = "tpm_unreachable";

  /** Apple: the keychain failed. */
  public static final String KEYCHAIN_ERROR = "keychain_error";

  /** Apple: the keychain is locked. */
  public static final String KEYCHAIN_LOCKED = "keychain_locked";

  /** Apple: the Secure Enclave is not available. */
  public static final String SECURE_ENCLAVE_UNAVAILABLE = "secure_enclave_unavailable";

  /** Windows: the CNG key storage provider failed. */
  public static final String CNG_ERROR = "cng_error";

  public SignerException(String code, String message) {
    super(code, message);
  }
}
