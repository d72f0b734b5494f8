package dev.briefcase.secrets.keyring.internal;

import dev.briefcase.secrets.SecretStoreException;

/** Security framework result codes (SecBase.h) mapped to secret-store errors. */
final class OsStatus {
  static final int SUCCESS = 0;
  static final int USER_CANCELED = -128;
  static final int AUTH_FAILED = -25293;
  static final int DUPLICATE_ITEM = -25299;
  static final int ITEM_NOT_FOUND = -25300;
  static final int INTERACTION_NOT_ALLOWED = -25308;
  static final int MISSING_ENTITLEMENT = -34018;

  private OsStatus() {}

  /** Throws unless {@code status} is success; the message names the operation, never a value. */
  static void check(String operation, int status) {
    if (status != SUCCESS) {
      throw error(operation, status);
    }
  }

  static SecretStoreException error(String operation, int status) {
    String why =
        switch (status) {
          case INTERACTION_NOT_ALLOWED -> "the keychain is locked and interaction is not allowed";
          case USER_CANCELED -> "the user cancelled the keychain prompt";
          case AUTH_FAILED -> "keychain authorization failed";
          case MISSING_ENTITLEMENT -> "the process lacks the keychain entitlement";
          case DUPLICATE_ITEM -> "the keychain item already exists";
          case ITEM_NOT_FOUND -> "no such keychain item";
          default -> "OSStatus " + status;
        };
    return new SecretStoreException(
        SecretStoreException.SECRET_STORE_UNAVAILABLE,
        "macOS Keychain " + operation + " failed: " + why);
  }
}
