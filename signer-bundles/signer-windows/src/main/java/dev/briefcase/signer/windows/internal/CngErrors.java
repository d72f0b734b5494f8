package dev.briefcase.signer.windows.internal;

import dev.briefcase.signer.SignerException;

/** CNG {@code SECURITY_STATUS} values (winerror.h) mapped to stable signer error codes. */
final class CngErrors {
  static final int NTE_BAD_KEYSET = 0x80090016;
  static final int NTE_NOT_FOUND = 0x80090011;
  static final int NTE_EXISTS = 0x8009000F;
  static final int NTE_PERM = 0x80090010;
  static final int NTE_INVALID_PARAMETER = 0x80090027;
  static final int NTE_BUFFER_TOO_SMALL = 0x80090028;
  static final int NTE_NOT_SUPPORTED = 0x80090029;
  static final int NTE_NO_MORE_ITEMS = 0x8009002A;
  static final int NTE_DEVICE_NOT_READY = 0x80090030;
  static final int NTE_DEVICE_NOT_FOUND = 0x80090035;

  private CngErrors() {}

  static SignerException map(String operation, int status) {
    String hex = String.format("0x%08X", status);
    if (status == NTE_BAD_KEYSET || status == NTE_NOT_FOUND) {
      return new SignerException(
          SignerException.UNKNOWN_HANDLE, "no such key in the key storage provider");
    }
    if (status == NTE_NOT_SUPPORTED) {
      return new SignerException(
          SignerException.UNSUPPORTED_ALGORITHM,
          operation + ": not supported by the provider (" + hex + ")");
    }
    if (status == NTE_PERM) {
      return new SignerException(
          SignerException.ACCESS_DENIED, operation + ": access denied (" + hex + ")");
    }
    if (status == NTE_DEVICE_NOT_READY || status == NTE_DEVICE_NOT_FOUND) {
      return new SignerException(
          SignerException.TPM_UNAVAILABLE, operation + ": the TPM is not available (" + hex + ")");
    }
    if ((status & 0xFFFF0000) == 0x80280000) {
      // FACILITY_TPM_SOFTWARE / TPM_E_* and TBS_E_* share the 0x8028xxxx range
      return new SignerException(SignerException.TPM_ERROR, operation + ": TPM error " + hex);
    }
    return new SignerException(SignerException.CNG_ERROR, operation + " failed (" + hex + ")");
  }
}
