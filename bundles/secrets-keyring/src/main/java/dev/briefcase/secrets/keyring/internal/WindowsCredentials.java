package dev.briefcase.secrets.keyring.internal;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.WString;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.win32.StdCallLibrary;
import dev.briefcase.secrets.SecretStoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Windows Credential Manager through {@code advapi32} (JNA): one generic credential per secret,
 * target name {@code credential-briefcase:<id>}, persisted for the local machine and the current
 * user ({@code CRED_PERSIST_LOCAL_MACHINE}), protected by DPAPI under the user's logon.
 *
 * <p>Written against the documented Win32 API; not exercised on this (Linux) build machine.
 */
final class WindowsCredentials implements KeyringBackend {
  static final int CRED_TYPE_GENERIC = 1;
  static final int CRED_PERSIST_LOCAL_MACHINE = 2;
  static final int ERROR_NOT_FOUND = 1168;
  static final int ERROR_NO_SUCH_LOGON_SESSION = 1312;
  static final int ERROR_INVALID_PARAMETER = 87;
  static final String PREFIX = SERVICE + ":";

  /** {@code CREDENTIALW} (wincred.h); {@code FILETIME} is two DWORDs. */
  @Structure.FieldOrder({
    "Flags",
    "Type",
    "TargetName",
    "Comment",
    "LastWrittenLow",
    "LastWrittenHigh",
    "CredentialBlobSize",
    "CredentialBlob",
    "Persist",
    "AttributeCount",
    "Attributes",
    "TargetAlias",
    "UserName"
  })
  public static class Credential extends Structure {
    public int Flags;
    public int Type;
    public WString TargetName;
    public WString Comment;
    public int LastWrittenLow;
    public int LastWrittenHigh;
    public int CredentialBlobSize;
    public Pointer CredentialBlob;
    public int Persist;
    public int AttributeCount;
    public Pointer Attributes;
    public WString TargetAlias;
    public WString UserName;

    public Credential() {}

    public Credential(Pointer p) {
      super(p);
      read();
    }
  }

  /** The credential functions of advapi32 (wide-character variants). */
  public interface Advapi32 extends StdCallLibrary {
    boolean CredWriteW(Credential credential, int flags);

    boolean CredReadW(WString targetName, int type, int flags, PointerByReference credential);

    boolean CredDeleteW(WString targetName, int type, int flags);

    boolean CredEnumerateW(
        WString filter, int flags, IntByReference count, PointerByReference credentials);

    void CredFree(Pointer buffer);
  }

  private final Advapi32 api;

  private WindowsCredentials(Advapi32 api) {
    this.api = api;
  }

  static WindowsCredentials open() {
    try {
      WindowsCredentials w = new WindowsCredentials(Native.load("Advapi32", Advapi32.class));
      w.list(); // proves a logon session with a credential store
      return w;
    } catch (SecretStoreException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_STORE_UNAVAILABLE,
          "cannot load advapi32 (" + e.getClass().getSimpleName() + ")");
    }
  }

  @Override
  public String describe() {
    return "the Windows Credential Manager";
  }

  @Override
  public Optional<byte[]> read(String id) {
    PointerByReference out = new PointerByReference();
    if (!api.CredReadW(new WString(target(id)), CRED_TYPE_GENERIC, 0, out)) {
      int error = Native.getLastError();
      if (error == ERROR_NOT_FOUND) {
        return Optional.empty();
      }
      throw error("read", error);
    }
    try {
      Credential c = new Credential(out.getValue());
      return Optional.of(
          c.CredentialBlobSize == 0
              ? new byte[0]
              : c.CredentialBlob.getByteArray(0, c.CredentialBlobSize));
    } finally {
      api.CredFree(out.getValue());
    }
  }

  @Override
  public void write(String id, byte[] value) {
    Credential c = new Credential();
    c.Type = CRED_TYPE_GENERIC;
    c.TargetName = new WString(target(id));
    c.UserName = new WString(SERVICE);
    c.Persist = CRED_PERSIST_LOCAL_MACHINE;
    com.sun.jna.Memory blob = null;
    if (value.length > 0) {
      blob = new com.sun.jna.Memory(value.length);
      blob.write(0, value, 0, value.length);
    }
    c.CredentialBlobSize = value.length;
    c.CredentialBlob = blob;
    try {
      if (!api.CredWriteW(c, 0)) {
        throw error("write", Native.getLastError());
      }
    } finally {
      if (blob != null) {
        blob.clear();
        blob.close();
      }
    }
  }

  @Override
  public boolean remove(String id) {
    if (api.CredDeleteW(new WString(target(id)), CRED_TYPE_GENERIC, 0)) {
      return true;
    }
    int error = Native.getLastError();
    if (error == ERROR_NOT_FOUND) {
      return false;
    }
    throw error("delete", error);
  }

  @Override
  public List<String> list() {
    IntByReference count = new IntByReference();
    PointerByReference creds = new PointerByReference();
    if (!api.CredEnumerateW(new WString(PREFIX + "*"), 0, count, creds)) {
      int error = Native.getLastError();
      if (error == ERROR_NOT_FOUND) {
        return List.of();
      }
      throw error("list", error);
    }
    try {
      List<String> names = new ArrayList<>();
      Pointer[] entries = creds.getValue().getPointerArray(0, count.getValue());
      for (Pointer p : entries) {
        Credential c = new Credential(p);
        if (c.Type == CRED_TYPE_GENERIC && c.TargetName != null) {
          names.add(c.TargetName.toString());
        }
      }
      return ids(names);
    } finally {
      api.CredFree(creds.getValue());
    }
  }

  @Override
  public void close() {
    // nothing held between calls
  }

  static String target(String id) {
    return PREFIX + id;
  }

  /** The secret ids among credential target names, ignoring anything that is not ours. */
  static List<String> ids(List<String> targetNames) {
    List<String> ids = new ArrayList<>();
    for (String name : targetNames) {
      if (name.startsWith(PREFIX)) {
        String id = name.substring(PREFIX.length());
        if (KeyringSecretStore.ID.matcher(id).matches()) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  static SecretStoreException error(String operation, int win32Error) {
    String why =
        switch (win32Error) {
          case ERROR_NO_SUCH_LOGON_SESSION ->
              "no logon session with a credential store (service account without a profile?)";
          case ERROR_NOT_FOUND -> "no such credential";
          case ERROR_INVALID_PARAMETER -> "invalid parameter (value too large?)";
          default -> "Win32 error " + win32Error;
        };
    return new SecretStoreException(
        SecretStoreException.SECRET_STORE_UNAVAILABLE,
        "Windows Credential Manager " + operation + " failed: " + why);
  }
}
