package dev.briefcase.signer.windows.internal;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.WString;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.win32.StdCallLibrary;
import dev.briefcase.signer.SignerException;
import java.util.ArrayList;
import java.util.List;

/**
 * Persisted P-256 keys through CNG ({@code ncrypt.dll}, JNA): the TPM-backed "Microsoft Platform
 * Crypto Provider" when it opens, else the "Microsoft Software Key Storage Provider". Key names are
 * {@code briefcase-<keyId>}. Every key handle is freed with {@code NCryptFreeObject} in {@code
 * finally}. Not thread-safe: the signer serializes calls.
 *
 * <p>Written against the documented CNG API; not exercised on this (Linux) build machine.
 */
final class WindowsCng implements AutoCloseable {
  static final String PLATFORM_PROVIDER = "Microsoft Platform Crypto Provider";
  static final String SOFTWARE_PROVIDER = "Microsoft Software Key Storage Provider";
  static final String ECDSA_P256 = "ECDSA_P256";
  static final String ECCPUBLIC_BLOB = "ECCPUBLICBLOB";
  static final String NAME_PREFIX = "briefcase-";
  static final int NCRYPT_SILENT_FLAG = 0x40;

  /** The ncrypt.dll functions used here; handles are ULONG_PTR, passed as pointers. */
  public interface NCrypt extends StdCallLibrary {
    int NCryptOpenStorageProvider(PointerByReference provider, WString providerName, int flags);

    int NCryptCreatePersistedKey(
        Pointer provider,
        PointerByReference key,
        WString algId,
        WString keyName,
        int legacyKeySpec,
        int flags);

    int NCryptFinalizeKey(Pointer key, int flags);

    int NCryptOpenKey(
        Pointer provider, PointerByReference key, WString keyName, int legacyKeySpec, int flags);

    int NCryptSignHash(
        Pointer key,
        Pointer paddingInfo,
        byte[] hash,
        int hashLength,
        byte[] signature,
        int signatureLength,
        IntByReference result,
        int flags);

    int NCryptExportKey(
        Pointer key,
        Pointer exportKey,
        WString blobType,
        Pointer parameterList,
        byte[] output,
        int outputLength,
        IntByReference result,
        int flags);

    int NCryptDeleteKey(Pointer key, int flags);

    int NCryptFreeObject(Pointer object);

    int NCryptEnumKeys(
        Pointer provider,
        WString scope,
        PointerByReference keyName,
        PointerByReference enumState,
        int flags);

    int NCryptFreeBuffer(Pointer buffer);
  }

  private final NCrypt api;
  private final Pointer provider;
  private final boolean platform;

  private WindowsCng(NCrypt api, Pointer provider, boolean platform) {
    this.api = api;
    this.provider = provider;
    this.platform = platform;
  }

  /** Opens the TPM provider, or the software KSP when the TPM provider does not open. */
  static WindowsCng open() throws SignerException {
    NCrypt api = Native.load("ncrypt", NCrypt.class);
    PointerByReference p = new PointerByReference();
    int status = api.NCryptOpenStorageProvider(p, new WString(PLATFORM_PROVIDER), 0);
    if (status == 0) {
      return new WindowsCng(api, p.getValue(), true);
    }
    status = api.NCryptOpenStorageProvider(p, new WString(SOFTWARE_PROVIDER), 0);
    if (status != 0) {
      throw CngErrors.map("open key storage provider", status);
    }
    return new WindowsCng(api, p.getValue(), false);
  }

  boolean tpmBacked() {
    return platform;
  }

  String providerName() {
    return platform ? PLATFORM_PROVIDER : SOFTWARE_PROVIDER;
  }

  void generate(String keyId) throws SignerException {
    PointerByReference key = new PointerByReference();
    check(
        "create key",
        api.NCryptCreatePersistedKey(
            provider, key, new WString(ECDSA_P256), new WString(NAME_PREFIX + keyId), 0, 0));
    boolean finalized = false;
    try {
      check("finalize key", api.NCryptFinalizeKey(key.getValue(), NCRYPT_SILENT_FLAG));
      finalized = true;
    } finally {
      if (!finalized) {
        api.NCryptDeleteKey(key.getValue(), 0); // frees the handle too
      } else {
        api.NCryptFreeObject(key.getValue());
      }
    }
  }

  byte[] publicKey(String keyId) throws SignerException {
    Pointer key = openKey(keyId);
    try {
      IntByReference size = new IntByReference();
      check(
          "export public key",
          api.NCryptExportKey(key, null, new WString(ECCPUBLIC_BLOB), null, null, 0, size, 0));
      byte[] blob = new byte[size.getValue()];
      check(
          "export public key",
          api.NCryptExportKey(
              key, null, new WString(ECCPUBLIC_BLOB), null, blob, blob.length, size, 0));
      return EccPublicBlob.toSec1(java.util.Arrays.copyOf(blob, size.getValue()));
    } finally {
      api.NCryptFreeObject(key);
    }
  }

  /** ECDSA over a SHA-256 digest; CNG returns raw {@code r || s}. */
  byte[] signDigest(String keyId, byte[] digest) throws SignerException {
    Pointer key = openKey(keyId);
    try {
      byte[] sig = new byte[64];
      IntByReference len = new IntByReference();
      check(
          "sign",
          api.NCryptSignHash(
              key, null, digest, digest.length, sig, sig.length, len, NCRYPT_SILENT_FLAG));
      if (len.getValue() != 64) {
        throw new SignerException(
            SignerException.CNG_ERROR,
            "CNG returned a " + len.getValue() + "-byte ECDSA signature");
      }
      return sig;
    } finally {
      api.NCryptFreeObject(key);
    }
  }

  boolean delete(String keyId) throws SignerException {
    PointerByReference key = new PointerByReference();
    int status =
        api.NCryptOpenKey(provider, key, new WString(NAME_PREFIX + keyId), 0, NCRYPT_SILENT_FLAG);
    if (status == CngErrors.NTE_BAD_KEYSET || status == CngErrors.NTE_NOT_FOUND) {
      return false;
    }
    check("open key", status);
    int deleted = api.NCryptDeleteKey(key.getValue(), 0);
    if (deleted != 0) {
      api.NCryptFreeObject(key.getValue());
      throw CngErrors.map("delete key", deleted);
    }
    return true; // NCryptDeleteKey freed the handle
  }

  List<String> list() throws SignerException {
    List<String> names = new ArrayList<>();
    PointerByReference state = new PointerByReference();
    try {
      while (true) {
        PointerByReference name = new PointerByReference();
        int status = api.NCryptEnumKeys(provider, null, name, state, NCRYPT_SILENT_FLAG);
        if (status == CngErrors.NTE_NO_MORE_ITEMS) {
          break;
        }
        check("enumerate keys", status);
        try {
          // NCryptKeyName { LPWSTR pszName; LPWSTR pszAlgid; DWORD dwLegacyKeySpec; DWORD dwFlags;
          // }
          names.add(name.getValue().getPointer(0).getWideString(0));
        } finally {
          api.NCryptFreeBuffer(name.getValue());
        }
      }
    } finally {
      if (state.getValue() != null) {
        api.NCryptFreeBuffer(state.getValue());
      }
    }
    return keyIds(names);
  }

  /** The key ids among provider key names, ignoring keys that are not ours. */
  static List<String> keyIds(List<String> names) {
    List<String> ids = new ArrayList<>();
    for (String n : names) {
      if (n != null && n.startsWith(NAME_PREFIX)) {
        String id = n.substring(NAME_PREFIX.length());
        if (WindowsSigner.KEY_ID.matcher(id).matches()) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  @Override
  public void close() {
    api.NCryptFreeObject(provider);
  }

  private Pointer openKey(String keyId) throws SignerException {
    PointerByReference key = new PointerByReference();
    check(
        "open key",
        api.NCryptOpenKey(provider, key, new WString(NAME_PREFIX + keyId), 0, NCRYPT_SILENT_FLAG));
    return key.getValue();
  }

  private static void check(String operation, int status) throws SignerException {
    if (status != 0) {
      throw CngErrors.map(operation, status);
    }
  }
}
