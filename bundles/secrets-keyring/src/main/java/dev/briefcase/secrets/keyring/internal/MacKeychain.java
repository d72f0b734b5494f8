package dev.briefcase.secrets.keyring.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.briefcase.secrets.SecretStoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The macOS login Keychain through the Security framework (JNA): one generic password per secret,
 * {@code kSecAttrService = credential-briefcase}, {@code kSecAttrAccount = <id>}, accessible only
 * while the device is unlocked ({@code kSecAttrAccessibleWhenUnlocked}, the default). The {@code
 * kSec*} constants are {@code CFStringRef} globals read from the framework, never guessed.
 * Interaction is never allowed: a locked keychain is {@code secret_store_unavailable}.
 *
 * <p>Written against Apple's documented API; not exercised on this (Linux) build machine.
 */
final class MacKeychain implements KeyringBackend {

  /** Core Foundation, the subset used here. {@code CFIndex} is a 64-bit signed long. */
  public interface CoreFoundation extends Library {
    Pointer CFDictionaryCreateMutable(
        Pointer allocator, long capacity, Pointer keyCallBacks, Pointer valueCallBacks);

    void CFDictionarySetValue(Pointer dict, Pointer key, Pointer value);

    Pointer CFDictionaryGetValue(Pointer dict, Pointer key);

    Pointer CFDataCreate(Pointer allocator, byte[] bytes, long length);

    long CFDataGetLength(Pointer data);

    Pointer CFDataGetBytePtr(Pointer data);

    Pointer CFStringCreateWithBytes(
        Pointer allocator, byte[] bytes, long numBytes, int encoding, byte isExternal);

    long CFStringGetLength(Pointer string);

    long CFStringGetMaximumSizeForEncoding(long length, int encoding);

    byte CFStringGetCString(Pointer string, byte[] buffer, long bufferSize, int encoding);

    long CFArrayGetCount(Pointer array);

    Pointer CFArrayGetValueAtIndex(Pointer array, long index);

    void CFRelease(Pointer cf);
  }

  /** Security framework keychain item functions. */
  public interface Security extends Library {
    int SecItemAdd(Pointer attributes, PointerByReference result);

    int SecItemCopyMatching(Pointer query, PointerByReference result);

    int SecItemUpdate(Pointer query, Pointer attributesToUpdate);

    int SecItemDelete(Pointer query);
  }

  static final int K_CF_STRING_ENCODING_UTF8 = 0x08000100;

  private final CoreFoundation cf;
  private final Security sec;
  private final NativeLibrary cfLib;
  private final NativeLibrary secLib;

  private MacKeychain() {
    this.cf = Native.load("CoreFoundation", CoreFoundation.class);
    this.sec = Native.load("Security", Security.class);
    this.cfLib = NativeLibrary.getInstance("CoreFoundation");
    this.secLib = NativeLibrary.getInstance("Security");
  }

  static MacKeychain open() {
    try {
      MacKeychain k = new MacKeychain();
      k.list(); // a first query proves the keychain answers without interaction
      return k;
    } catch (SecretStoreException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE,
          "cannot load the Security framework (" + e.getClass().getSimpleName() + ")");
    }
  }

  @Override
  public String describe() {
    return "the macOS Keychain";
  }

  @Override
  public Optional<byte[]> read(String id) {
    Pointer q = query(id);
    try {
      cf.CFDictionarySetValue(q, secConst("kSecReturnData"), cfConst("kCFBooleanTrue"));
      cf.CFDictionarySetValue(q, secConst("kSecMatchLimit"), secConst("kSecMatchLimitOne"));
      PointerByReference out = new PointerByReference();
      int status = sec.SecItemCopyMatching(q, out);
      if (status == OsStatus.ITEM_NOT_FOUND) {
        return Optional.empty();
      }
      OsStatus.check("read", status);
      Pointer data = out.getValue();
      try {
        int len = (int) cf.CFDataGetLength(data);
        return Optional.of(cf.CFDataGetBytePtr(data).getByteArray(0, len));
      } finally {
        cf.CFRelease(data);
      }
    } finally {
      cf.CFRelease(q);
    }
  }

  @Override
  public void write(String id, byte[] value) {
    Pointer q = query(id);
    Pointer data = cf.CFDataCreate(null, value, value.length);
    Pointer update = dictionary();
    try {
      cf.CFDictionarySetValue(update, secConst("kSecValueData"), data);
      int status = sec.SecItemUpdate(q, update);
      if (status == OsStatus.ITEM_NOT_FOUND) {
        cf.CFDictionarySetValue(q, secConst("kSecValueData"), data);
        cf.CFDictionarySetValue(
            q, secConst("kSecAttrAccessible"), secConst("kSecAttrAccessibleWhenUnlocked"));
        status = sec.SecItemAdd(q, null);
      }
      OsStatus.check("write", status);
    } finally {
      cf.CFRelease(update);
      cf.CFRelease(data);
      cf.CFRelease(q);
    }
  }

  @Override
  public boolean remove(String id) {
    Pointer q = query(id);
    try {
      int status = sec.SecItemDelete(q);
      if (status == OsStatus.ITEM_NOT_FOUND) {
        return false;
      }
      OsStatus.check("delete", status);
      return true;
    } finally {
      cf.CFRelease(q);
    }
  }

  @Override
  public List<String> list() {
    Pointer q = query(null);
    try {
      cf.CFDictionarySetValue(q, secConst("kSecReturnAttributes"), cfConst("kCFBooleanTrue"));
      cf.CFDictionarySetValue(q, secConst("kSecMatchLimit"), secConst("kSecMatchLimitAll"));
      PointerByReference out = new PointerByReference();
      int status = sec.SecItemCopyMatching(q, out);
      if (status == OsStatus.ITEM_NOT_FOUND) {
        return List.of();
      }
      OsStatus.check("list", status);
      Pointer array = out.getValue();
      try {
        List<String> ids = new ArrayList<>();
        long n = cf.CFArrayGetCount(array);
        for (long i = 0; i < n; i++) {
          Pointer attrs = cf.CFArrayGetValueAtIndex(array, i);
          Pointer account = cf.CFDictionaryGetValue(attrs, secConst("kSecAttrAccount"));
          String id = account == null ? null : string(account);
          if (id != null && KeyringSecretStore.ID.matcher(id).matches()) {
            ids.add(id);
          }
        }
        return ids;
      } finally {
        cf.CFRelease(array);
      }
    } finally {
      cf.CFRelease(q);
    }
  }

  @Override
  public void close() {
    // nothing held between calls
  }

  /** {class: generic password, service: credential-briefcase[, account: id]}; caller releases. */
  private Pointer query(String id) {
    Pointer q = dictionary();
    cf.CFDictionarySetValue(q, secConst("kSecClass"), secConst("kSecClassGenericPassword"));
    Pointer service = cfString(SERVICE);
    cf.CFDictionarySetValue(q, secConst("kSecAttrService"), service);
    cf.CFRelease(service); // the dictionary retains it
    if (id != null) {
      Pointer account = cfString(id);
      cf.CFDictionarySetValue(q, secConst("kSecAttrAccount"), account);
      cf.CFRelease(account);
    }
    return q;
  }

  private Pointer dictionary() {
    return cf.CFDictionaryCreateMutable(
        null,
        0,
        cfLib.getGlobalVariableAddress("kCFTypeDictionaryKeyCallBacks"),
        cfLib.getGlobalVariableAddress("kCFTypeDictionaryValueCallBacks"));
  }

  private Pointer cfString(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    return cf.CFStringCreateWithBytes(null, utf8, utf8.length, K_CF_STRING_ENCODING_UTF8, (byte) 0);
  }

  private String string(Pointer cfString) {
    long max =
        cf.CFStringGetMaximumSizeForEncoding(
                cf.CFStringGetLength(cfString), K_CF_STRING_ENCODING_UTF8)
            + 1;
    byte[] buf = new byte[(int) max];
    if (cf.CFStringGetCString(cfString, buf, max, K_CF_STRING_ENCODING_UTF8) == 0) {
      return null;
    }
    int len = 0;
    while (len < buf.length && buf[len] != 0) {
      len++;
    }
    return new String(buf, 0, len, StandardCharsets.UTF_8);
  }

  /** A {@code CFStringRef} (or other CF object) global of the Security framework. */
  private Pointer secConst(String name) {
    return secLib.getGlobalVariableAddress(name).getPointer(0);
  }

  private Pointer cfConst(String name) {
    return cfLib.getGlobalVariableAddress(name).getPointer(0);
  }
}
