package dev.briefcase.signer.apple.internal;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.briefcase.signer.SignerException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * P-256 keys through the Security framework (JNA against the real CoreFoundation and Security
 * frameworks). {@code kSec*} constants are {@code CFStringRef} (or {@code CFBooleanRef}) globals
 * read with {@link NativeLibrary#getGlobalVariableAddress}, never re-declared as numbers. Every
 * object created or copied here is released in {@code finally}. Not thread-safe: the signer
 * serializes calls.
 *
 * <p>Written against Apple's documented API; not exercised on this (Linux) build machine.
 */
final class AppleKeychain {
  /**
   * Tag prefix of every key this signer creates: {@code kSecAttrApplicationTag = briefcase-<id>}.
   */
  static final String TAG_PREFIX = "briefcase-";

  static final long ACCESS_CONTROL_PRIVATE_KEY_USAGE = 1L << 30;
  static final int CF_NUMBER_SINT32 = 3;

  /**
   * Core Foundation, the subset used here; {@code CFIndex} and {@code CFOptionFlags} are 64-bit.
   */
  public interface CoreFoundation extends Library {
    Pointer CFDictionaryCreateMutable(
        Pointer allocator, long capacity, Pointer keyCallBacks, Pointer valueCallBacks);

    void CFDictionarySetValue(Pointer dict, Pointer key, Pointer value);

    Pointer CFDictionaryGetValue(Pointer dict, Pointer key);

    Pointer CFDataCreate(Pointer allocator, byte[] bytes, long length);

    long CFDataGetLength(Pointer data);

    Pointer CFDataGetBytePtr(Pointer data);

    Pointer CFNumberCreate(Pointer allocator, long type, Pointer valuePtr);

    long CFArrayGetCount(Pointer array);

    Pointer CFArrayGetValueAtIndex(Pointer array, long index);

    long CFErrorGetCode(Pointer error);

    void CFRelease(Pointer cf);
  }

  /** The Security framework functions used here. */
  public interface Security extends Library {
    Pointer SecKeyCreateRandomKey(Pointer parameters, PointerByReference error);

    Pointer SecKeyCopyPublicKey(Pointer key);

    Pointer SecKeyCopyExternalRepresentation(Pointer key, PointerByReference error);

    Pointer SecKeyCreateSignature(
        Pointer key, Pointer algorithm, Pointer dataToSign, PointerByReference error);

    Pointer SecAccessControlCreateWithFlags(
        Pointer allocator, Pointer protection, long flags, PointerByReference error);

    int SecItemCopyMatching(Pointer query, PointerByReference result);

    int SecItemDelete(Pointer query);
  }

  private final CoreFoundation cf;
  private final Security sec;
  private final NativeLibrary cfLib;
  private final NativeLibrary secLib;
  private final boolean secureEnclave;

  private AppleKeychain(boolean secureEnclave) {
    this.cf = Native.load("CoreFoundation", CoreFoundation.class);
    this.sec = Native.load("Security", Security.class);
    this.cfLib = NativeLibrary.getInstance("CoreFoundation");
    this.secLib = NativeLibrary.getInstance("Security");
    this.secureEnclave = secureEnclave;
  }

  /**
   * Opens the Secure Enclave when a throw-away (non-permanent) enclave key can be created, else the
   * login Keychain (software keys, protected by the user's keychain password).
   */
  static AppleKeychain open() {
    AppleKeychain enclave = new AppleKeychain(true);
    try {
      Pointer probe = enclave.createKey(null);
      enclave.cf.CFRelease(probe);
      return enclave;
    } catch (SignerException e) {
      return new AppleKeychain(false);
    }
  }

  boolean secureEnclave() {
    return secureEnclave;
  }

  /** Creates a permanent key tagged {@code briefcase-<keyId>}. */
  void generate(String keyId) throws SignerException {
    cf.CFRelease(createKey(TAG_PREFIX + keyId));
  }

  /** The SEC1 public key ({@code 04 || X || Y}). */
  byte[] publicKey(String keyId) throws SignerException {
    Pointer key = findPrivateKey(keyId);
    Pointer pub = null;
    Pointer data = null;
    PointerByReference err = new PointerByReference();
    try {
      pub = sec.SecKeyCopyPublicKey(key);
      if (pub == null) {
        throw new SignerException(SignerException.KEYCHAIN_ERROR, "the key has no public key");
      }
      data = sec.SecKeyCopyExternalRepresentation(pub, err);
      if (data == null) {
        throw fromError("export public key", err);
      }
      return P256.checkSec1(bytes(data));
    } finally {
      release(data, pub, key);
    }
  }

  /** ES256 over the message ({@code kSecKeyAlgorithmECDSASignatureMessageX962SHA256}), raw r||s. */
  byte[] sign(String keyId, byte[] message) throws SignerException {
    Pointer key = findPrivateKey(keyId);
    Pointer data = cf.CFDataCreate(null, message, message.length);
    Pointer sig = null;
    PointerByReference err = new PointerByReference();
    try {
      sig =
          sec.SecKeyCreateSignature(
              key, secConst("kSecKeyAlgorithmECDSASignatureMessageX962SHA256"), data, err);
      if (sig == null) {
        throw fromError("sign", err);
      }
      return P256.derToRaw(bytes(sig));
    } finally {
      release(sig, data, key);
    }
  }

  /** Deletes the key; false when there was none. */
  boolean delete(String keyId) throws SignerException {
    Pointer q = keyQuery(keyId);
    try {
      int status = sec.SecItemDelete(q);
      if (status == AppleErrors.ITEM_NOT_FOUND) {
        return false;
      }
      if (status != 0) {
        throw AppleErrors.map("delete", status);
      }
      return true;
    } finally {
      cf.CFRelease(q);
    }
  }

  /** The key ids of every private key tagged {@code briefcase-*}. */
  List<String> list() throws SignerException {
    Pointer q = keyQuery(null);
    PointerByReference out = new PointerByReference();
    try {
      cf.CFDictionarySetValue(q, secConst("kSecReturnAttributes"), cfConst("kCFBooleanTrue"));
      cf.CFDictionarySetValue(q, secConst("kSecMatchLimit"), secConst("kSecMatchLimitAll"));
      int status = sec.SecItemCopyMatching(q, out);
      if (status == AppleErrors.ITEM_NOT_FOUND) {
        return List.of();
      }
      if (status != 0) {
        throw AppleErrors.map("list keys", status);
      }
      List<String> ids = new ArrayList<>();
      Pointer array = out.getValue();
      try {
        long n = cf.CFArrayGetCount(array);
        for (long i = 0; i < n; i++) {
          Pointer attrs = cf.CFArrayGetValueAtIndex(array, i);
          Pointer tag = cf.CFDictionaryGetValue(attrs, secConst("kSecAttrApplicationTag"));
          if (tag != null) {
            String t = new String(bytes(tag), StandardCharsets.UTF_8);
            if (t.startsWith(TAG_PREFIX)) {
              ids.add(t.substring(TAG_PREFIX.length()));
            }
          }
        }
      } finally {
        cf.CFRelease(array);
      }
      return ids;
    } finally {
      cf.CFRelease(q);
    }
  }

  /** SecKeyCreateRandomKey; {@code tag == null} makes a transient probe key. Caller releases. */
  private Pointer createKey(String tag) throws SignerException {
    Pointer params = dictionary();
    Pointer privateAttrs = dictionary();
    Pointer size = number(256);
    Pointer tagData = null;
    Pointer access = null;
    PointerByReference err = new PointerByReference();
    try {
      cf.CFDictionarySetValue(
          params, secConst("kSecAttrKeyType"), secConst("kSecAttrKeyTypeECSECPrimeRandom"));
      cf.CFDictionarySetValue(params, secConst("kSecAttrKeySizeInBits"), size);
      if (secureEnclave) {
        cf.CFDictionarySetValue(
            params, secConst("kSecAttrTokenID"), secConst("kSecAttrTokenIDSecureEnclave"));
        access =
            sec.SecAccessControlCreateWithFlags(
                null,
                secConst("kSecAttrAccessibleWhenUnlockedThisDeviceOnly"),
                ACCESS_CONTROL_PRIVATE_KEY_USAGE,
                err);
        if (access == null) {
          throw fromError("access control", err);
        }
        cf.CFDictionarySetValue(privateAttrs, secConst("kSecAttrAccessControl"), access);
      }
      boolean permanent = tag != null;
      cf.CFDictionarySetValue(
          privateAttrs,
          secConst("kSecAttrIsPermanent"),
          cfConst(permanent ? "kCFBooleanTrue" : "kCFBooleanFalse"));
      if (permanent) {
        byte[] t = tag.getBytes(StandardCharsets.UTF_8);
        tagData = cf.CFDataCreate(null, t, t.length);
        cf.CFDictionarySetValue(privateAttrs, secConst("kSecAttrApplicationTag"), tagData);
      }
      cf.CFDictionarySetValue(params, secConst("kSecPrivateKeyAttrs"), privateAttrs);
      Pointer key = sec.SecKeyCreateRandomKey(params, err);
      if (key == null) {
        throw fromError("generate", err);
      }
      return key;
    } finally {
      release(access, tagData, size, privateAttrs, params);
    }
  }

  private Pointer findPrivateKey(String keyId) throws SignerException {
    Pointer q = keyQuery(keyId);
    PointerByReference out = new PointerByReference();
    try {
      cf.CFDictionarySetValue(q, secConst("kSecReturnRef"), cfConst("kCFBooleanTrue"));
      cf.CFDictionarySetValue(q, secConst("kSecMatchLimit"), secConst("kSecMatchLimitOne"));
      int status = sec.SecItemCopyMatching(q, out);
      if (status != 0) {
        throw AppleErrors.map("find key", status);
      }
      return out.getValue();
    } finally {
      cf.CFRelease(q);
    }
  }

  /**
   * {class: key, key class: private, key type: EC[, tag]}; in the data-protection keychain for
   * enclave keys.
   */
  private Pointer keyQuery(String keyId) {
    Pointer q = dictionary();
    cf.CFDictionarySetValue(q, secConst("kSecClass"), secConst("kSecClassKey"));
    cf.CFDictionarySetValue(q, secConst("kSecAttrKeyClass"), secConst("kSecAttrKeyClassPrivate"));
    cf.CFDictionarySetValue(
        q, secConst("kSecAttrKeyType"), secConst("kSecAttrKeyTypeECSECPrimeRandom"));
    if (secureEnclave) {
      cf.CFDictionarySetValue(
          q, secConst("kSecAttrTokenID"), secConst("kSecAttrTokenIDSecureEnclave"));
    }
    if (keyId != null) {
      byte[] t = (TAG_PREFIX + keyId).getBytes(StandardCharsets.UTF_8);
      Pointer tag = cf.CFDataCreate(null, t, t.length);
      cf.CFDictionarySetValue(q, secConst("kSecAttrApplicationTag"), tag);
      cf.CFRelease(tag); // retained by the dictionary
    }
    return q;
  }

  private SignerException fromError(String operation, PointerByReference err) {
    Pointer e = err.getValue();
    if (e == null) {
      return new SignerException(SignerException.KEYCHAIN_ERROR, operation + " failed");
    }
    try {
      return AppleErrors.map(operation, cf.CFErrorGetCode(e));
    } finally {
      cf.CFRelease(e);
    }
  }

  private Pointer dictionary() {
    return cf.CFDictionaryCreateMutable(
        null,
        0,
        cfLib.getGlobalVariableAddress("kCFTypeDictionaryKeyCallBacks"),
        cfLib.getGlobalVariableAddress("kCFTypeDictionaryValueCallBacks"));
  }

  private Pointer number(int value) {
    Memory m = new Memory(4);
    m.setInt(0, value);
    return cf.CFNumberCreate(null, CF_NUMBER_SINT32, m);
  }

  private byte[] bytes(Pointer data) {
    int len = (int) cf.CFDataGetLength(data);
    return len == 0 ? new byte[0] : cf.CFDataGetBytePtr(data).getByteArray(0, len);
  }

  private void release(Pointer... objects) {
    for (Pointer p : objects) {
      if (p != null) {
        cf.CFRelease(p);
      }
    }
  }

  private Pointer secConst(String name) {
    return secLib.getGlobalVariableAddress(name).getPointer(0);
  }

  private Pointer cfConst(String name) {
    return cfLib.getGlobalVariableAddress(name).getPointer(0);
  }
}
