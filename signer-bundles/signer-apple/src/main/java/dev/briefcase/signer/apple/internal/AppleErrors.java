package dev.briefcase.signer.apple.internal;

import dev.briefcase.signer.SignerException;

/**
 * Security framework result codes (OSStatus, and the codes of the CFErrors it returns, which use
 * the same numbers) mapped to stable signer error codes.
 */
final class AppleErrors {
  static final int USER_CANCELED = -128;
  static final int AUTH_FAILED = -25293;
  static final int DUPLICATE_ITEM = -25299;
  static final int ITEM_NOT_FOUND = -25300;
  static final int INTERACTION_NOT_ALLOWED = -25308;
  static final int PARAM = -50;
  static final int UNIMPLEMENTED = -4;
  static final int MISSING_ENTITLEMENT = -34018;

  private AppleErrors() {}

  static SignerException map(String operation, long status) {
    int s = (int) status;
    return switch (s) {
      case ITEM_NOT_FOUND ->
          new SignerException(SignerException.UNKNOWN_HANDLE, "no such key in the Keychain");
      case INTERACTION_NOT_ALLOWED, USER_CANCELED, AUTH_FAILED ->
          new SignerException(
              SignerException.KEYCHAIN_LOCKED,
              operation + ": the Keychain is locked or the user did not authorize the key");
      case MISSING_ENTITLEMENT ->
          new SignerException(
              SignerException.SECURE_ENCLAVE_UNAVAILABLE,
              operation + ": the process lacks the keychain entitlement the Secure Enclave needs");
      case UNIMPLEMENTED, PARAM ->
          new SignerException(
              SignerException.UNSUPPORTED_ALGORITHM,
              operation + ": not supported here (OSStatus " + s + ")");
      default ->
          new SignerException(
              SignerException.KEYCHAIN_ERROR, operation + " failed (OSStatus " + s + ")");
    };
  }
}
