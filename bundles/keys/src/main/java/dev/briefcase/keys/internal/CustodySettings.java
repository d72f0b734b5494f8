package dev.briefcase.keys.internal;

import dev.briefcase.profile.ProfileMode;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-custody settings the launcher passes as framework properties: {@code
 * briefcase.key.backend} (from {@code BRIEFCASE_KEY_BACKEND}), {@code briefcase.profile.mode} and
 * {@code briefcase.allow.software.keys} (from {@code BRIEFCASE_ALLOW_SOFTWARE_KEYS}). The bundle
 * reads no environment.
 *
 * @param backend the configured backend, {@code auto} when unset
 * @param strict whether the profile is {@code ga}
 * @param allowSoftware whether software keys are accepted in {@code ga}
 */
record CustodySettings(String backend, boolean strict, boolean allowSoftware) {
  static final String BACKEND_PROPERTY = "briefcase.key.backend";
  static final String ALLOW_PROPERTY = "briefcase.allow.software.keys";
  static final Set<String> BACKENDS =
      Set.of("auto", "software", "pkcs11", "tpm2", "apple", "windows", "remote");

  private static final Logger LOG = LoggerFactory.getLogger(CustodySettings.class);

  /**
   * Reads and checks the settings.
   *
   * @throws IllegalStateException for an unknown backend, or {@code software} in {@code ga} without
   *     the allowance (the directory then refuses to activate)
   */
  static CustodySettings from(Function<String, String> frameworkProperty) {
    String configured = frameworkProperty.apply(BACKEND_PROPERTY);
    String backend =
        configured == null || configured.isBlank()
            ? "auto"
            : configured.trim().toLowerCase(Locale.ROOT);
    if (!BACKENDS.contains(backend)) {
      throw new IllegalStateException(
          "invalid BRIEFCASE_KEY_BACKEND '" + backend + "' (expected one of " + BACKENDS + ")");
    }
    boolean strict = ProfileMode.isStrict(frameworkProperty.apply(ProfileMode.PROPERTY));
    String allow = frameworkProperty.apply(ALLOW_PROPERTY);
    boolean allowSoftware =
        allow != null && ("1".equals(allow.trim()) || "true".equalsIgnoreCase(allow.trim()));
    if (strict && "software".equals(backend) && !allowSoftware) {
      LOG.error(
          "Key directory refused: profile ga with BRIEFCASE_KEY_BACKEND=software needs"
              + " BRIEFCASE_ALLOW_SOFTWARE_KEYS=1");
      throw new IllegalStateException("software keys are refused in the ga profile");
    }
    return new CustodySettings(backend, strict, allowSoftware);
  }

  /** Whether a key that is not hardware-backed may not be created or used. */
  boolean refusesSoftware() {
    return strict && !allowSoftware;
  }
}
