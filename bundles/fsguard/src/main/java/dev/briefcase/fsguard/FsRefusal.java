package dev.briefcase.fsguard;

/**
 * A file access {@link ConfinedFiles} refuses. The code is stable; the message is one line and
 * never names the requested path, so a refusal reveals nothing about the filesystem.
 */
public final class FsRefusal extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The normalized path is not under any allowed prefix, or a symlink leads out of them. */
  public static final String OUTSIDE = "outside_prefix";

  /** The path is, or lies inside, a protected path (data directory, trust directory, keys). */
  public static final String PROTECTED = "protected_path";

  /** The path is relative. */
  public static final String NOT_ABSOLUTE = "not_absolute";

  /** The path is empty, contains NUL or cannot be parsed. */
  public static final String INVALID = "invalid_path";

  /** The path names a directory, device, pipe or socket. */
  public static final String NOT_A_FILE = "not_a_file";

  /** The file is larger than the caller's limit. */
  public static final String TOO_LARGE = "too_large";

  /** A write's final component is a symlink. */
  public static final String SYMLINK = "symlink";

  /** The file changed between the check and the open (a swap race). */
  public static final String CHANGED = "changed";

  /** More than {@link ConfinedFiles#MAX_LINKS} symlinks on the way. */
  public static final String TOO_MANY_LINKS = "too_many_links";

  private final String code;

  public FsRefusal(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** One of the constants of this class. */
  public String code() {
    return code;
  }
}
