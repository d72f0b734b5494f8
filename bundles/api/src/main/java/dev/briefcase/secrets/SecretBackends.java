package dev.briefcase.secrets;

import dev.briefcase.profile.ProfileMode;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Which secret store backend a kernel uses (SPEC §12), decided the same way by every backend bundle
 * so that exactly one {@link SecretStore} is registered: {@code BRIEFCASE_SECRET_BACKEND}
 * (framework property {@value #PROPERTY}, else the environment variable {@value #ENV}) names it;
 * when unset, {@code file} if {@value #PASSPHRASE_ENV} is set, else {@code keyring}. Stateless and
 * thread-safe.
 */
public final class SecretBackends {

  /** The OS keyring (Secret Service, macOS Keychain, Windows Credential Manager). */
  public static final String KEYRING = "keyring";

  /** The encrypted file store under the data directory. */
  public static final String FILE = "file";

  /** A process-local store for tests; refused in the {@code ga} profile. */
  public static final String MEMORY = "memory";

  /** The framework property the launcher sets from {@value #ENV}. */
  public static final String PROPERTY = "briefcase.secret.backend";

  /** The environment variable naming the backend. */
  public static final String ENV = "BRIEFCASE_SECRET_BACKEND";

  /** The environment variable holding the file store's master passphrase (only its presence). */
  public static final String PASSPHRASE_ENV = "BRIEFCASE_MASTER_PASSPHRASE";

  /** The framework property naming the profile mode; the same as {@link ProfileMode#PROPERTY}. */
  public static final String PROFILE_PROPERTY = ProfileMode.PROPERTY;

  private static final Set<String> ALL = Set.of(KEYRING, FILE, MEMORY);

  private SecretBackends() {}

  /**
   * The selected backend.
   *
   * @param frameworkProperty looks up framework properties (null when unset)
   * @param env looks up environment variables (null when unset); only the passphrase's presence is
   *     read, never its value
   * @throws SecretStoreException {@code invalid_secret_backend} for an unknown name
   */
  public static String selected(
      Function<String, String> frameworkProperty, Function<String, String> env) {
    String named = frameworkProperty.apply(PROPERTY);
    if (named == null || named.isBlank()) {
      named = env.apply(ENV);
    }
    if (named != null && !named.isBlank()) {
      String backend = named.trim().toLowerCase(Locale.ROOT);
      if (!ALL.contains(backend)) {
        throw new SecretStoreException(
            SecretStoreException.INVALID_SECRET_BACKEND,
            ENV + " must be keyring, file or memory, not '" + named.trim() + "'");
      }
      return backend;
    }
    String passphrase = env.apply(PASSPHRASE_ENV);
    return passphrase != null && !passphrase.isEmpty() ? FILE : KEYRING;
  }

  /**
   * Whether the framework runs in the strict {@code ga} profile.
   *
   * @see ProfileMode#isStrict(String)
   */
  public static boolean strictProfile(Function<String, String> frameworkProperty) {
    return ProfileMode.isStrict(frameworkProperty.apply(ProfileMode.PROPERTY));
  }
}
