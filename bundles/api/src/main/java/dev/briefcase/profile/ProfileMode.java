package dev.briefcase.profile;

/**
 * The profile mode ({@code reference}, {@code staging} or {@code ga}) and the one reading of
 * whether it is the strict {@code ga} profile. Surrounding blanks and letter case are ignored, so a
 * hand-edited {@code " GA"} still gets the strict checks: a mode that looks like {@code ga} fails
 * closed rather than silently running relaxed.
 */
public final class ProfileMode {
  /** The framework property naming the profile mode. */
  public static final String PROPERTY = "briefcase.profile.mode";

  /** The strict profile's name. */
  public static final String STRICT = "ga";

  private ProfileMode() {}

  /**
   * Whether {@code mode} names the strict {@code ga} profile, trimmed and ignoring case.
   *
   * @param mode the profile mode as configured; {@code null} when unset
   */
  public static boolean isStrict(String mode) {
    return mode != null && STRICT.equalsIgnoreCase(mode.trim());
  }
}
