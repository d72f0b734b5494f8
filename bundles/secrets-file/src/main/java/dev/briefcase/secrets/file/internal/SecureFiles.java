package dev.briefcase.secrets.file.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Crash-safe, owner-only file writes. */
final class SecureFiles {

  static final String TEMP_PREFIX = ".tmp-";
  static final String TEMP_SUFFIX = ".part";

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
   * temp file in the same directory, fsync, atomic rename, fsync the directory.
   */
  static void writeAtomically(Path target, byte[] content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    FileAttribute<?>[] attrs =
        POSIX
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_MODE)}
            : new FileAttribute<?>[0];
    Path tmp = Files.createTempFile(dir, TEMP_PREFIX, TEMP_SUFFIX, attrs);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsyncDirectory(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Deletes a file and makes the removal durable. */
  static boolean deleteDurably(Path target) throws IOException {
    boolean deleted = Files.deleteIfExists(target);
    if (deleted) {
      fsyncDirectory(target.toAbsolutePath().getParent());
    }
    return deleted;
  }

  static void fsyncDirectory(Path dir) throws IOException {
    if (!POSIX) {
      // Windows cannot open a directory as a channel; its rename is durable enough with NTFS
      // logging.
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
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
