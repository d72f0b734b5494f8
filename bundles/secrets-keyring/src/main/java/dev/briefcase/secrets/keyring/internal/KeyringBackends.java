package dev.briefcase.secrets.keyring.internal;

import dev.briefcase.secrets.SecretStoreException;
import java.util.Locale;

/** Picks the keyring of the running platform. */
final class KeyringBackends {
  /** The largest value stored; Windows limits a credential blob to 2560 bytes (5 × 512). */
  static final int MAX_VALUE_BYTES = 2560;

  private KeyringBackends() {}

  /** The platform of {@code os.name}: {@code linux}, {@code macos}, {@code windows} or other. */
  static String platform(String osName) {
    String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
    if (os.startsWith("mac") || os.startsWith("darwin")) {
      return "macos";
    }
    if (os.startsWith("windows")) {
      return "windows";
    }
    if (os.startsWith("linux") || os.contains("bsd")) {
      return "linux";
    }
    return os;
  }

  /** Connects to the keyring of this platform or throws {@code secret_store_unavailable}. */
  static KeyringBackend open(String busAddress) {
    return switch (platform(System.getProperty("os.name"))) {
      case "linux" -> SecretServiceKeyring.open(busAddress);
      case "macos" -> MacKeychain.open();
      case "windows" -> WindowsCredentials.open();
      default ->
          throw new SecretStoreException(
              SecretStoreException.SECRET_STORE_UNAVAILABLE,
              "no OS keyring support for " + System.getProperty("os.name"));
    };
  }

  static void checkSize(int length) {
    if (length > MAX_VALUE_BYTES) {
      throw new SecretStoreException(
          SecretStoreException.SECRET_TOO_LARGE,
          "keyring values are at most " + MAX_VALUE_BYTES + " bytes, not " + length);
    }
  }
}
