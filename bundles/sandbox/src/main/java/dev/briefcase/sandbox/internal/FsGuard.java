package dev.briefcase.sandbox.internal;

import dev.briefcase.files.ProtectedPaths;
import dev.briefcase.fsguard.ConfinedFiles;
import dev.briefcase.fsguard.FsRefusal;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Confines {@code fs_read}/{@code fs_write} to the manifest's filesystem prefixes and keeps them
 * out of the kernel's protected paths, through {@link ConfinedFiles} (the same guard as {@code
 * file_read}): the prefix is checked on the lexically normalized path before the filesystem is
 * touched, every component is then reached without following a link out of the prefixes ({@code
 * openat}, {@code O_NOFOLLOW}), the opened file must be the one checked, and a write never follows
 * a final symlink. Refusals become {@link Violation}s with the SPEC §11 messages.
 */
final class FsGuard {

  private final List<String> prefixes;
  private final Supplier<List<Path>> protectedPaths;

  FsGuard(List<String> allowedPrefixes, Supplier<List<Path>> protectedPaths) {
    for (String p : allowedPrefixes) {
      if (!Path.of(p).isAbsolute()) {
        throw new IllegalArgumentException("filesystem prefix must be absolute");
      }
    }
    this.prefixes = List.copyOf(allowedPrefixes);
    this.protectedPaths = protectedPaths;
  }

  /** The file's bytes; outside the prefixes, a non-regular file or over {@code max} = violation. */
  byte[] read(String raw, long max) throws IOException {
    try {
      return files().read(raw, max);
    } catch (FsRefusal e) {
      throw violation(e);
    }
  }

  /** Writes {@code data}; the parent must be allowed, the final component not a symlink. */
  void write(String raw, byte[] data) throws IOException {
    try {
      files().write(raw, data);
    } catch (FsRefusal e) {
      throw violation(e);
    }
  }

  private ConfinedFiles files() {
    // the protected list is asked per call: a configuration change applies to the next call
    return new ConfinedFiles(prefixes, protectedPaths.get());
  }

  private static Violation violation(FsRefusal e) {
    return new Violation(
        switch (e.code()) {
          case FsRefusal.NOT_ABSOLUTE -> "fs path not absolute";
          case FsRefusal.NOT_A_FILE -> "fs path not a regular file";
          case FsRefusal.TOO_LARGE -> "file too large";
          case FsRefusal.SYMLINK -> "fs symlink refused";
          case FsRefusal.PROTECTED -> ProtectedPaths.CODE;
          case FsRefusal.CHANGED -> "fs path changed while it was opened";
            // outside, a link leading out, invalid, a link loop: one answer
          default -> "fs path not allowed";
        });
  }
}
