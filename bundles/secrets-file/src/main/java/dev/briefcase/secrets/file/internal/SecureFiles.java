package dev.briefcase.secrets.file.internal;

import dev.briefcase.edge.OwnerOnlyFile;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Crash-safe, owner-only file writes. */
final class SecureFiles {

  /** How the temporary files of {@link #writeAtomically} start and end ({@link OwnerOnlyFile}). */
  static final String TEMP_PREFIX = ".";

  static final String TEMP_SUFFIX = ".tmp";

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  private static final Set<PosixFilePermission> FILE_MODE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR_MODE =
      PosixFilePermissions.fromString("rwx------");

  private SecureFiles() {}

  /** Creates the directory (and parents) owner-only, and tightens it if it already exists. */
  static void ensurePrivateDirectory(Path dir) throws IOException {
    if (POSIX) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
      // mkdir is subject to the umask and an existing directory keeps its mode: set it explicitly.
      Files.setPosixFilePermissions(dir, DIR_MODE);
    } else {
      Files.createDirectories(dir);
    }
  }

  /**
   * Writes {@code content} to {@code target} so that a crash leaves either the old or the new file:
   * 0600 temp file in the same directory, fsync, atomic rename, fsync the directory ({@link
   * OwnerOnlyFile#replace}).
   */
  static void writeAtomically(Path target, byte[] content) throws IOException {
    OwnerOnlyFile.replace(target, content);
  }

  /** Deletes a file and makes the removal durable. */
  static boolean deleteDurably(Path target) throws IOException {
    boolean deleted = Files.deleteIfExists(target);
    if (deleted) {
      OwnerOnlyFile.syncDirectory(target.toAbsolutePath().getParent());
    }
    return deleted;
  }

  /** Whether group or others may read/write/execute the file (always false off POSIX). */
  static boolean isGroupOrWorldAccessible(Path file) throws IOException {
    if (!POSIX) {
      return false;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    for (PosixFilePermission p : perms) {
      String n = p.name();
      if (n.startsWith("GROUP_") || n.startsWith("OTHERS_")) {
        return true;
      }
    }
    return false;
  }

  /** Forces owner-only mode on an existing file (no-op off POSIX). */
  static void restrictFile(Path file) throws IOException {
    if (POSIX) {
      Files.setPosixFilePermissions(file, FILE_MODE);
    }
  }
}
